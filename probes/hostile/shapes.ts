/**
 * @module Per probe kind, what a lying peer needs to know of the protocol (pure): how a request
 * ends on a stream, a well-formed answer, the same answer with the wrong correlation ("right header,
 * wrong sequence"), and a header declaring the largest length the format can hold.
 */
import { pfcpReflectorProtocol } from "../pfcp/reflect.ts";
import { gtpuReflectorProtocol } from "../gtpu/reflect.ts";
import { gtpcReflectorProtocol } from "../gtpc/reflect.ts";
import { answer as sipAnswer } from "../sip/reflector.ts";
import { decodeSipMessage, type SipRequest } from "../sip/message.ts";
import { buildCea, buildDpa, buildDwa, buildUnsupported } from "../diameter/base.ts";
import { CommandCode } from "../diameter/dictionary.ts";
import { decodeMessage, encodeMessage } from "../diameter/message.ts";

export interface HostileShape {
  readonly transport: "udp" | "tcp";
  readonly defaultPort: number;
  /** Stream transports: bytes of the first whole request at the head of `buf`, or undefined until more arrive. */
  requestLength?(buf: Uint8Array): number | undefined;
  /** A well-formed answer to one request; the hostile mode then spoils it. */
  answer(req: Uint8Array): Uint8Array;
  /** The answer with its correlation changed (sequence number, hop-by-hop id, CSeq, DNS id, stream id). */
  wrongSeq(ans: Uint8Array): Uint8Array;
  /** The answer's header declaring the largest length the format holds (4 GiB where it can say so). */
  huge(ans: Uint8Array): Uint8Array;
}

const utf8 = new TextEncoder();
const text = new TextDecoder();
const RECOVERY = 0x12345678;

const setU16 = (b: Uint8Array, at: number, v: number) => new DataView(b.buffer, b.byteOffset, b.byteLength).setUint16(at, v);
const setU32 = (b: Uint8Array, at: number, v: number) => new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(at, v);
const u24 = (b: Uint8Array, at: number) => (b[at] << 16) | (b[at + 1] << 8) | b[at + 2];
const setU24 = (b: Uint8Array, at: number, v: number) => {
  b[at] = (v >>> 16) & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = v & 0xff;
};

/** GTP/PFCP style: a u16 length at byte 2 (at most 64 KiB: the largest such a header can say) and a sequence at `seqAt`. */
function udpHeaderShape(answer: (req: Uint8Array) => Uint8Array, defaultPort: number, seqAt: number, seqBytes: 2 | 3): HostileShape {
  return {
    transport: "udp",
    defaultPort,
    answer,
    wrongSeq(ans) {
      const b = ans.slice();
      if (seqBytes === 2) setU16(b, seqAt, ((b[seqAt] << 8) | b[seqAt + 1]) ^ 0x5555);
      else setU24(b, seqAt, u24(b, seqAt) ^ 0x555555);
      return b;
    },
    huge(ans) {
      const b = ans.slice();
      setU16(b, 2, 0xffff);
      return b;
    },
  };
}

const noAnswer = (what: string) => {
  throw new RangeError(`Cannot answer: the ${what} reflector has nothing to say to this request`);
};

// PFCP (TS 29.244 §7.2.2): node messages carry a 3-byte sequence at octet 5.
const pfcp = udpHeaderShape((r) => pfcpReflectorProtocol.answer(r, RECOVERY) ?? noAnswer("pfcp"), 8805, 4, 3);
// GTP-U (TS 29.281 §5.1): Echo carries S=1, the sequence at octets 9-10.
const gtpu = udpHeaderShape((r) => gtpuReflectorProtocol.answer(r, RECOVERY & 0xff) ?? noAnswer("gtpu"), 2152, 8, 2);
// GTPv2-C (TS 29.274 §5.1): Echo has no TEID, the sequence at octets 5-7.
const gtpcProto = gtpcReflectorProtocol(undefined);
const gtpc = udpHeaderShape((r) => gtpcProto.answer(r, RECOVERY & 0xff) ?? noAnswer("gtpc"), 2123, 4, 3);

