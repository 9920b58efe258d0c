import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { type Tagger } from "./common";
/** Device name the data volume is attached as (cloud-init mounts it for Docker's volumes). */
export declare const DATA_DEVICE = "/dev/sdf";
/** The newest Amazon-owned Amazon Linux 2023 x86_64 AMI (cloud-init, dnf and the SSM agent included). */
export declare function amazonLinuxAmi(): pulumi.Output<string>;
export interface HostProfileArgs {
    /** Tags of every AWS object (`tagger(prefix, stack)`). */
    tags: Tagger;
}
/** An IAM role and instance profile for EC2 hosts with SSM Session Manager as their only permission. */
export declare class HostProfile extends pulumi.ComponentResource {
    /** The instance profile's name, for `iamInstanceProfile`. */
    readonly profileName: pulumi.Output<string>;
    /** Children `<name>-role`, `<name>-ssm`, `<name>-profile` (aliased to their root-level URNs). */
    constructor(name: string, args: HostProfileArgs, opts?: pulumi.ComponentResourceOptions);
}
export interface DockerHostArgs {
    /** Role tag and cloud-init's role file ("nats", "router", "gateway", "monitoring"). */
    role: string;
    /** Stack name: the Docker network's labels and cloud-init's stack file. */
    stack: string;
    /** AMI id; Amazon Linux 2023 is what cloud-init is written for (`amazonLinuxAmi()`). */
    ami: pulumi.Input<string>;
    /** EC2 instance type, e.g. "t3.small". */
    instanceType: string;
    /** A private subnet (no public address is ever assigned). */
    subnetId: pulumi.Input<string>;
    /** The host role's security groups (RoleSecurityGroups' `hosts[role]`). */
    securityGroupIds: pulumi.Input<string>[];
    /** HostProfile's instance profile. */
    instanceProfile: pulumi.Input<string>;
    /** Who the docker provider logs in as: the AMI's user and the public key of whoever runs `pulumi up`. */
    deployer: {
        user: string;
        publicKey: string;
    };
    /** Region of the SSM tunnel. */
    region: string;
    /** An encrypted gp3 data volume for Docker's named volumes (NATS hosts). Default: none. */
    dataVolume?: {
        sizeGiB: number;
        retainOnDelete: boolean;
    };
    /** Name of the Docker network created on the host (the same on every host of a stack). */
    networkName: string;
    /** Tags of every AWS object (`tagger(prefix, stack)`). */
    tags: Tagger;
}
/**
 * One Docker host. Children `<name>-host` (the instance), `<name>-jetstream` (volume and attachment) and
 * `<name>-network`, aliased to their root-level URNs. The docker provider `<name>-docker` stays a root
 * resource: its URN is part of every container's state on the host, and an aliased provider has in the
 * past made the engine replace everything deployed through it.
 */
export declare class DockerHost extends pulumi.ComponentResource {
    /** The host's name (the component's): containers on every host resolve it to this host's private IP. */
    readonly hostName: string;
    readonly instance: aws.ec2.Instance;
    /** Deploys onto this host's Docker Engine. */
    readonly provider: docker.Provider;
    readonly network: docker.Network;
    constructor(name: string, args: DockerHostArgs, opts?: pulumi.ComponentResourceOptions);
}
