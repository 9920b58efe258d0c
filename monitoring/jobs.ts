/** Job names the generated alerts select on; components must scrape with exactly these. */
export const SCRAPE_JOBS = {
  gateway: "gateway",
  router: "router",
  prometheus: "prometheus",
  alertmanager: "alertmanager",
  natsProbe: "blackbox-nats",
  gatewayProbe: "blackbox-gateway",
} as const;

/** The jobs that scrape a Beamline Node service (prom-client default metrics are available there). */
export const SERVICE_JOBS = [SCRAPE_JOBS.gateway, SCRAPE_JOBS.router] as const;
