/** @module The collector's NOC dashboard: a single page bundled at build time and served from memory. */
export { dashboardAssetPaths, dashboardPage, dashboardRoutes, type DashboardRoutesOptions } from "./dashboard_routes.ts";
