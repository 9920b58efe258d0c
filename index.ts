// Pulumi program entry: read and validate the stack config, build the selected target, export the
// StackOutputs keys (stacks/outputs.ts) that validation, load and chaos tooling read.
import { readConfig, type Target } from "./stacks/config";
import type { StackOutputValues } from "./stacks/docker";

// Each target's builder is loaded only when selected: a docker deployment never loads the AWS or
// Kubernetes SDKs (seconds of start-up on a busy machine).
function build(): StackOutputValues {
  const loaded = readConfig();
  const target: Target = loaded.config.target;
  switch (target) {
    case "docker":
      return (require("./stacks/docker") as typeof import("./stacks/docker")).buildDockerStack(loaded);
    case "aws":
      return (require("./stacks/aws") as typeof import("./stacks/aws")).buildAwsStack(loaded);
    case "kubernetes":
      return (require("./stacks/kubernetes") as typeof import("./stacks/kubernetes")).buildKubernetesStack(
        loaded,
      );
  }
}

const outputs = build();

export const target = outputs.target;
export const stack = outputs.stack;
export const gatewayUrl = outputs.gatewayUrl;
export const natsUrl = outputs.natsUrl;
export const natsHostUrls = outputs.natsHostUrls;
export const natsUser = outputs.natsUser;
export const natsPassword = outputs.natsPassword;
export const natsMonitorUrls = outputs.natsMonitorUrls;
export const prometheusUrl = outputs.prometheusUrl;
export const alertmanagerUrl = outputs.alertmanagerUrl;
export const grafanaUrl = outputs.grafanaUrl;
export const routerMetricsUrls = outputs.routerMetricsUrls;
export const chaosTargets = outputs.chaosTargets;
export const validation = outputs.validation;
