// Validation of the cloud-only config keys (stacks/cloud-keys.ts), part of stacks/config.ts's one pass:
// parseConfig calls the selected target's parser with its own reader, so every problem of every key
// comes out in one ConfigError naming the key.
import { parseMemory } from "../components/types";
import type { EnvReader } from "../services/common/env";
import type { AWS_CONFIG_KEYS, KUBERNETES_CONFIG_KEYS } from "./cloud-keys";
import { PROJECT } from "./config-keys";
import type { StackConfig } from "./config";

type AwsKey = (typeof AWS_CONFIG_KEYS)[number];
type K8sKey = (typeof KUBERNETES_CONFIG_KEYS)[number];
const key = (k: AwsKey | K8sKey | "gatewayImage" | "routerImage") => `${PROJECT}:${k}`;

export interface AwsSettings {
  vpcCidr: string;
  /** How many availability zones the subnets span (2..6; an ALB needs at least 2). */
  zones: number;
  /** One NAT gateway for the VPC (cheap) or one per zone (zone-failure tolerant): awsNatGateways. */
  natGatewayPlacement: "single" | "perZone";
  instanceTypes: { nats: string; service: string; monitoring: string };
  /** Explicit AMI; default: the latest Amazon Linux 2023 (SSM agent preinstalled). */
  amiId?: string;
  jetstreamVolumeGiB: number;
  deployerPublicKey: string;
  deployerUser: string;
  /** ACM certificate: HTTPS on 443 instead of HTTP on 80. */
  certificateArn?: string;
  /** Who may reach the load balancer listener (the only internet-facing port). */
  lbIngressCidrs: string[];
}

export interface KubernetesSettings {
  namespace: string;
  storageClass?: string;
  jetstreamStorage: string;
  /** Prometheus Operator CRDs are installed: emit PrometheusRule/ServiceMonitor instead of a Prometheus. */
  prometheusOperator: boolean;
  hpa?: { maxReplicas: number; cpuPercent: number };
  gatewayServiceType: "ClusterIP" | "NodePort" | "LoadBalancer";
  /**
   * The machine that reads the outputs is a node of the cluster (scripts/kube-local.sh): outputs name
   * Services by ClusterIP (kube-proxy routes those on every node) and the gateway by its NodePort on
   * 127.0.0.1, so validation, load and chaos run from here. Default false: in-cluster DNS names.
   */
  hostIsNode: boolean;
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;

function cidrProblem(v: string): string | undefined {
  const m = CIDR.exec(v);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) return "is not an IPv4 CIDR";
  return undefined;
}

/** Images must come from a registry on cloud targets: there is no local build on a remote host. */
function requireImages(r: EnvReader, config: StackConfig, target: string) {
  for (const svc of ["gateway", "router"] as const) {
    if (config[svc].image.kind !== "image") {
      r.problem(
        `${key(`${svc}Image`)} is required on the ${target} target (an image in a registry the hosts can pull)`,
      );
    }
  }
}

