// Pure checks behind the CrossGuard policies (policy/policies.ts). Each takes a resource's type token
// and input props (exactly what CrossGuard hands to validateResource) and returns human-readable
// violations; an empty list means compliant. Kept free of @pulumi/policy so they are trivial to test.

export type Props = Record<string, any>;

const WORLD = new Set(["0.0.0.0/0", "::/0"]);

/** One normalised ingress rule, whatever resource type declared it. */
export interface IngressRule {
  protocol: string;
  fromPort: number;
  toPort: number;
  cidrs: string[];
}

/** Ingress rules declared by a security group or a standalone rule resource. */
export function ingressRules(type: string, props: Props): IngressRule[] {
  const norm = (r: Props): IngressRule => ({
    protocol: String(r.protocol ?? r.ipProtocol ?? "tcp").toLowerCase(),
    fromPort: Number(r.fromPort ?? 0),
    toPort: Number(r.toPort ?? r.fromPort ?? 65535),
    cidrs: [
      ...(r.cidrBlocks ?? []),
      ...(r.ipv6CidrBlocks ?? []),
      ...(r.cidrIpv4 ? [r.cidrIpv4] : []),
      ...(r.cidrIpv6 ? [r.cidrIpv6] : []),
    ],
  });
  switch (type) {
    case "aws:ec2/securityGroup:SecurityGroup":
      return ((props.ingress as Props[] | undefined) ?? []).map(norm);
    case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
      return [norm(props)];
    case "aws:ec2/securityGroupRule:SecurityGroupRule":
      return props.type === "ingress" ? [norm(props)] : [];
    default:
      return [];
  }
}

const allProtocols = (p: string) => p === "-1" || p === "all";
const covers = (r: IngressRule, port: number) =>
  allProtocols(r.protocol) || (r.fromPort <= port && port <= r.toPort);

/** SSH (22/tcp, or all traffic) open to the whole internet. */
export function publicSshViolations(type: string, props: Props): string[] {
  return ingressRules(type, props)
    .filter((r) => covers(r, 22) && r.cidrs.some((c) => WORLD.has(c)))
    .map(
      (r) =>
        `ingress ${r.protocol} ${r.fromPort}-${r.toPort} from ${r.cidrs.join(",")} exposes SSH to the internet`,
    );
}

/** Internet-wide ingress on anything but HTTP(S): only a load balancer listener should face the world. */
export function worldIngressViolations(type: string, props: Props, allowedPorts = [80, 443]): string[] {
  return ingressRules(type, props)
    .filter((r) => r.cidrs.some((c) => WORLD.has(c)))
    .filter((r) => allProtocols(r.protocol) || r.fromPort !== r.toPort || !allowedPorts.includes(r.fromPort))
    .map(
      (r) =>
        `ingress ${r.protocol} ${r.fromPort}-${r.toPort} is open to the internet (only ${allowedPorts.join("/")} on a load balancer may be)`,
    );
}

const WORKLOAD_TEMPLATE_TYPES = new Set([
  "kubernetes:apps/v1:Deployment",
  "kubernetes:apps/v1:StatefulSet",
  "kubernetes:apps/v1:DaemonSet",
  "kubernetes:apps/v1:ReplicaSet",
  "kubernetes:batch/v1:Job",
  "kubernetes:core/v1:ReplicationController",
]);

/** The pod spec inside a Kubernetes workload, or undefined when the type carries none. */
export function podSpecOf(type: string, props: Props): Props | undefined {
  if (type === "kubernetes:core/v1:Pod") return props.spec;
  if (WORKLOAD_TEMPLATE_TYPES.has(type)) return props.spec?.template?.spec;
  if (type === "kubernetes:batch/v1:CronJob") return props.spec?.jobTemplate?.spec?.template?.spec;
  return undefined;
}

interface ContainerView {
  name: string;
  image?: string;
  limits?: Props;
  privileged?: boolean;
}

