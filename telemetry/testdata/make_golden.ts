/**
 * Writes telemetry/testdata/batches.json. The wire arrays below are written by hand from the
 * field table in docs/telemetry.md and serialised by cborg (an encoder independent of cbor-x,
 * which our codec uses); `expected` is the decoded record model, also written by hand.
 * Run once: `bun telemetry/testdata/make_golden.ts`. Never regenerate from telemetry/codec.ts.
 */
import { encode } from "cborg";
import { writeFileSync } from "node:fs";

const T0 = 1764000000000; // 2025-11-24T16:00:00Z
const hex = (v: unknown) => Buffer.from(encode(v)).toString("hex");
const SOURCE = "hand-written from the docs/telemetry.md field table; bytes by cborg 6.1.5 encode (independent of cbor-x)";

const vectors = [
  {
    name: "three PFCP probe results, second and third reuse facts (true), one timeout with message",
    wire: [1, "upf-17", "b7e1", 41, T0, ["smf-n4", "pfcp", "recoveryTimeStamp", "Cannot receive PFCP Heartbeat Response: no answer in 2000 ms"], [
      [1, 0, 0, 1, 1234, 0, [2, 3900000000]],
      [1, 5000, 0, 1, 1180, 0, true],
      [1, 5003, 0, 1, 2000000, 1, true, 3],
    ]],
    expected: {
      agentId: "upf-17", bootId: "b7e1", records: [
        { type: "probe", at: T0, probe: "smf-n4", kind: "pfcp", ok: true, latencyUs: 1234, facts: { recoveryTimeStamp: 3900000000 }, seq: 41 },
        { type: "probe", at: T0 + 5000, probe: "smf-n4", kind: "pfcp", ok: true, latencyUs: 1180, facts: { recoveryTimeStamp: 3900000000 }, seq: 42 },
        { type: "probe", at: T0 + 10003, probe: "smf-n4", kind: "pfcp", ok: false, latencyUs: 2000000, failure: { kind: "timeout", message: "Cannot receive PFCP Heartbeat Response: no answer in 2000 ms" }, facts: { recoveryTimeStamp: 3900000000 }, seq: 43 },
      ],
    },
  },
  {
    name: "rejected SIP probe with reason and no facts, then state and verdict change",
    wire: [1, "mec-7", "00ff", 1, T0, ["sip-pcscf", "sip", "SIP 503 Service Unavailable", "503"], [
      [1, 0, 0, 1, 850, 5, null, 2, 3],
      [2, 1, 0, 1, 2],
      [3, 0, 0, 2, [0]],
    ]],
    expected: {
      agentId: "mec-7", bootId: "00ff", records: [
        { type: "probe", at: T0, probe: "sip-pcscf", kind: "sip", ok: false, latencyUs: 850, failure: { kind: "rejected", message: "SIP 503 Service Unavailable", reason: "503" }, seq: 1 },
        { type: "state", at: T0 + 1, probe: "sip-pcscf", from: "healthy", to: "unhealthy", seq: 2 },
        { type: "verdict", at: T0 + 1, from: "UP", to: "DOWN", causes: ["sip-pcscf"], seq: 3 },
      ],
    },
  },
  {
    name: "agent start with labels, peer restart, config reload, spool drop, agent stop",
    wire: [1, "upf-17", "c0de", 1, T0, ["smf-n4", "recoveryTimeStamp", "gtpu-n3"], [
      [7, 0, "0.1.0", { role: "upf", site: "mec-7", region: "north" }],
      [4, 20, 0, [1, 3900000100]],
      [5, 30, [2], [], [0]],
      [6, -10, 1200, 65536],
      [8, 100, "SIGTERM"],
    ]],
    expected: {
      agentId: "upf-17", bootId: "c0de", records: [
        { type: "agent-start", at: T0, version: "0.1.0", labels: { role: "upf", site: "mec-7", region: "north" }, seq: 1 },
        { type: "peer-restart", at: T0 + 20, probe: "smf-n4", detail: { recoveryTimeStamp: 3900000100 }, seq: 2 },
        { type: "config-reload", at: T0 + 50, added: ["gtpu-n3"], removed: [], changed: ["smf-n4"], seq: 3 },
        { type: "spool-drop", at: T0 + 40, records: 1200, bytes: 65536, seq: 4 },
        { type: "agent-stop", at: T0 + 140, reason: "SIGTERM", seq: 5 },
      ],
    },
  },
  {
    name: "empty batch (a keep-alive / ack query)",
    wire: [1, "upf-17", "b7e1", 0, 0, [], []],
    expected: { agentId: "upf-17", bootId: "b7e1", records: [] },
  },
];

const mustFail = [
  { name: "unknown wire version 2", wire: [2, "upf-17", "b7e1", 1, T0, [], []], mustFail: "unknown wire version 2" },
  { name: "string reference outside the table", wire: [1, "upf-17", "b7e1", 1, T0, ["a"], [[1, 0, 0, 5, 10, 0]]], mustFail: "string reference 5 is outside the table of 1" },
  { name: "unknown record type 99", wire: [1, "upf-17", "b7e1", 1, T0, [], [[99, 0]]], mustFail: "unknown record type 99" },
  { name: "unknown probe status 9", wire: [1, "upf-17", "b7e1", 1, T0, ["a"], [[1, 0, 0, 0, 10, 9]]], mustFail: "unknown probe status 9" },
  { name: "facts `true` with no previous record of that probe", wire: [1, "upf-17", "b7e1", 1, T0, ["a"], [[1, 0, 0, 0, 10, 0, true]]], mustFail: "refer to a previous record" },
  { name: "negative latency", wire: [1, "upf-17", "b7e1", 1, T0, ["a"], [[1, 0, 0, 0, -1, 0]]], mustFail: "latencyUs" },
  { name: "a map instead of an array", wire: { v: 1 }, mustFail: "expected a CBOR array" },
];

const out = {
  source: SOURCE,
  vectors: vectors.map((v) => ({ name: v.name, source: SOURCE, wire: v.wire, hex: hex(v.wire), expected: v.expected })),
  mustFail: [
    ...mustFail.map((v) => ({ name: v.name, source: SOURCE, wire: v.wire, hex: hex(v.wire), mustFail: v.mustFail })),
    { name: "truncated CBOR (array of 7 with 2 items)", source: "hand-written bytes: 0x87 = array(7), 0x01, 0x66 'upf-17'", hex: "8701667570662d3137", mustFail: "not well-formed CBOR" },
    { name: "CBOR break code alone", source: "RFC 8949 §3.2.1: 0xff outside an indefinite item is not well-formed", hex: "ff", mustFail: "not well-formed CBOR" },
  ],
};
writeFileSync(new URL("./batches.json", import.meta.url), JSON.stringify(out, null, 2) + "\n");
