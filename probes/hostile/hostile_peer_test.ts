import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { HOSTILE_MODES, hostileReply, hostileShapes } from "./mod.ts";
import { encodeEchoRequest } from "../gtpu/echo.ts";
import { decodeGtpcEchoReply } from "../gtpc/echo_reply.ts";
import { DecodeError } from "../errors.ts";

describe("hostileReply()", () => {
  const gtpu = hostileShapes.gtpu;
  const req = encodeEchoRequest({ sequence: 0x1234 });

  it("GTP-U: wrong-seq changes only the sequence; huge declares 65535 octets; half is half; silent says nothing", () => {
    const good = gtpu.answer(req);
    const wrong = hostileReply(gtpu, "wrong-seq", req)!;
    assert.equal(wrong.length, good.length);
    assert.deepEqual([...wrong].map((b, i) => (b === good[i] ? "=" : i)).filter((x) => x !== "="), [8, 9]);
    assert.deepEqual([...hostileReply(gtpu, "huge", req)!.subarray(2, 4)], [0xff, 0xff]);
    assert.equal(hostileReply(gtpu, "half", req)!.length, Math.floor(good.length / 2));
    assert.equal(hostileReply(gtpu, "silent", req), undefined);
    assert.equal(hostileReply(gtpu, "garbage", req, () => 0.5)!.length, 64);
  });

  it("garbage never reads as a GTP-C Version Not Supported, whatever the random octets (type 3 with version 7 did: `rejected`)", () => {
    for (const octet of [0, 3, 0x32, 0x48, 0xff]) {
      const g = hostileReply(hostileShapes.gtpc, "garbage", req, () => octet / 256)!;
      assert.deepEqual([g[0], g[1]], [0xff, 0], "version 7, reserved message type 0");
      for (const version of [1, 2] as const) assert.throws(() => decodeGtpcEchoReply(g, version), DecodeError);
    }
  });

  it("every kind has a shape that answers a request in every mode without throwing on its own answers", () => {
    for (const [kind, shape] of Object.entries(hostileShapes)) {
      assert.ok(shape.transport === "udp" || typeof shape.requestLength === "function", `${kind}: a stream kind knows where a request ends`);
    }
    assert.deepEqual([...HOSTILE_MODES], ["garbage", "half", "huge", "wrong-seq", "silent"]);
  });

  it("HTTP/1.1 huge declares 4 GiB, and a request ends after its head and body", () => {
    const h = new TextDecoder().decode(hostileShapes.http.huge(hostileShapes.http.answer(new Uint8Array())));
    assert.match(h, /content-length: 4294967296\r\n/);
    assert.equal(hostileShapes.http.requestLength!(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n")), 27);
    assert.equal(hostileShapes.http.requestLength!(new TextEncoder().encode("POST / HTTP/1.1\r\ncontent-length: 3\r\n\r\nab")), undefined);
  });
});