/** SIP over UDP (RFC 3261): CSeq correlates; Content-Length declares the body (4 GiB here). */
const sip: HostileShape = {
  transport: "udp",
  defaultPort: 5060,
  answer(req) {
    const m = decodeSipMessage(req) as SipRequest;
    return sipAnswer(m, { address: "127.0.0.1", port: 5060 }, 200) ?? noAnswer("sip");
  },
  wrongSeq: (ans) => utf8.encode(text.decode(ans).replace(/^CSeq:\s*(\d+)/im, (_m, n) => `CSeq: ${Number(n) + 7}`)),
  huge: (ans) => utf8.encode(text.decode(ans).replace(/^Content-Length:\s*\d+/im, "Content-Length: 4294967296")),
};

/** Diameter over TCP (RFC 6733 §3): u24 length at octet 2, hop-by-hop id at octets 13-16. */
const diameterIdentity = { originHost: "hostile.localdomain", originRealm: "localdomain", hostIpAddresses: ["127.0.0.1"], vendorId: 0, productName: "edgeprobe-hostile", originStateId: RECOVERY };
const diameter: HostileShape = {
  transport: "tcp",
  defaultPort: 3868,
  requestLength: (b) => (b.length >= 4 && b.length >= u24(b, 1) ? Math.max(20, u24(b, 1)) : undefined),
  answer(req) {
    const m = decodeMessage(req);
    const a = m.commandCode === CommandCode.CapabilitiesExchange
      ? buildCea(m, diameterIdentity, 2001)
      : m.commandCode === CommandCode.DeviceWatchdog
      ? buildDwa(m, diameterIdentity)
      : m.commandCode === CommandCode.DisconnectPeer
      ? buildDpa(m, diameterIdentity)
      : buildUnsupported(m, diameterIdentity);
    return encodeMessage(a);
  },
  wrongSeq(ans) {
    const b = ans.slice();
    setU32(b, 12, new DataView(b.buffer).getUint32(12) ^ 0x5a5a5a5a);
    return b;
  },
  // The largest length a 24-bit field says: 16 MiB.
  huge(ans) {
    const b = ans.slice();
    setU24(b, 1, 0xffffff);
    return b;
  },
};

/** HTTP/1.1 (RFC 9112): a request ends after its head and Content-Length bytes. */
function http1RequestLength(b: Uint8Array): number | undefined {
  const s = text.decode(b.subarray(0, Math.min(b.length, 65536)));
  const end = s.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const cl = /^content-length:\s*(\d+)/im.exec(s.slice(0, end));
  const total = end + 4 + (cl ? Number(cl[1]) : 0);
  return b.length >= total ? total : undefined;
}
const http1: HostileShape = {
  transport: "tcp",
  defaultPort: 80,
  requestLength: http1RequestLength,
  answer: () => utf8.encode('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 17\r\n\r\n{"health":"true"}'),
  // HTTP/1.1 has no sequence: the nearest lie is an interim answer that never becomes a final one.
  wrongSeq: () => utf8.encode("HTTP/1.1 102 Processing\r\n\r\n".repeat(4)),
  huge: () => utf8.encode("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 4294967296\r\n\r\n{"),
};

/**
 * HTTP/2 with prior knowledge (RFC 9113): a request is the 24-octet preface and frames up to the
 * first HEADERS; the answer is SETTINGS, SETTINGS ack and HEADERS `:status 204` (HPACK static
 * index 9, RFC 7541 Appendix A) on the client's stream.
 */
