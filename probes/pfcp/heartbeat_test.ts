import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fromHex, toHex } from "../_wire/hex.ts";
import { assertOnlyDecodeErrors, itDecodesGoldenVectors } from "../_wire/golden_vectors.ts";
import {
  decodeHeartbeatReply,
  decodeHeartbeatRequest,
  decodeHeartbeatResponse,
  encodeHeartbeatRequest,
  encodeHeartbeatResponse,
  encodeVersionNotSupportedResponse,
  peekPfcpRequest,
} from "./heartbeat.ts";
import golden from "./testdata/heartbeat.json" with { type: "json" };

const decoders = { request: decodeHeartbeatRequest, response: decodeHeartbeatResponse, reply: decodeHeartbeatReply };

describe("PFCP heartbeat golden vectors (testdata/heartbeat.json)", () => {
  itDecodesGoldenVectors(golden, decoders);
});

describe("encodeHeartbeatRequest()", () => {
  it("produces the docs/protocols.md A1 request bytes", () => {
    assert.equal(toHex(encodeHeartbeatRequest({ sequence: 0x46845f, recoveryTimeStamp: 0xeeb00447 })), toHex(fromHex("20 01 000c 46845f 00 0060 0004 eeb00447")));
  });
  it("produces the docs/protocols.md A1 response bytes", () => {
    assert.equal(toHex(encodeHeartbeatResponse({ sequence: 0x46845f, recoveryTimeStamp: 0xeeb00432 })), "2002000c46845f0000600004eeb00432");
  });
  it("refuses a sequence beyond 24 bits", () => {
    assert.throws(() => encodeHeartbeatRequest({ sequence: 0x1000000, recoveryTimeStamp: 1 }), RangeError);
  });
  it("refuses a recovery time stamp beyond 32 bits", () => {
    assert.throws(() => encodeHeartbeatRequest({ sequence: 1, recoveryTimeStamp: 2 ** 32 }), RangeError);
  });
});

describe("encodeVersionNotSupportedResponse()", () => {
  it("is a bare header with the request's sequence", () => {
    assert.equal(toHex(encodeVersionNotSupportedResponse(0x46845f)), "200b000446845f00");
  });
});

describe("peekPfcpRequest()", () => {
  it("reads the version and sequence of a request of another version", () => {
    assert.deepEqual(peekPfcpRequest(fromHex("40 01 000c 000007 00 0060 0004 eeb00447")), { version: 2, messageType: 1, sequence: 7 });
  });
});

describe("PFCP decoders on arbitrary input (fast-check)", () => {
  const seeds = golden.vectors.map((v) => fromHex(v.hex));
  for (const [name, decode] of Object.entries({ ...decoders, peek: peekPfcpRequest })) {
    it(`${name} throws only DecodeError`, () => assertOnlyDecodeErrors(decode, seeds));
  }
});
