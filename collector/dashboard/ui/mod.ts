/**
 * @module The NOC dashboard page (browser code). main.ts is the bundle entry
 * (scripts/build_dashboard.ts); fleet_model.ts is its pure, tested model.
 */
export * from "./fleet_model.ts";
