// Config keys only the cloud targets read (without the `proving-ground:` namespace). A separate
// dependency-free module so stacks/config.ts can list them among the known keys without an import cycle.
export const AWS_CONFIG_KEYS = [
  "awsVpcCidr",
  "awsAvailabilityZones",
  "awsNatGateways",
  "awsNatsInstanceType",
  "awsServiceInstanceType",
  "awsMonitoringInstanceType",
  "awsAmiId",
  "awsJetstreamVolumeGiB",
  "awsDeployerPublicKey",
  "awsDeployerUser",
  "awsCertificateArn",
  "awsLbIngressCidrs",
] as const;

export const KUBERNETES_CONFIG_KEYS = [
  "k8sNamespace",
  "k8sStorageClass",
  "k8sJetstreamStorage",
  "k8sPrometheusOperator",
  "k8sHpaEnabled",
  "k8sHpaMaxReplicas",
  "k8sHpaCpuPercent",
  "k8sGatewayServiceType",
  "k8sHostIsNode",
] as const;

export const CLOUD_CONFIG_KEYS = [...AWS_CONFIG_KEYS, ...KUBERNETES_CONFIG_KEYS] as const;