/** Every container (init containers included) of a Kubernetes workload or a Docker container. */
export function containersOf(type: string, props: Props): ContainerView[] | undefined {
  if (type === "docker:index/container:Container") {
    return [
      { name: String(props.name ?? "container"), image: props.image, privileged: props.privileged === true },
    ];
  }
  const spec = podSpecOf(type, props);
  if (!spec) return undefined;
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])].map((c: Props) => ({
    name: String(c.name),
    image: c.image,
    limits: c.resources?.limits,
    privileged: c.securityContext?.privileged === true,
  }));
}

/** Missing CPU or memory limits. */
export function resourceLimitViolations(type: string, props: Props): string[] {
  if (type === "docker:index/container:Container") {
    const out: string[] = [];
    if (!(Number(props.memory) > 0)) out.push(`container ${props.name ?? ""} has no memory limit (memory)`);
    if (!(Number(props.cpus) > 0) && !(Number(props.cpuShares) > 0) && !(Number(props.cpuQuota) > 0)) {
      out.push(`container ${props.name ?? ""} has no CPU limit (cpus, cpuShares or cpuQuota)`);
    }
    return out;
  }
  const containers = containersOf(type, props);
  if (!containers) return [];
  return containers.flatMap((c) => {
    const missing = ["cpu", "memory"].filter((k) => c.limits?.[k] === undefined || c.limits?.[k] === "");
    return missing.length ? [`container ${c.name} has no resources.limits.${missing.join(" / ")}`] : [];
  });
}

/**
 * Whether an image reference is pinned: a digest (name@sha256:...), a bare image id (sha256:...), or a
 * tag other than `latest`. A reference without a tag means `latest`, which moves under you.
 */
export function isPinnedImage(ref: string): boolean {
  if (/^sha256:[a-f0-9]{64}$/.test(ref)) return true;
  if (/@sha256:[a-f0-9]{64}$/.test(ref)) return true;
  const lastSlash = ref.lastIndexOf("/");
  const colon = ref.indexOf(":", lastSlash + 1);
  if (colon < 0) return false;
  const tag = ref.slice(colon + 1);
  return tag !== "" && tag !== "latest";
}

export function unpinnedImageViolations(type: string, props: Props): string[] {
  if (type === "docker:index/remoteImage:RemoteImage") {
    return typeof props.name === "string" && !isPinnedImage(props.name)
      ? [`image ${props.name} is not pinned by tag or digest`]
      : [];
  }
  return (
    (containersOf(type, props) ?? [])
      // Unknown during preview (e.g. an image id computed by a build): nothing to judge yet.
      .filter((c) => typeof c.image === "string" && !isPinnedImage(c.image))
      .map(
        (c) =>
          `container ${c.name} uses image ${c.image}, which is not pinned by tag (other than latest) or digest`,
      )
  );
}

export function privilegedViolations(type: string, props: Props): string[] {
  return (containersOf(type, props) ?? [])
    .filter((c) => c.privileged)
    .map((c) => `container ${c.name} runs privileged`);
}

/** EBS volumes and instance disks must be encrypted. */
export function unencryptedVolumeViolations(type: string, props: Props): string[] {
  if (type === "aws:ebs/volume:Volume") {
    return props.encrypted === true ? [] : ["EBS volume is not encrypted (encrypted: true)"];
  }
  if (type === "aws:ec2/instance:Instance") {
    const out: string[] = [];
    if (props.rootBlockDevice?.encrypted !== true) out.push("root block device is not encrypted");
    for (const d of (props.ebsBlockDevices as Props[] | undefined) ?? []) {
      if (d.encrypted !== true) out.push(`EBS block device ${d.deviceName} is not encrypted`);
    }
    return out;
  }
  return [];
}

/** Instances must require IMDSv2 session tokens (blocks SSRF-style credential theft through IMDSv1). */
export function imdsViolations(type: string, props: Props): string[] {
  if (type !== "aws:ec2/instance:Instance") return [];
  return props.metadataOptions?.httpTokens === "required"
    ? []
    : ['instance metadata service must require IMDSv2 (metadataOptions.httpTokens: "required")'];
}
