// RoleSecurityGroups: one security group per role of the aws target (load balancer, gateway, router,
// NATS, monitoring). Rules reference groups, not CIDRs, except the load balancer's listener; every host
// may go out (through the NAT gateway) for SSM, packages and images. No group opens port 22.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { NATS_CLIENT_PORT, NATS_CLUSTER_PORT, NATS_MONITOR_PORT } from "../nats";
import { SERVICE_PORTS } from "../service";
import { childOf, type Tagger } from "./common";

export type HostRole = "nats" | "router" | "gateway" | "monitoring";

export interface RoleSecurityGroupsArgs {
  /** The VPC the groups belong to. */
  vpcId: pulumi.Input<string>;
  /** CIDRs allowed to reach the load balancer's listener. */
  lbIngressCidrs: string[];
  /** The load balancer's listener port (80, or 443 with a certificate). */
  listenerPort: number;
  /** Default: the gateway's and router's SERVICE_PORTS and NATS's client, cluster and monitor ports. */
  ports?: {
    /** Gateway API (load balancer target, metrics, blackbox probe). */
    gateway: number;
    /** Router metrics. */
    router: number;
    natsClient: number;
    natsCluster: number;
    natsMonitor: number;
  };
  /** Tags of every AWS object (`tagger(prefix, stack)`). */
  tags: Tagger;
}

/**
 * Children keep the names the aws target gave them before this component existed (`<role>-sg`, the
 * rules by what they allow) with an alias to their root-level URNs, so an existing stack sees no
 * replacement.
 */
export class RoleSecurityGroups extends pulumi.ComponentResource {
  /** The load balancer's group. */
  public readonly lb: aws.ec2.SecurityGroup;
  /** Each host role's group. */
  public readonly hosts: Record<HostRole, aws.ec2.SecurityGroup>;

  constructor(name: string, args: RoleSecurityGroupsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("proving-ground:components:RoleSecurityGroups", name, {}, opts);
    const { tags } = args;
    const ports = args.ports ?? {
      gateway: SERVICE_PORTS.gateway,
      router: SERVICE_PORTS.router,
      natsClient: NATS_CLIENT_PORT,
      natsCluster: NATS_CLUSTER_PORT,
      natsMonitor: NATS_MONITOR_PORT,
    };
    const sg = (role: string, description: string) =>
      new aws.ec2.SecurityGroup(
        `${role}-sg`,
        { vpcId: args.vpcId, description, tags: tags(`${role}-sg`, role) },
        childOf(this),
      );
    const lb = sg("lb", "gateway load balancer: the only internet-facing listener");
    const gateway = sg("gateway", "gateway hosts: API from the load balancer, metrics from monitoring");
    const router = sg("router", "router hosts: metrics from monitoring");
    const nats = sg("nats", "NATS hosts: clients from services, routes between nodes, monitoring");
    const monitoring = sg("monitoring", "monitoring host: no ingress (UIs via SSM port forwarding)");
    const allow = (
      ruleName: string,
      to: aws.ec2.SecurityGroup,
      port: number,
      from: aws.ec2.SecurityGroup,
      what: string,
    ) =>
      new aws.vpc.SecurityGroupIngressRule(
        ruleName,
        {
          securityGroupId: to.id,
          referencedSecurityGroupId: from.id,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          description: what,
        },
        childOf(this),
      );
    args.lbIngressCidrs.forEach(
      (cidr, i) =>
        new aws.vpc.SecurityGroupIngressRule(
          `lb-listener-${i}`,
          {
            securityGroupId: lb.id,
            cidrIpv4: cidr,
            ipProtocol: "tcp",
            fromPort: args.listenerPort,
            toPort: args.listenerPort,
            description: "gateway API listener",
          },
          childOf(this),
        ),
    );
    new aws.vpc.SecurityGroupEgressRule(
      "lb-to-gateway",
      {
        securityGroupId: lb.id,
        referencedSecurityGroupId: gateway.id,
        ipProtocol: "tcp",
        fromPort: ports.gateway,
        toPort: ports.gateway,
        description: "forward to the gateway hosts",
      },
      childOf(this),
    );
    allow("gateway-from-lb", gateway, ports.gateway, lb, "API traffic from the load balancer");
    allow("gateway-from-monitoring", gateway, ports.gateway, monitoring, "metrics scrape and blackbox probe");
    allow("router-from-monitoring", router, ports.router, monitoring, "metrics scrape");
    allow("nats-client-from-gateway", nats, ports.natsClient, gateway, "NATS clients: gateway");
    allow("nats-client-from-router", nats, ports.natsClient, router, "NATS clients: router");
    allow("nats-cluster-from-nats", nats, ports.natsCluster, nats, "NATS cluster routes");
    allow("nats-monitor-from-monitoring", nats, ports.natsMonitor, monitoring, "NATS monitoring");
    allow("nats-client-from-monitoring", nats, ports.natsClient, monitoring, "validation and exporters");
    this.lb = lb;
    this.hosts = { gateway, router, nats, monitoring };
    // Hosts need outbound HTTPS for SSM, package installs and image pulls (through the NAT gateway).
    for (const [role, g] of Object.entries(this.hosts)) {
      new aws.vpc.SecurityGroupEgressRule(
        `${role}-egress`,
        {
          securityGroupId: g.id,
          cidrIpv4: "0.0.0.0/0",
          ipProtocol: "-1",
          description: "outbound via NAT (SSM, packages, images, other roles)",
        },
        childOf(this),
      );
    }
    this.registerOutputs({ lbSecurityGroupId: lb.id });
  }
}
