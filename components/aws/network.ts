// AwsNetwork: a VPC with a public and a private subnet per zone, an internet gateway for the public
// subnets (load balancer, NAT) and NAT gateways for the private ones (the hosts), one or one per zone.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { childOf, type Tagger } from "./common";

/**
 * Private and public subnet CIDRs for `zones` zones, carved from the VPC CIDR in blocks 4 bits longer
 * (a /16 gives /20s): private subnets take blocks 0..zones-1, public ones blocks 8..8+zones-1, leaving
 * room to add zones without renumbering. Pure; throws on a CIDR it cannot split.
 */
export function subnetCidrs(vpcCidr: string, zones: number): { private: string[]; public: string[] } {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(vpcCidr);
  if (!m) throw new Error(`not an IPv4 CIDR: ${vpcCidr}`);
  const prefix = Number(m[5]);
  const sub = prefix + 4;
  if (sub > 28 || zones > 8) throw new Error(`cannot carve ${zones} zones out of ${vpcCidr}`);
  const base = m.slice(1, 5).reduce((acc, o) => acc * 256 + Number(o), 0) >>> 0;
  const size = 2 ** (32 - sub);
  const block = (i: number) => {
    const n = (base + i * size) >>> 0;
    return `${[n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".")}/${sub}`;
  };
  return {
    private: Array.from({ length: zones }, (_, i) => block(i)),
    public: Array.from({ length: zones }, (_, i) => block(8 + i)),
  };
}

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
export class AwsNetwork extends pulumi.ComponentResource {
  public readonly vpc: aws.ec2.Vpc;
  /** Public subnets (load balancer, NAT gateways), one per zone. */
  public readonly publicSubnets: aws.ec2.Subnet[];
  /** Private subnets (the hosts), one per zone. */
  public readonly privateSubnets: aws.ec2.Subnet[];
  public readonly natGateways: aws.ec2.NatGateway[];

  constructor(name: string, args: AwsNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("proving-ground:components:AwsNetwork", name, {}, opts);
    const { tags } = args;
    const child = () => childOf(this);
    const azs = pulumi.output(args.availabilityZones);
    const cidrs = subnetCidrs(args.vpcCidr, args.zones);
    this.vpc = new aws.ec2.Vpc(
      "vpc",
      { cidrBlock: args.vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: tags("vpc") },
      child(),
    );
    const vpcId = this.vpc.id;
    const igw = new aws.ec2.InternetGateway("igw", { vpcId, tags: tags("igw") }, child());
    const publicRt = new aws.ec2.RouteTable(
      "public-rt",
      { vpcId, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: tags("public") },
      child(),
    );
    // One subnet per zone and tier, routed through `routeTableId` (public: the internet gateway's table;
    // private: a table of its own through a NAT gateway). Nothing launched in either gets a public IP by
    // accident; only the ALB and NAT live in the public ones.
    const subnet = (
      tier: "public" | "private",
      i: number,
      routeTableId: (s: aws.ec2.Subnet) => pulumi.Input<string>,
    ) => {
      const s = new aws.ec2.Subnet(
        `${tier}-${i}`,
        {
          vpcId,
          cidrBlock: cidrs[tier][i],
          availabilityZone: azs[i],
          mapPublicIpOnLaunch: false,
          tags: tags(`${tier}-${i}`),
        },
        child(),
      );
      new aws.ec2.RouteTableAssociation(
        `${tier}-${i}`,
        { subnetId: s.id, routeTableId: routeTableId(s) },
        child(),
      );
      return s;
    };
    const zoneIdx = Array.from({ length: args.zones }, (_, i) => i);
    this.publicSubnets = zoneIdx.map((i) => subnet("public", i, () => publicRt.id));
    const natCount = args.natGatewayPlacement === "perZone" ? args.zones : 1;
    this.natGateways = Array.from({ length: natCount }, (_, i) => {
      const eip = new aws.ec2.Eip(`nat-${i}`, { domain: "vpc", tags: tags(`nat-${i}`) }, child());
      return new aws.ec2.NatGateway(
        `nat-${i}`,
        { allocationId: eip.id, subnetId: this.publicSubnets[i].id, tags: tags(`nat-${i}`) },
        child(),
      );
    });
    this.privateSubnets = zoneIdx.map((i) =>
      subnet(
        "private",
        i,
        () =>
          new aws.ec2.RouteTable(
            `private-${i}`,
            {
              vpcId,
              routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: this.natGateways[i % natCount].id }],
              tags: tags(`private-${i}`),
            },
            child(),
          ).id,
      ),
    );
    this.registerOutputs({
      vpcId,
      publicSubnetIds: this.publicSubnets.map((s) => s.id),
      privateSubnetIds: this.privateSubnets.map((s) => s.id),
    });
  }
}
