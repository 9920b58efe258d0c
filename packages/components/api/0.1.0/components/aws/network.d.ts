import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type Tagger } from "./common";
/**
 * Private and public subnet CIDRs for `zones` zones, carved from the VPC CIDR in blocks 4 bits longer
 * (a /16 gives /20s): private subnets take blocks 0..zones-1, public ones blocks 8..8+zones-1, leaving
 * room to add zones without renumbering. Pure; throws on a CIDR it cannot split.
 */
export declare function subnetCidrs(vpcCidr: string, zones: number): {
    private: string[];
    public: string[];
};
export interface AwsNetworkArgs {
    /** VPC CIDR, e.g. "10.40.0.0/16"; subnets per subnetCidrs. */
    vpcCidr: string;
    /** Availability zones to use, in order (one public and one private subnet each). */
    availabilityZones: pulumi.Input<string[]>;
    /** How many zones (the length of `availabilityZones`). */
    zones: number;
    /** One NAT gateway for all private subnets, or one per zone (no cross-zone dependency). */
    natGatewayPlacement: "single" | "perZone";
    /** Tags of every AWS object (`tagger(prefix, stack)`). */
    tags: Tagger;
}
/**
 * Children keep the names the aws target gave them before this component existed (`vpc`, `igw`,
 * `public-rt`, `public-<i>`, `nat-<i>`, `private-<i>`) with an alias to their root-level URNs, so an
 * existing stack sees no replacement; the component's own name is therefore not a prefix of theirs.
 */
export declare class AwsNetwork extends pulumi.ComponentResource {
    readonly vpc: aws.ec2.Vpc;
    /** Public subnets (load balancer, NAT gateways), one per zone. */
    readonly publicSubnets: aws.ec2.Subnet[];
    /** Private subnets (the hosts), one per zone. */
    readonly privateSubnets: aws.ec2.Subnet[];
    readonly natGateways: aws.ec2.NatGateway[];
    constructor(name: string, args: AwsNetworkArgs, opts?: pulumi.ComponentResourceOptions);
}
