import * as pulumi from "@pulumi/pulumi";
import { type Tagger } from "./common";
export interface GatewayLoadBalancerArgs {
    /** The VPC of the target group. */
    vpcId: pulumi.Input<string>;
    /** Public subnets the load balancer is placed in (at least two zones). */
    publicSubnetIds: pulumi.Input<string>[];
    /** The load balancer's security group (RoleSecurityGroups' `lb`). */
    securityGroupId: pulumi.Input<string>;
    /** Instances to forward to, by name (each attachment is `<name>-tg`). */
    targets: {
        name: string;
        instanceId: pulumi.Input<string>;
    }[];
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
export declare function listenerPort(certificateArn?: string): number;
/**
 * Children `<name>-lb`, `<name>-tg`, `<name>-listener` and one `<target>-tg` attachment per instance,
 * aliased to their root-level URNs.
 */
export declare class GatewayLoadBalancer extends pulumi.ComponentResource {
    readonly dnsName: pulumi.Output<string>;
    constructor(name: string, args: GatewayLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions);
}
