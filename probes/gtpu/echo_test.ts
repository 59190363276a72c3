import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fromHex, toHex } from "../_wire/hex.ts";
import { assertOnlyDecodeErrors, itDecodesGoldenVectors } from "../_wire/golden_vectors.ts";
import { decodeEchoRequest, decodeEchoResponse, encodeEchoRequest, encodeEchoResponse } from "./echo.ts";
import { decodeGtpv1Header } from "./gtpv1_header.ts";
import golden from "./testdata/echo.json" with { type: "json" };
import osmo from "./testdata/osmo_ggsn.json" with { type: "json" };

const decoders = { request: (b: Uint8Array) => decodeEchoRequest(b), response: (b: Uint8Array) => decodeEchoResponse(b) };

describe("GTP-U echo golden vectors (testdata/echo.json)", () => {
  itDecodesGoldenVectors(golden, decoders);
});

describe("GTP-U echo captured from osmo-ggsn (testdata/osmo_ggsn.json)", () => {
  itDecodesGoldenVectors(osmo, decoders);
});

describe("encodeEchoRequest()", () => {
  it("produces the docs/protocols.md A2 request bytes", () => {
    assert.equal(toHex(encodeEchoRequest({ sequence: 0xdd68 })), toHex(fromHex("32 01 0004 00000000 dd68 00 00")));
  });
  it("refuses a sequence beyond 16 bits", () => {
    assert.throws(() => encodeEchoRequest({ sequence: 0x10000 }), RangeError);
  });
});

describe("encodeEchoResponse()", () => {
  it("produces the docs/protocols.md A2 response bytes", () => {
    assert.equal(toHex(encodeEchoResponse({ sequence: 0xdd68, recovery: 0 })), toHex(fromHex("32 02 0006 00000000 dd68 00 00 0e 00")));
  });
});

describe("decodeGtpv1Header()", () => {
  it("lists the extension header types it walked", () => {
    const { header } = decodeGtpv1Header(fromHex("36 02 000a 00000000 dd68 00 85 01 aabb 00 0e 07"), "GTP-U");
    assert.deepEqual(header.extensionHeaderTypes, [0x85]);
    assert.equal(header.sequence, 0xdd68);
  });
});

describe("GTP-U decoders on arbitrary input (fast-check)", () => {
  const seeds = golden.vectors.map((v) => fromHex(v.hex));
  for (const [name, decode] of Object.entries(decoders)) {
    it(`${name} throws only DecodeError`, () => assertOnlyDecodeErrors(decode, seeds));
  }
});
