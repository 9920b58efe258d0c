// Strict recording mocks for the cloud targets: the components' RecordingMocks (docker resources,
// secrets, recorded inputs, index.ts run with PULUMI_CONFIG) extended with the aws and kubernetes
// resource types these stacks use, the providers (so placement can be asserted), and exactly two mocked
// provider functions. Any other function call throws, as in pulumi-awsx's tests.
import type * as pulumi from "@pulumi/pulumi";
import {
  RecordingMocks,
  reveal,
  runProgram,
  type ConfigValues,
  type ProgramRun,
  type Recorded,
} from "../components/mocks";

export const ZONES = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
export const MOCK_AMI = "ami-0123456789abcdef0";

/** Functions the cloud stacks may call, with their canned answers. */
const CALLS: Record<string, (inputs: Record<string, any>) => Record<string, any>> = {
  "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({
    names: ZONES,
    zoneIds: ZONES.map((_, i) => `euw1-az${i + 1}`),
    id: "eu-west-1",
  }),
  "aws:ec2/getAmi:getAmi": (inputs) => {
    if (!inputs.owners?.includes("amazon"))
      throw new Error("getAmi must be restricted to Amazon-owned images");
    return { id: MOCK_AMI, name: "al2023-ami-2023.6-x86_64", architecture: "x86_64" };
  },
};

const CLOUD_PREFIXES = ["aws:", "kubernetes:"];

export class CloudMocks extends RecordingMocks {
  /** Provider reference ("urn::id") each custom resource was registered with. */
  readonly providerOf = new Map<Recorded, string | undefined>();
  private subnetZones = new Map<string, string>();
  private ip = 10;
  private serviceIp = 0;

  override call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
    const f = CALLS[args.token];
    if (!f) return super.call(args); // records and throws "unmocked provider function call"
    this.calls.push(args.token);
    return f(args.inputs);
  }

  override newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
    const cloud =
      CLOUD_PREFIXES.some((p) => args.type.startsWith(p)) || args.type.startsWith("pulumi:providers:");
    if (!cloud) {
      const r = super.newResource(args);
      this.providerOf.set(this.resources[this.resources.length - 1], args.provider);
      return r;
    }
    const rec: Recorded = { type: args.type, name: args.name, inputs: args.inputs, custom: !!args.custom };
    this.resources.push(rec);
    this.providerOf.set(rec, args.provider);
    const id = `${args.name}-id`;
    const state: Record<string, any> = { ...args.inputs };
    const inputs = reveal(args.inputs);
    switch (args.type) {
      case "aws:ec2/subnet:Subnet":
        this.subnetZones.set(id, inputs.availabilityZone);
        break;
      case "aws:ec2/instance:Instance":
        state.privateIp = `10.40.${Math.floor(this.ip / 250)}.${(this.ip++ % 250) + 1}`;
        state.availabilityZone = this.subnetZones.get(inputs.subnetId);
        state.arn = `arn:aws:ec2:eu-west-1:123456789012:instance/${id}`;
        break;
      case "aws:lb/loadBalancer:LoadBalancer":
        state.dnsName = `${args.name}-123.eu-west-1.elb.amazonaws.com`;
        state.arn = `arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/${args.name}`;
        break;
      case "aws:lb/targetGroup:TargetGroup":
        state.arn = `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${args.name}`;
        break;
      case "aws:iam/role:Role":
      case "aws:iam/instanceProfile:InstanceProfile":
        state.name = inputs.name ?? args.name;
        state.arn = `arn:aws:iam::123456789012:role/${args.name}`;
        break;
    }
    if (args.type.startsWith("kubernetes:")) {
      // The provider fills in server-side fields; names are always given explicitly by the stack.
      state.metadata = { ...(state.metadata ?? {}), uid: `${args.name}-uid` };
      if (args.type === "kubernetes:core/v1:Service") {
        state.status = { loadBalancer: {} };
        // The API server allocates a ClusterIP (not for a headless Service) and, for NodePort, a node port.
        const spec = inputs.spec ?? {};
        if (spec.clusterIP !== "None") {
          const n = ++this.serviceIp;
          state.spec = {
            ...spec,
            clusterIP: `10.96.0.${n}`,
            ports: (spec.ports ?? []).map((p: object, i: number) =>
              spec.type === "NodePort" ? { ...p, nodePort: 30000 + n * 10 + i } : p,
            ),
          };
        }
      }
    }
    return { id, state };
  }

  /** Resources of one type whose Pulumi name matches. */
  named(type: string, name: RegExp): Recorded[] {
    return this.of(type).filter((r) => name.test(r.name));
  }
}

export const AWS = {
  vpc: "aws:ec2/vpc:Vpc",
  subnet: "aws:ec2/subnet:Subnet",
  nat: "aws:ec2/natGateway:NatGateway",
  sg: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  instance: "aws:ec2/instance:Instance",
  volume: "aws:ebs/volume:Volume",
  attachment: "aws:ec2/volumeAttachment:VolumeAttachment",
  lb: "aws:lb/loadBalancer:LoadBalancer",
  listener: "aws:lb/listener:Listener",
  tgAttachment: "aws:lb/targetGroupAttachment:TargetGroupAttachment",
  policyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  dockerProvider: "pulumi:providers:docker",
} as const;

/** Runs index.ts with the cloud mocks (config keys without a namespace get `proving-ground:`). */
export async function runCloudProgram(
  values: ConfigValues,
  opts: { stack?: string; secretKeys?: string[] } = {},
): Promise<ProgramRun & { mocks: CloudMocks }> {
  const mocks = new CloudMocks();
  const run = await runProgram(values, { ...opts, mocks });
  return { ...run, mocks };
}

export { reveal, isSecretValue } from "../components/mocks";
export const SSH_KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKx0mSgGf8tP0oBq8m9B5wYx2zz3y8Yq0lGQ1Z0YbJ1o deployer@ci";
