import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeGrouped, decodeMessage, encodeMessage } from "./message.ts";
import { readAnswer } from "./base.ts";
import { readAddress, readU32, readUtf8, groupedAvp, u32Avp } from "./avp.ts";
import { DecodeError } from "../errors.ts";
import { fromHex, toHex } from "../_wire/hex.ts";
import golden from "./testdata/freediameter.json" with { type: "json" };

function value(code: number, avp: Parameters<typeof readU32>[0]): string {
  if ([264, 296, 269, 281].includes(code)) return readUtf8(avp);
  if (code === 257) return Array.from(avp.data, (b) => b.toString(16).padStart(2, "0")).join(":");
  return String(readU32(avp));
}

describe("decodeMessage() on freeDiameter captures (tshark's dissection as the oracle)", () => {
  for (const g of golden.messages) {
    it(`decodes ${g.name}`, () => {
      const m = decodeMessage(fromHex(g.hex));
      assert.equal(m.flags, g.expected.flags);
      assert.equal(m.commandCode, g.expected.commandCode);
      assert.equal(m.applicationId, g.expected.applicationId);
      assert.equal(m.hopByHop, g.expected.hopByHop);
      assert.equal(m.endToEnd, g.expected.endToEnd);
      assert.deepEqual(
        m.avps.map((a) => ({ code: a.code, flags: a.flags, length: 8 + a.data.length, value: value(a.code, a) })),
        g.expected.avps,
      );
    });
    it(`re-encodes ${g.name} to the captured bytes`, () => {
      assert.equal(toHex(encodeMessage(decodeMessage(fromHex(g.hex)))), g.hex);
    });
  }
  it("reads freeDiameter's CEA 3010 as UNKNOWN_PEER with its Error-Message", () => {
    const info = readAnswer(decodeMessage(fromHex(golden.messages[1].hex)), 257);
    assert.equal(info.resultCode, 3010);
    assert.equal(info.resultName, "UNKNOWN_PEER");
    assert.equal(info.errorMessage, "DIAMETER_UNKNOWN_PEER");
    assert.equal(info.originStateId, 1795530581);
  });
  it("reads freeDiameter's Host-IP-Address", () => {
    const info = readAnswer(decodeMessage(fromHex(golden.messages[0].hex)), 257);
    assert.deepEqual(info.hostIpAddresses, ["192.0.2.2"]);
    assert.equal(info.productName, "freeDiameter");
  });
});

describe("decodeMessage() rejects malformed input", () => {
  const dwa = fromHex(golden.messages[2].hex);
  it("a version other than 1", () => {
    const b = dwa.slice();
    b[0] = 2;
    assert.throws(() => decodeMessage(b), /version 2/);
  });
  it("a Message Length that disagrees with the bytes", () => {
    assert.throws(() => decodeMessage(dwa.subarray(0, dwa.length - 4)), /Message Length 88 but 84/);
  });
  it("an AVP length below its header", () => {
    const b = dwa.slice();
    b[20 + 7] = 4; // Result-Code AVP length 4
    assert.throws(() => decodeMessage(b), /length 4 is below its 8-octet header/);
  });
  it("an AVP length past the end of the message", () => {
    const b = dwa.slice();
    b[20 + 7] = 200;
    assert.throws(() => decodeMessage(b), /exceeds the 68 octets left/);
  });
  it("an AVP whose padding is cut off", () => {
    // Origin-Host (length 22) as the last AVP, with its 2 padding octets missing.
    const hex = "0100002a" + "00000118" + "00000000" + "00000001" + "00000002" + "0000010840000016" + toHex(new TextEncoder().encode("fd.localdomain"));
    const b = fromHex(hex);
    assert.throws(() => decodeMessage(b), DecodeError);
  });
  it("a Result-Code whose data is not 4 octets", () => {
    const m = decodeMessage(dwa);
    assert.throws(() => readU32({ ...m.avps[0], data: m.avps[0].data.subarray(0, 3) }), /needs 4 octets/);
  });
  it("an answer with no Result-Code", () => {
    const m = decodeMessage(dwa);
    assert.throws(() => readAnswer({ ...m, avps: m.avps.slice(1) }, 280), /no Result-Code/);
  });
  it("throws only DecodeError on arbitrary bytes (property)", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      try {
        decodeMessage(b);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
      }
    }), { numRuns: 1000 });
  });
  it("throws only DecodeError on mutations of a real DWA (property)", () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(dwa.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (muts) => {
      const b = dwa.slice();
      for (const [i, v] of muts) b[i] = v;
      try {
        const m = decodeMessage(b);
        for (const a of m.avps) if (a.code === 268) readU32(a);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
      }
    }), { numRuns: 1000 });
  });
});

describe("encodeMessage() / decodeMessage() round trip (property)", () => {
  it("keeps header fields and AVPs, and pads to 4", () => {
    const avp = fc.record({
      code: fc.integer({ min: 1, max: 0xffff }),
      flags: fc.constantFrom(0, 0x40),
      vendorId: fc.option(fc.integer({ min: 1, max: 0xffffff }), { nil: undefined }),
      data: fc.uint8Array({ maxLength: 23 }),
    }).map((a) => a.vendorId === undefined ? { code: a.code, flags: a.flags, data: a.data } : { code: a.code, flags: a.flags | 0x80, vendorId: a.vendorId, data: a.data });
    fc.assert(fc.property(
      fc.record({
        flags: fc.constantFrom(0, 0x80, 0xc0, 0x20),
        commandCode: fc.integer({ min: 0, max: 0xffffff }),
        applicationId: fc.nat(),
        hopByHop: fc.nat(),
        endToEnd: fc.nat(),
        avps: fc.array(avp, { maxLength: 6 }),
      }),
      (m) => {
        const bytes = encodeMessage(m);
        assert.equal(bytes.length % 4, 0);
        assert.deepEqual(decodeMessage(bytes), { ...m, avps: m.avps.map((a) => ({ ...a })) });
      },
    ));
  });
});

describe("Grouped AVPs", () => {
  it("decode their members and tolerate a last member without padding (§4.4)", () => {
    const g = groupedAvp(260, [u32Avp(266, 10415), u32Avp(258, 16777251)]);
    assert.deepEqual(decodeGrouped(g).map((a) => readU32(a)), [10415, 16777251]);
    const unpadded = { ...g, data: fromHex("0000010c40000009" + "41") };
    assert.equal(decodeGrouped(unpadded)[0].data.length, 1);
  });
});

describe("readAddress()", () => {
  it("reads IPv4 and compresses IPv6", () => {
    assert.equal(readAddress({ code: 257, flags: 0x40, data: fromHex("0001 7f000001") }), "127.0.0.1");
    assert.equal(readAddress({ code: 257, flags: 0x40, data: fromHex("0002 00000000000000000000000000000001") }), "::1");
    assert.equal(readAddress({ code: 257, flags: 0x40, data: fromHex("0002 20010db8000000000001000000000002") }), "2001:db8::1:0:0:2");
    assert.throws(() => readAddress({ code: 257, flags: 0x40, data: fromHex("0001 7f00") }), DecodeError);
  });
});