const PREFACE = 24;
/** The client preface starts "PRI * HTTP/2.0" (RFC 9113 §3.4); later requests on the connection have none. */
const hasPreface = (b: Uint8Array) => b.length >= 3 && b[0] === 0x50 && b[1] === 0x52 && b[2] === 0x49;
function h2FirstHeaders(b: Uint8Array): { end: number; stream: number } | undefined {
  if (hasPreface(b) && b.length < PREFACE) return undefined;
  let off = hasPreface(b) ? PREFACE : 0;
  while (b.length >= off + 9) {
    const len = u24(b, off);
    const type = b[off + 3];
    const stream = new DataView(b.buffer, b.byteOffset).getUint32(off + 5) & 0x7fffffff;
    if (b.length < off + 9 + len) return undefined;
    off += 9 + len;
    if (type === 0x1) return { end: off, stream };
  }
  return undefined;
}
const frame = (type: number, flags: number, stream: number, payload: number[]) => {
  const f = new Uint8Array(9 + payload.length);
  setU24(f, 0, payload.length);
  f[3] = type;
  f[4] = flags;
  setU32(f, 5, stream);
  f.set(payload, 9);
  return f;
};
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), o += p.length);
  return out;
};
const h2: HostileShape = {
  transport: "tcp",
  defaultPort: 29510,
  requestLength: (b) => h2FirstHeaders(b)?.end,
  answer: (req) => {
    const headers = frame(0x1, 0x5, h2FirstHeaders(req)?.stream ?? 1, [0x89]);
    return hasPreface(req) ? concat(frame(0x4, 0, 0, []), frame(0x4, 0x1, 0, []), headers) : headers;
  },
  // The same HEADERS on a stream the client never opened (RFC 9113 §5.1.1: a connection error).
  wrongSeq: (ans) => {
    const b = ans.slice();
    setU32(b, b.length - 10 + 5, 0x7ffffffd);
    return b;
  },
  // A DATA frame header declaring 2^24-1 octets, the most 24 bits say, then nothing.
  huge: (ans) => concat(ans.subarray(0, ans.length - 10), frame(0x0, 0, 1, []).map((x, i) => (i < 3 ? 0xff : x))),
};

/** DNS over UDP (RFC 1035 §4.1.1): the answer echoes the id; ANCOUNT 65535 declares answers that are not there. */
const dns: HostileShape = {
  transport: "udp",
  defaultPort: 53,
  answer(req) {
    if (req.length < 12) throw new RangeError("Cannot answer: a DNS query has a 12-octet header");
    const b = req.slice();
    b[2] = 0x81 | (req[2] & 0x01); // QR=1, opcode 0, RD copied
    b[3] = 0x80; // RA=1, RCODE 0
    setU16(b, 6, 0); // ANCOUNT
    setU16(b, 8, 0);
    setU16(b, 10, 0);
    return b;
  },
  wrongSeq(ans) {
    const b = ans.slice();
    setU16(b, 0, ((b[0] << 8) | b[1]) ^ 0x5555);
    return b;
  },
  huge(ans) {
    const b = ans.slice();
    setU16(b, 6, 0xffff);
    return b;
  },
};

/** TCP with TLS: every byte the peer sends is the lie; the "answer" to a ClientHello is a TLS alert-free record header. */
const tcpTls: HostileShape = {
  transport: "tcp",
  defaultPort: 443,
  // A TLS record (RFC 8446 §5.1): 5-octet header with a u16 length.
  requestLength: (b) => (b.length >= 5 && b.length >= 5 + ((b[3] << 8) | b[4]) ? 5 + ((b[3] << 8) | b[4]) : undefined),
  // A ServerHello record header that promises a handshake message and then stops.
  answer: () => Uint8Array.of(0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00),
  wrongSeq: () => Uint8Array.of(0x16, 0x03, 0x03, 0x00, 0x04, 0x14, 0x00, 0x00, 0x00), // Finished before any hello
  huge: () => Uint8Array.of(0x16, 0x03, 0x03, 0xff, 0xff, 0x02, 0xff, 0xff, 0xff),
};

/** The shape for each probe kind (`http` and `etcd` speak HTTP/1.1; `sbi` HTTP/2 prior knowledge; `tcp` is tested with `tls: true`). */
export const hostileShapes: Readonly<Record<string, HostileShape>> = {
  pfcp,
  gtpu,
  gtpc,
  sip,
  diameter,
  http: http1,
  etcd: http1,
  sbi: h2,
  dns,
  tcp: tcpTls,
};
