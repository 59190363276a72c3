import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { diameterReflector } from "./reflector.ts";
import { buildCer, buildDwr, type PeerIdentity } from "./base.ts";
import { DiameterFramer } from "./framer.ts";
import { decodeMessage, type DiameterMessage, encodeMessage } from "./message.ts";
import { readU32 } from "./avp.ts";
import { nodeNet } from "../../runtime/node_net.ts";
import type { ReflectorHandle } from "../types.ts";

const env = { net: nodeNet, now: () => Date.now(), log: () => {} };
const me: PeerIdentity = { originHost: "t.localdomain", originRealm: "localdomain", hostIpAddresses: ["127.0.0.1"], vendorId: 0, productName: "t" };

/** Send `msgs` on a fresh connection; collect answers until the reflector closes or 300 ms pass. */
function exchange(port: number, msgs: DiameterMessage[]): Promise<{ answers: DiameterMessage[]; closed: boolean }> {
  return new Promise((resolve) => {
    const answers: DiameterMessage[] = [];
    const f = new DiameterFramer();
    const s = net.connect(port, "127.0.0.1", () => {
      for (const m of msgs) s.write(encodeMessage(m));
    });
    const t = setTimeout(() => {
      s.destroy();
      resolve({ answers, closed: false });
    }, 300);
    s.on("data", (d: Buffer) => answers.push(...f.push(new Uint8Array(d)).map(decodeMessage)));
    s.on("close", () => {
      clearTimeout(t);
      resolve({ answers, closed: true });
    });
    s.on("error", () => {});
  });
}

const resultCode = (m: DiameterMessage) => readU32(m.avps.find((a) => a.code === 268)!);

describe("diameter reflector", () => {
  let h: ReflectorHandle;
  before(async () => {
    h = await diameterReflector.start({ listen: "127.0.0.1:21170", recovery: 42, extra: {} }, env);
  });
  after(() => h.close());

  it("answers CER then DWR with 2001 and its Origin-State-Id", async () => {
    const r = await exchange(21170, [buildCer(me, { hopByHop: 1, endToEnd: 1 }), buildDwr(me, { hopByHop: 2, endToEnd: 2 })]);
    assert.deepEqual(r.answers.map((a) => [a.commandCode, a.hopByHop, resultCode(a)]), [[257, 1, 2001], [280, 2, 2001]]);
    assert.equal(readU32(r.answers[1].avps.find((a) => a.code === 278)!), 42);
  });
  it("closes a connection whose first message is not a CER (RFC 6733 §5.3)", async () => {
    const r = await exchange(21170, [buildDwr(me, { hopByHop: 3, endToEnd: 3 })]);
    assert.deepEqual(r.answers, []);
    assert.equal(r.closed, true);
  });
  it("answers an unknown command with 3001 and the E bit", async () => {
    const other = { ...buildDwr(me, { hopByHop: 5, endToEnd: 5 }), commandCode: 999 };
    const r = await exchange(21170, [buildCer(me, { hopByHop: 4, endToEnd: 4 }), other]);
    assert.equal(r.answers[1].flags, 0x20);
    assert.equal(resultCode(r.answers[1]), 3001);
  });
  it("moves Origin-State-Id on restart() and drops connections", async () => {
    h.restart();
    const r = await exchange(21170, [buildCer(me, { hopByHop: 6, endToEnd: 6 })]);
    assert.equal(readU32(r.answers[0].avps.find((a) => a.code === 278)!), 43);
  });
});
