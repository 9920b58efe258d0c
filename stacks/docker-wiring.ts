// What the two targets that run the Docker components (docker, aws) wire alike: the observability parts
// the config switches on, and the smoke test's result as the `validation` output.
import * as pulumi from "@pulumi/pulumi";
import type { ObservabilityArgs } from "../components/observability";
import type { ValidationJob } from "../components/validation";
import { NATS_MONITOR_PORT } from "../components/nats";
import { SERVICE_PORTS } from "../components/service";
import type { LoadedConfig, StackConfig } from "./config";
import type { StackOutputs } from "./outputs";

/**
 * What Observability scrapes and probes, by the names the gateways, routers and NATS nodes resolve as
 * (network aliases on one host, host names across hosts), and its images, ports, interval and receiver
 * from the config; optional parts only when on.
 */
export function observabilityParts(
  o: StackConfig["observability"],
  names: { gateways: string[]; routers: string[]; nats: string[] },
): Pick<
  ObservabilityArgs,
  | "gateways"
  | "routers"
  | "natsMonitors"
  | "gatewayProbes"
  | "scrapeIntervalSeconds"
  | "alertWebhookUrl"
  | "prometheus"
  | "alertmanager"
  | "blackbox"
  | "grafana"
  | "natsExporter"
  | "cadvisor"
  | "loki"
> {
  return {
    gateways: names.gateways.map((a) => `${a}:${SERVICE_PORTS.gateway}`),
    routers: names.routers.map((a) => `${a}:${SERVICE_PORTS.router}`),
    natsMonitors: names.nats.map((n) => `http://${n}:${NATS_MONITOR_PORT}`),
    gatewayProbes: names.gateways.map((a) => `http://${a}:${SERVICE_PORTS.gateway}`),
    scrapeIntervalSeconds: o.scrapeIntervalSeconds,
    alertWebhookUrl: o.alertWebhookUrl,
    prometheus: o.prometheus,
    alertmanager: o.alertmanager,
    blackbox: o.blackbox,
    grafana: o.grafana.enabled ? o.grafana : undefined,
    natsExporter: o.natsExporter.enabled ? o.natsExporter : undefined,
    cadvisor: o.cadvisor.enabled ? o.cadvisor : undefined,
    loki: o.loki.enabled ? o.loki : undefined,
  };
}

/** The smoke test's bearer token: the validation tenant's, a secret (undefined without tokens). */
export function validationToken({ config, tenantTokens }: LoadedConfig): pulumi.Output<string> | undefined {
  return tenantTokens && pulumi.secret(tenantTokens.apply((t) => t[config.validation.tenant]));
}

/** The `validation` output: the smoke test's exit code and log tail (undefined without the job). */
export function validationResult(
  job: ValidationJob | undefined,
): pulumi.Output<NonNullable<StackOutputs["validation"]>> | undefined {
  return job
    ? pulumi.all([job.exitCode, job.logTail]).apply(([exitCode, logTail]) => ({ exitCode, logTail }))
    : undefined;
}
