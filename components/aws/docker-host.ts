// The Docker hosts of the aws target: EC2 instances in private subnets that install Docker through
// cloud-init (cloud-init.ts), with an instance profile for SSM Session Manager only (HostProfile), a docker
// provider reaching the engine over SSH inside an SSM tunnel (ssm-proxy.ts: no security group opens port
// 22, no public address), the stack's Docker network on the engine and, for NATS, an encrypted EBS
// volume that holds Docker's volumes and survives replacing the instance.
import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { labels } from "../common";
import { renderCloudInit } from "./cloud-init";
import { childOf, type Tagger } from "./common";
import { renderSsmProxyCommand } from "./ssm-proxy";

/** Device name the data volume is attached as (cloud-init mounts it for Docker's volumes). */
export const DATA_DEVICE = "/dev/sdf";

/** The newest Amazon-owned Amazon Linux 2023 x86_64 AMI (cloud-init, dnf and the SSM agent included). */
export function amazonLinuxAmi(): pulumi.Output<string> {
  return aws.ec2
    .getAmiOutput({
      mostRecent: true,
      owners: ["amazon"],
      filters: [
        { name: "name", values: ["al2023-ami-2023.*-x86_64"] },
        { name: "architecture", values: ["x86_64"] },
      ],
    })
    .apply((a) => a.id);
}

export interface HostProfileArgs {
  /** Tags of every AWS object (`tagger(prefix, stack)`). */
  tags: Tagger;
}

/** An IAM role and instance profile for EC2 hosts with SSM Session Manager as their only permission. */
export class HostProfile extends pulumi.ComponentResource {
  /** The instance profile's name, for `iamInstanceProfile`. */
  public readonly profileName: pulumi.Output<string>;

  /** Children `<name>-role`, `<name>-ssm`, `<name>-profile` (aliased to their root-level URNs). */
  constructor(name: string, args: HostProfileArgs, opts?: pulumi.ComponentResourceOptions) {
    super("proving-ground:components:HostProfile", name, {}, opts);
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
          ],
        }),
        tags: args.tags(`${name}-role`),
      },
      childOf(this),
    );
    new aws.iam.RolePolicyAttachment(
      `${name}-ssm`,
      { role: role.name, policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" },
      childOf(this),
    );
    const profile = new aws.iam.InstanceProfile(
      `${name}-profile`,
      { role: role.name, tags: args.tags(`${name}-profile`) },
      childOf(this),
    );
    this.profileName = profile.name;
    this.registerOutputs({ profileName: this.profileName });
  }
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
  deployer: { user: string; publicKey: string };
  /** Region of the SSM tunnel. */
  region: string;
  /** An encrypted gp3 data volume for Docker's named volumes (NATS hosts). Default: none. */
  dataVolume?: { sizeGiB: number; retainOnDelete: boolean };
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
export class DockerHost extends pulumi.ComponentResource {
  /** The host's name (the component's): containers on every host resolve it to this host's private IP. */
  public readonly hostName: string;
  public readonly instance: aws.ec2.Instance;
  /** Deploys onto this host's Docker Engine. */
  public readonly provider: docker.Provider;
  public readonly network: docker.Network;

  constructor(name: string, args: DockerHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("proving-ground:components:DockerHost", name, {}, opts);
    const { tags } = args;
    this.hostName = name;
    this.instance = new aws.ec2.Instance(
      `${name}-host`,
      {
        ami: args.ami,
        instanceType: args.instanceType,
        subnetId: args.subnetId,
        vpcSecurityGroupIds: args.securityGroupIds,
        iamInstanceProfile: args.instanceProfile,
        associatePublicIpAddress: false,
        // IMDSv2 only, and a hop limit of 1 so containers cannot reach the instance credentials.
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
        rootBlockDevice: { encrypted: true, volumeType: "gp3", volumeSize: 30, deleteOnTermination: true },
        userData: renderCloudInit({
          role: name,
          stack: args.stack,
          deployerPublicKey: args.deployer.publicKey,
          user: args.deployer.user,
          dataVolume: args.dataVolume ? { deviceName: DATA_DEVICE } : undefined,
        }),
        userDataReplaceOnChange: true,
        tags: tags(name, args.role),
      },
      childOf(this),
    );
    const dependsOn: pulumi.Resource[] = [this.instance];
    if (args.dataVolume) {
      // A separate, encrypted volume: the data survives replacing the instance.
      const volume = new aws.ebs.Volume(
        `${name}-jetstream`,
        {
          availabilityZone: this.instance.availabilityZone,
          size: args.dataVolume.sizeGiB,
          type: "gp3",
          encrypted: true,
          tags: tags(`${name}-jetstream`, args.role),
        },
        childOf(this, { retainOnDelete: args.dataVolume.retainOnDelete }),
      );
      dependsOn.push(
        new aws.ec2.VolumeAttachment(
          `${name}-jetstream`,
          { deviceName: DATA_DEVICE, instanceId: this.instance.id, volumeId: volume.id },
          childOf(this),
        ),
      );
    }
    this.provider = new docker.Provider(
      `${name}-docker`,
      {
        host: pulumi.interpolate`ssh://${args.deployer.user}@${this.instance.id}`,
        sshOpts: [
          "-o",
          `ProxyCommand=${renderSsmProxyCommand(args.region)}`,
          "-o",
          "StrictHostKeyChecking=accept-new",
          "-o",
          "ServerAliveInterval=30",
        ],
      },
      { dependsOn },
    );
    // Components take the network by name; every host has one with the stack's name.
    this.network = new docker.Network(
      `${name}-network`,
      { name: args.networkName, driver: "bridge", labels: labels(args.stack, "network") },
      childOf(this, { provider: this.provider }),
    );
    this.registerOutputs({ instanceId: this.instance.id, privateIp: this.instance.privateIp });
  }
}
