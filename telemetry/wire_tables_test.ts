import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  FAILURE_KINDS,
  PROBE_STATE_BY_CODE,
  PROBE_STATE_CODES,
  PROBE_STATES,
  PROBE_STATUS_BY_CODE,
  PROBE_STATUS_CODES,
  VERDICT_BY_CODE,
  VERDICT_CODES,
  VERDICTS,
} from "./wire_tables.ts";

// The frozen wire codes, written out by hand: changing one of these is a new wire version.
const GOLDEN = {
  status: { ok: 0, timeout: 1, unreachable: 2, refused: 3, malformed: 4, rejected: 5, local: 6 },
  state: { unknown: 0, healthy: 1, unhealthy: 2 },
  verdict: { UP: 0, DEGRADED: 1, DOWN: 2 },
};

/** "0 = ok, 1 timeout, ..." or "0 unknown, 1 healthy, ..." from a row of docs/telemetry.md's record table. */
function codesInDocRow(code: number, record: string): Record<string, number> {
  const doc = readFileSync(new URL("../docs/telemetry.md", import.meta.url), "utf8");
  const row = doc.split("\n").find((l) => l.startsWith(`| ${code} | ${record} |`));
  assert.ok(row, `docs/telemetry.md has the row "${code} | ${record}"`);
  const out: Record<string, number> = {};
  for (const m of row.split("|")[3].matchAll(/\b(\d) (?:= )?([A-Za-z]+)\b/g)) out[m[2]] = Number(m[1]);
  return out;
}

describe("telemetry wire tables", () => {
  it("keeps the frozen codes", () => {
    assert.deepEqual({ ...PROBE_STATUS_CODES }, GOLDEN.status);
    assert.deepEqual({ ...PROBE_STATE_CODES }, GOLDEN.state);
    assert.deepEqual({ ...VERDICT_CODES }, GOLDEN.verdict);
  });
  it("agrees with the record table in docs/telemetry.md", () => {
    assert.deepEqual(codesInDocRow(1, "probe result"), GOLDEN.status);
    assert.deepEqual(codesInDocRow(2, "state change"), GOLDEN.state);
    assert.deepEqual(codesInDocRow(3, "verdict change"), GOLDEN.verdict);
  });
  it("gives every listed name a code and decodes every code back", () => {
    for (const k of FAILURE_KINDS) assert.equal(PROBE_STATUS_BY_CODE.get(PROBE_STATUS_CODES[k]), k);
    for (const s of PROBE_STATES) assert.equal(PROBE_STATE_BY_CODE.get(PROBE_STATE_CODES[s]), s);
    for (const v of VERDICTS) assert.equal(VERDICT_BY_CODE.get(VERDICT_CODES[v]), v);
    assert.equal(Object.keys(PROBE_STATUS_CODES).length, FAILURE_KINDS.length + 1);
    assert.equal(new Set(Object.values(PROBE_STATUS_CODES)).size, FAILURE_KINDS.length + 1);
  });
  it("does not decode a code it does not know", () => {
    assert.equal(PROBE_STATUS_BY_CODE.get(7), undefined);
    assert.equal(PROBE_STATE_BY_CODE.get(3), undefined);
    assert.equal(VERDICT_BY_CODE.get(-1), undefined);
  });
});
