/** Job names the generated alerts select on; components must scrape with exactly these. */
export declare const SCRAPE_JOBS: {
    readonly gateway: "gateway";
    readonly router: "router";
    readonly prometheus: "prometheus";
    readonly alertmanager: "alertmanager";
    readonly natsProbe: "blackbox-nats";
    readonly gatewayProbe: "blackbox-gateway";
};
/** The jobs that scrape a Beamline Node service (prom-client default metrics are available there). */
export declare const SERVICE_JOBS: readonly ["gateway", "router"];
