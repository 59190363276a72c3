/**
 * @module Paths of every kind of read the collector serves (design.md "Collector" plus the
 * dashboard): none of them may answer without credentials unless `auth.publicRead` says so.
 * Tests walk this list (collector/read_auth_test.ts, tests/collector/hostile_agent_test.ts).
 */
export const READ_ROUTE_SAMPLES: readonly string[] = [
  "/",
  "/index.html",
  "/assets/0123.js",
  "/api/v1/fleet",
  "/api/v1/fleet/grid",
  "/api/v1/nodes/upf-1",
  "/api/v1/nodes/upf-1/probes/n4/history",
  "/api/v1/probes/n4/latency",
  "/api/v1/events",
  "/api/v1/events?types=grid,alarm",
  "/api/v1/whoami",
  "/metrics",
  "/api/v1/alarms",
  "/api/v1/alarms/0f6a2c1e",
  "/api/v1/alarms-history",
  "/api/v1/maintenance",
  "/api/v1/nodes/upf-1/availability",
  "/no/such/route",
];
