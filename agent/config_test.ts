import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ConfigError, parseAgentConfig } from "./config.ts";
import { parseConfigText } from "./strict_yaml.ts";
import { telemetrySchema } from "../telemetry/telemetry_config.ts";
import { formatIssues } from "../common/zod_issues.ts";

const dir = new URL("./testdata/", import.meta.url);
const load = (file: string, env: Record<string, string> = {}) =>
  parseAgentConfig(parseConfigText(readFileSync(new URL(file, dir), "utf8"), file), file, { env, hostname: "host-1" });
const problems = (file: string, env: Record<string, string> = {}) => {
  try {
    load(file, env);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems;
  }
  assert.fail(`${file} was accepted`);
};

describe("parseAgentConfig()", () => {
  it("bounds every timer duration and names the field, the bound and the value", () => {
    const ps = (() => {
      try {
        load("invalid-bounds.yaml");
      } catch (e) {
        return (e as ConfigError).problems;
      }
      assert.fail("accepted");
    })();
    assert.deepEqual([...ps].sort(), [
      "health.drainTimeout: must be at most 10m, got 11m",
      "probes[0].interval: must be at most 24h, got 2147483648ms",
      "probes[0].timeout: must be at most 10m, got 11m",
      "probes[1].interval: must be at least 10ms, got 0ms",
      "server.limits.idleTimeout: must be at most 1h, got 2h",
    ].sort());
    const telemetry = { collector: "http://127.0.0.1:9400", batch: { interval: "2m" }, backoff: { max: "600h" } };
    assert.deepEqual(formatIssues(telemetrySchema.safeParse(telemetry).error!, telemetry, ["telemetry"]).sort(), [
      "telemetry.backoff.max: must be at most 1h, got 600h",
      "telemetry.batch.interval: must be at most 1m, got 2m",
    ]);
  });

  it("reads the design.md example with durations, jitter and limits", () => {
    const c = load("good.yaml");
    assert.equal(c.agent.id, "upf-17");
    assert.deepEqual(c.server.listen, { host: "127.0.0.1", port: 0 });
    assert.equal(c.server.limits.headerTimeout, 2000);
    assert.equal(c.probes[0].interval, 5000);
    assert.equal(c.probes[0].jitter, 0.1);
    assert.equal(c.probes[0].interface, "N4");
    // The tcp probe's defaults, now with its abortive close (docs/config.md "TCP close").
    assert.deepEqual(c.probes[0].options, { tls: false, verify: true, close: "reset" });
  });
  it("defaults the agent id to the hostname", () => {
    assert.equal(parseAgentConfig({}, "x", { env: {}, hostname: "edge-9" }).agent.id, "edge-9");
  });
  it("names the path and the value of a bad duration", () => {
    assert.deepEqual(problems("invalid-interval.yaml"), ['probes[2].interval: expected a duration such as 5s, got "5 sec"']);
  });
  it("refuses a typo as an unknown key", () => {
    assert.deepEqual(problems("invalid-typo.yaml"), [
      "probes[0].intervall: unknown key (check the spelling; allowed keys are listed in docs/config.md)",
    ]);
  });
  it("checks kinds, duplicate names and per-kind options", () => {
    const p = problems("invalid-kind.yaml");
    assert.match(p[0], /^probes\[0\]\.kind: unknown kind "pfcpp" \(known: .*tcp/);
    assert.equal(p[1], 'probes[1].name: duplicate probe name "a"');
    assert.equal(p.length, 3);
    assert.match(p[2], /^probes\[1\]\.options\.tls: .*boolean.*got "yes"$/);
  });
  it("names unset environment variables and never prints a secret", () => {
    const p = problems("invalid-env.yaml");
    assert.deepEqual(p, [
      "agent.id: environment variable EDGEPROBE_TEST_UNSET_ID is not set",
      "telemetry.token: environment variable EDGEPROBE_TEST_UNSET_TOKEN is not set",
    ]);
    const c = load("invalid-env.yaml", { EDGEPROBE_TEST_UNSET_ID: "n7", EDGEPROBE_TEST_UNSET_TOKEN: "s3cret" });
    assert.equal(c.agent.id, "n7");
  });
  it("reports a YAML syntax error with its line", () => {
    assert.throws(() => parseConfigText("probes:\n  - name: a\n   kind: x\n", "bad.yaml"), (e) => e instanceof ConfigError && /line 3/.test(e.message));
  });
});
