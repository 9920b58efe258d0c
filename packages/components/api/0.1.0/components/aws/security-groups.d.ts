import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type Tagger } from "./common";
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
export declare class RoleSecurityGroups extends pulumi.ComponentResource {
    /** The load balancer's group. */
    readonly lb: aws.ec2.SecurityGroup;
    /** Each host role's group. */
    readonly hosts: Record<HostRole, aws.ec2.SecurityGroup>;
    constructor(name: string, args: RoleSecurityGroupsArgs, opts?: pulumi.ComponentResourceOptions);
}
