import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { formatIssues } from "./zod_issues.ts";
import { otelConfigSchema } from "./otel_config.ts";

function problems(input: unknown): string[] {
  const r = otelConfigSchema.safeParse(input);
  return r.success ? [] : formatIssues(r.error, input, ["otel"]);
}

describe("otelConfigSchema", () => {
  it("fills the documented defaults", () => {
    assert.deepEqual(otelConfigSchema.parse({}), {
      endpoint: "http://127.0.0.1:4318",
      headers: {},
      interval: 10_000,
      timeout: 5000,
      compression: "none",
      attributes: {},
      traces: true,
      metrics: true,
    });
  });
  it("takes durations as text and headers as strings", () => {
    const c = otelConfigSchema.parse({ endpoint: "https://otel.noc:4318/", interval: "30s", timeout: "2s", headers: { authorization: "Bearer x" }, serviceName: "ep" });
    assert.equal(c.interval, 30_000);
    assert.equal(c.timeout, 2000);
    assert.equal(c.serviceName, "ep");
  });
  it("names the field of every problem", () => {
    assert.deepEqual(problems({ endpoint: "ftp://x", interval: "soon", extra: 1 }), [
      'otel.endpoint: expected an http:// or https:// URL such as http://127.0.0.1:4318, got "ftp://x"',
      'otel.interval: expected a duration such as 5s, got "soon"',
      "otel.extra: unknown key (check the spelling; allowed keys are listed in docs/config.md)",
    ]);
  });
  it("refuses an export timeout longer than the interval", () => {
    assert.deepEqual(problems({ interval: "1s", timeout: "2s" }), ["otel.timeout: expected at most the interval (1000ms), got 2000ms"]);
  });
  it("takes tls only with an https endpoint, and cert with key", () => {
    assert.deepEqual(problems({ endpoint: "http://x:4318", tls: { ca: "/ca.pem" } }), ['otel.tls: expected an https:// endpoint when tls is set, got {"ca":"/ca.pem"}']);
    assert.deepEqual(problems({ endpoint: "https://x:4318", tls: { cert: "/c.pem" } }), ['otel.tls: expected cert and key together, got {"cert":"/c.pem"}']);
    assert.deepEqual(problems({ endpoint: "https://x:4318", tls: { ca: "/ca.pem", cert: "/c.pem", key: "/k.pem" } }), []);
  });
});
