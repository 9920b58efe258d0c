// The public entry point of the components: what the npm package @proving-ground/components exports
// (packages/components/, built by `npm run pack:components`). Everything named here is public API under
// semantic versioning: a removed export, or an arg removed or changed in type, needs a major version
// (test/components/package.test.ts compares the emitted .d.ts with the last released one,
// packages/components/api/<version>/). The args of each component are documented field by field in its
// interface below and in components/README.md.
//
// Docker: NatsCluster, BeamlineService (gateway or router), Observability, ValidationJob.
// Kubernetes: natsStatefulSet, serviceDeployment (with serviceSpec), kubernetesMonitoring.
// AWS: AwsNetwork, RoleSecurityGroups, HostProfile, DockerHost, GatewayLoadBalancer.

// Value types every component takes.
export { limits, parseMemory, type ImageSource, type Limits } from "./types";
export { objectPrefix, ROLE_LABEL, STACK_LABEL, type HealthProbe } from "./common";

// Docker components.
export {
  NATS_CLIENT_PORT,
  NATS_CLUSTER_PORT,
  NATS_MONITOR_PORT,
  NatsCluster,
  natsClientUrl,
  natsNodeNames,
  type NatsClusterArgs,
  type NatsNodePlacement,
} from "./nats";
export {
  BeamlineService,
  replicaNames,
  SERVICE_PORTS,
  serviceSpec,
  type BeamlineServiceArgs,
  type BeamlineServicePlacement,
  type GatewaySettings,
  type NatsConnection,
  type RouterSettings,
  type ServiceEnvOptions,
  type ServiceKind,
  type ServiceKindSettings,
  type ServiceSpecOptions,
} from "./service";
export { Observability, type ObservabilityArgs } from "./observability";
export { ValidationJob, type ValidationJobArgs } from "./validation";
export type { PartSpec } from "./spec";

// Kubernetes workloads.
export { roleLabels, roleSelector, type KubeContext } from "./kubernetes/common";
export { natsStatefulSet, type NatsStatefulSetArgs, type NatsWorkload } from "./kubernetes/nats";
export { serviceDeployment, type ServiceDeploymentArgs, type ServiceWorkload } from "./kubernetes/service";
export {
  kubernetesMonitoring,
  type KubernetesMonitoring,
  type KubernetesMonitoringArgs,
} from "./kubernetes/monitoring";

// AWS components.
export { tagger, type Tagger } from "./aws/common";
export { AwsNetwork, subnetCidrs, type AwsNetworkArgs } from "./aws/network";
export { RoleSecurityGroups, type HostRole, type RoleSecurityGroupsArgs } from "./aws/security-groups";
export {
  amazonLinuxAmi,
  DockerHost,
  HostProfile,
  type DockerHostArgs,
  type HostProfileArgs,
} from "./aws/docker-host";
export { GatewayLoadBalancer, listenerPort, type GatewayLoadBalancerArgs } from "./aws/load-balancer";
