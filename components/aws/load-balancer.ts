// GatewayLoadBalancer: an internet-facing application load balancer in the public subnets, forwarding
// its listener (HTTP, or HTTPS with a certificate) to the gateway hosts' API port, health-checked.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { childOf, type Tagger } from "./common";

export interface GatewayLoadBalancerArgs {
  /** The VPC of the target group. */
  vpcId: pulumi.Input<string>;
  /** Public subnets the load balancer is placed in (at least two zones). */
  publicSubnetIds: pulumi.Input<string>[];
  /** The load balancer's security group (RoleSecurityGroups' `lb`). */
  securityGroupId: pulumi.Input<string>;
  /** Instances to forward to, by name (each attachment is `<name>-tg`). */
  targets: { name: string; instanceId: pulumi.Input<string> }[];
  /** The gateway's API port on the instances. */
  targetPort: number;
  /** Path that answers 200 while a gateway serves. */
  healthPath: string;
  /** ACM certificate: HTTPS on 443 (TLS 1.2/1.3 policy). Default: HTTP on 80. */
  certificateArn?: string;
  /** Tags of every AWS object (`tagger(prefix, stack)`). */
  tags: Tagger;
}

/** The listener port for a certificate setting: 443 with one, 80 without. */
export function listenerPort(certificateArn?: string): number {
  return certificateArn ? 443 : 80;
}

/**
 * Children `<name>-lb`, `<name>-tg`, `<name>-listener` and one `<target>-tg` attachment per instance,
 * aliased to their root-level URNs.
 */
export class GatewayLoadBalancer extends pulumi.ComponentResource {
  public readonly dnsName: pulumi.Output<string>;

  constructor(name: string, args: GatewayLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("proving-ground:components:GatewayLoadBalancer", name, {}, opts);
    const role = "gateway";
    const lb = new aws.lb.LoadBalancer(
      `${name}-lb`,
      {
        loadBalancerType: "application",
        internal: false,
        subnets: args.publicSubnetIds,
        securityGroups: [args.securityGroupId],
        dropInvalidHeaderFields: true,
        tags: args.tags(`${name}-lb`, role),
      },
      childOf(this),
    );
    const tg = new aws.lb.TargetGroup(
      `${name}-tg`,
      {
        vpcId: args.vpcId,
        port: args.targetPort,
        protocol: "HTTP",
        targetType: "instance",
        healthCheck: {
          path: args.healthPath,
          port: String(args.targetPort),
          matcher: "200",
          interval: 10,
          healthyThreshold: 2,
        },
        tags: args.tags(`${name}-tg`, role),
      },
      childOf(this),
    );
    for (const t of args.targets) {
      new aws.lb.TargetGroupAttachment(
        `${t.name}-tg`,
        { targetGroupArn: tg.arn, targetId: t.instanceId, port: args.targetPort },
        childOf(this),
      );
    }
    new aws.lb.Listener(
      `${name}-listener`,
      {
        loadBalancerArn: lb.arn,
        port: listenerPort(args.certificateArn),
        protocol: args.certificateArn ? "HTTPS" : "HTTP",
        ...(args.certificateArn
          ? { certificateArn: args.certificateArn, sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" }
          : {}),
        defaultActions: [{ type: "forward", targetGroupArn: tg.arn }],
      },
      childOf(this),
    );
    this.dnsName = lb.dnsName;
    this.registerOutputs({ dnsName: this.dnsName });
  }
}