/** The aws target's settings; problems are recorded on `r` (the caller's reader). */
export function parseAwsSettings(r: EnvReader, config: StackConfig): AwsSettings {
  requireImages(r, config, "aws");
  const vpcCidr = r.string(key("awsVpcCidr"), "10.40.0.0/16");
  const cp = cidrProblem(vpcCidr);
  if (cp || Number(vpcCidr.split("/")[1]) > 20) {
    r.problem(
      `${key("awsVpcCidr")} must be an IPv4 CIDR of /20 or larger (e.g. 10.40.0.0/16), got ${JSON.stringify(vpcCidr)}`,
    );
  }
  const zones = r.int(key("awsAvailabilityZones"), 3, { min: 2, max: 6 });
  const natGatewayPlacement = r.oneOf(key("awsNatGateways"), ["single", "perZone"] as const, "single");
  const itype = (k: AwsKey, def: string) => {
    const v = r.string(key(k), def);
    if (!INSTANCE_TYPE.test(v))
      r.problem(`${key(k)} must be an EC2 instance type like t3.small, got ${JSON.stringify(v)}`);
    return v;
  };
  const instanceTypes = {
    nats: itype("awsNatsInstanceType", "t3.small"),
    service: itype("awsServiceInstanceType", "t3.small"),
    monitoring: itype("awsMonitoringInstanceType", "t3.medium"),
  };
  const amiId = r.string(key("awsAmiId"));
  if (amiId !== undefined && !/^ami-[0-9a-f]{8,17}$/.test(amiId)) {
    r.problem(
      `${key("awsAmiId")} must be an AMI id like ami-0123456789abcdef0, got ${JSON.stringify(amiId)}`,
    );
  }
  const jetstreamVolumeGiB = r.int(key("awsJetstreamVolumeGiB"), 20, { min: 1, max: 16384 });
  const deployerPublicKey = r.required(
    key("awsDeployerPublicKey"),
    "the OpenSSH public key whose private half is in your ssh-agent; the docker provider uses it through the SSM tunnel",
  );
  if (
    deployerPublicKey &&
    !/^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$/.test(deployerPublicKey)
  ) {
    r.problem(`${key("awsDeployerPublicKey")} must be one OpenSSH public key line (ssh-ed25519 AAAA...)`);
  }
  const deployerUser = r.string(key("awsDeployerUser"), "ec2-user");
  const certificateArn = r.string(key("awsCertificateArn"));
  if (
    certificateArn !== undefined &&
    !/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/.test(certificateArn)
  ) {
    r.problem(
      `${key("awsCertificateArn")} must be an ACM certificate ARN, got ${JSON.stringify(certificateArn)}`,
    );
  }
  const lbIngressCidrs = r.list(key("awsLbIngressCidrs"), ["0.0.0.0/0"]);
  for (const c of lbIngressCidrs) {
    if (cidrProblem(c))
      r.problem(
        `${key("awsLbIngressCidrs")} must be a comma-separated list of IPv4 CIDRs, got ${JSON.stringify(c)}`,
      );
  }
  return {
    vpcCidr,
    zones,
    natGatewayPlacement,
    instanceTypes,
    amiId,
    jetstreamVolumeGiB,
    deployerPublicKey,
    deployerUser,
    certificateArn,
    lbIngressCidrs,
  };
}

/** The kubernetes target's settings; problems are recorded on `r` (the caller's reader). */
export function parseKubernetesSettings(r: EnvReader, config: StackConfig): KubernetesSettings {
  requireImages(r, config, "kubernetes");
  const namespace = r.string(key("k8sNamespace"), `pg-${config.stack}`.toLowerCase());
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) {
    r.problem(
      `${key("k8sNamespace")} must be a DNS label (lowercase letters, digits, "-"), got ${JSON.stringify(namespace)}`,
    );
  }
  const storageClass = r.string(key("k8sStorageClass"));
  const jetstreamStorage = r.string(key("k8sJetstreamStorage"), "10Gi");
  if (!/^\d+(Mi|Gi|Ti)$/.test(jetstreamStorage) || parseMemory(jetstreamStorage) === undefined) {
    r.problem(
      `${key("k8sJetstreamStorage")} must be a size like "10Gi", got ${JSON.stringify(jetstreamStorage)}`,
    );
  }
  const prometheusOperator = r.bool(key("k8sPrometheusOperator"), false);
  const hpaEnabled = r.bool(key("k8sHpaEnabled"), false);
  const maxReplicas = r.int(key("k8sHpaMaxReplicas"), 6, { min: 1, max: 100 });
  const cpuPercent = r.int(key("k8sHpaCpuPercent"), 70, { min: 1, max: 100 });
  if (hpaEnabled && maxReplicas < config.gateway.replicas) {
    r.problem(
      `${key("k8sHpaMaxReplicas")} (${maxReplicas}) must be at least gatewayReplicas (${config.gateway.replicas})`,
    );
  }
  const gatewayServiceType = r.oneOf(
    key("k8sGatewayServiceType"),
    ["ClusterIP", "NodePort", "LoadBalancer"] as const,
    "ClusterIP",
  );
  const hostIsNode = r.bool(key("k8sHostIsNode"), false);
  if (hostIsNode && gatewayServiceType !== "NodePort") {
    r.problem(
      `${key("k8sHostIsNode")} is true, so ${key("k8sGatewayServiceType")} must be NodePort (the gateway URL is its node port on 127.0.0.1), got ${gatewayServiceType}`,
    );
  }
  return {
    namespace,
    storageClass,
    jetstreamStorage,
    prometheusOperator,
    hpa: hpaEnabled ? { maxReplicas, cpuPercent } : undefined,
    gatewayServiceType,
    hostIsNode,
  };
}
