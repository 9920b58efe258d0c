export declare const PROMETHEUS_DATASOURCE_UID = "prometheus";
export interface PanelQuery {
    expr: string;
    legend?: string;
    /** Like PanelSpec.mayBeEmpty, for one query of a panel that mixes sources. */
    mayBeEmpty?: string;
}
export interface PanelSpec {
    title: string;
    description?: string;
    kind: "timeseries" | "stat";
    unit: string;
    queries: PanelQuery[];
    /**
     * Why this panel may legitimately return no series on a healthy system (e.g. cAdvisor metrics that
     * only exist where the platform exposes them). The live test then asserts acceptance only.
     */
    mayBeEmpty?: string;
}
export interface RowSpec {
    title: string;
    panels: PanelSpec[];
}
export interface DashboardSpec {
    uid: string;
    title: string;
    file: string;
    rows: RowSpec[];
}
export declare const DASHBOARDS: readonly DashboardSpec[];
/** One dashboard as Grafana JSON (an object; renderDashboards serialises it). */
export declare function buildDashboard(spec: DashboardSpec): unknown;
export interface RenderedDashboard {
    name: string;
    content: string;
}
export declare function renderDashboardFiles(): RenderedDashboard[];
/** Every panel query, flattened, for tests and documentation. */
export declare function allPanelQueries(): {
    dashboard: string;
    panel: string;
    expr: string;
    mayBeEmpty?: string;
}[];
