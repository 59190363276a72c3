/**
 * @module The `sip` probe kind: one OPTIONS transaction per run (RFC 3261 §11, §17.1.2
 * non-INVITE client transaction) over UDP, TCP or TLS.
 */
import { parseHostPort } from "../_wire/host_port.ts";
import { ProbeFailureError } from "../errors.ts";
import { abortReason, addAbortListener } from "../../common/abortable.ts";
import type { ProbeEnv, ProbeInstance, ProbeKind, ProbeOutcome, ProbeSpec } from "../types.ts";
import type { TcpConn, UdpSocket } from "../../runtime/types.ts";
import { isAccepted } from "./accept_codes.ts";
import { SipFramer } from "./framer.ts";
import { decodeSipMessage, header, headerParams, parseCSeq, type SipResponse } from "./message.ts";
import { BRANCH_COOKIE, encodeOptionsRequest, randomToken, uriHostPort } from "./request.ts";
import { sipOptions, type SipProbeOptions } from "./options.ts";

/** The identifiers a response must echo (§17.1.3 plus Call-ID and CSeq number). */
interface Transaction {
  readonly branch: string;
  readonly callId: string;
  readonly cseq: number;
}

/** True when `res` answers `tx`: top Via branch, CSeq number and method, Call-ID. */
export function matchesTransaction(res: SipResponse, tx: Transaction): boolean {
  const via = header(res, "via");
  const cseq = header(res, "cseq");
  if (!via || !cseq || header(res, "call-id") !== tx.callId) return false;
  if (headerParams(via).get("branch") !== BRANCH_COOKIE + tx.branch) return false;
  const c = parseCSeq(cseq);
  return c.seq === tx.cseq && c.method === "OPTIONS";
}

/** Turn a final response into the run's outcome under the accepted-codes policy. */
export function classifyResponse(res: SipResponse, accept: readonly (number | string)[], latencyMs: number, base: Record<string, string | number>): ProbeOutcome {
  const facts: Record<string, string | number> = { ...base, status: res.status, reason: res.reason };
  const server = header(res, "server") ?? header(res, "user-agent");
  if (server) facts.server = server;
  const retryAfter = header(res, "retry-after");
  if (retryAfter) {
    // RFC 3261 §20.33: delta-seconds, then an optional comment and parameters.
    const m = /^\s*(\d+)/.exec(retryAfter);
    if (m) facts.retryAfter = Number(m[1]);
  }
  if (isAccepted(res.status, accept)) return { ok: true, latencyMs, facts };
  return {
    ok: false,
    latencyMs,
    facts,
    failure: {
      kind: "rejected",
      message: `Cannot get an accepted SIP answer: ${res.status} ${res.reason} (accepted: ${accept.join(", ")})${facts.retryAfter !== undefined ? `, Retry-After ${facts.retryAfter}s` : ""}`,
      reason: String(res.status),
    },
  };
}

class SipProbe implements ProbeInstance {
  private cseq = 0;
  private readonly host: string;
  private readonly port: number;
  private readonly spec: ProbeSpec<SipProbeOptions>;
  private readonly env: ProbeEnv;
  constructor(spec: ProbeSpec<SipProbeOptions>, env: ProbeEnv) {
    const { host, port } = parseHostPort(spec.target, 5060);
    this.host = host;
    this.port = port;
    this.spec = spec;
    this.env = env;
  }

  private request(local: { address: string; port: number }): { bytes: Uint8Array; tx: Transaction } {
    const o = this.spec.options;
    // The CSeq number increases per request within a Call-ID; a fresh Call-ID per run keeps it simple (§8.1.1.5).
    this.cseq = (this.cseq % 2_000_000_000) + 1;
    const tx = { branch: randomToken(8), callId: `${randomToken(12)}@edgeprobe`, cseq: this.cseq };
    const transportParam = o.transport === "udp" ? "" : `;transport=${o.transport}`;
    const requestUri = o.requestUri ?? `sip:${o.user ? o.user + "@" : ""}${uriHostPort(this.host, this.port)}${transportParam}`;
    const bytes = encodeOptionsRequest({
      requestUri,
      transport: o.transport.toUpperCase() as "UDP" | "TCP" | "TLS",
      sentBy: { host: local.address, port: local.port },
      branch: tx.branch,
      fromUri: o.fromUri ?? `sip:edgeprobe@${uriHostPort(local.address, local.port).replace(/:\d+$/, "")}`,
      fromTag: randomToken(6),
      toUri: requestUri.replace(/;.*$/, ""),
      callId: tx.callId,
      cseq: tx.cseq,
      maxForwards: o.maxForwards,
      userAgent: o.userAgent || undefined,
    });
    return { bytes, tx };
  }

  /**
   * The address to put in Via sent-by. Deno's node:dgram reports 0.0.0.0 for a connected socket
   * bound to any address; then take sourceAddress, or the target when it is a loopback address.
   * With `rport` the server answers to our real source anyway (RFC 3581 §4).
   */
  private viaAddress(local: { address: string; port: number }): { address: string; port: number } {
    if (local.address !== "0.0.0.0" && local.address !== "::" && local.address !== "") return local;
    const loopback = /^127\./.test(this.host) || this.host === "::1";
    return { address: this.spec.sourceAddress ?? (loopback ? this.host : local.address), port: local.port };
  }

  run(signal: AbortSignal): Promise<ProbeOutcome> {
    return this.spec.options.transport === "udp" ? this.runUdp(signal) : this.runStream(signal);
  }

  private async runUdp(signal: AbortSignal): Promise<ProbeOutcome> {
    const o = this.spec.options;
    const sock: UdpSocket = await this.env.net.udp({ peer: { host: this.host, port: this.port }, localAddress: this.spec.sourceAddress }, signal);
    const { bytes, tx } = this.request(this.viaAddress(sock.local));
    let sent = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await new Promise<ProbeOutcome>((resolve, reject) => {
        const t0 = performance.now();
        const onAbort = () => reject(abortReason(signal));
        if (signal.aborted) return onAbort();
        const done = addAbortListener(signal, onAbort);
        sock.onError((e) => {
          done();
          const code = (e as { code?: string }).code;
          if (code === "ECONNREFUSED") {
            reject(new ProbeFailureError("refused", `Cannot get a SIP answer from ${this.host}:${this.port}/udp: port unreachable (ICMP)`, { cause: e }));
          } else reject(e);
        });
        sock.onMessage((data) => {
          let msg;
          try {
            msg = decodeSipMessage(data);
          } catch (e) {
            done();
            return reject(e);
          }
          if (msg.type !== "response" || !matchesTransaction(msg, tx)) {
            this.env.log("debug", "sip: ignoring an unmatched datagram", { probe: this.spec.name });
            return;
          }
          if (msg.status < 200) {
            // §17.1.2.2: a provisional answer moves the transaction to Proceeding; keep waiting,
            // retransmitting at T2 from now on.
            proceeding = true;
            return;
          }
          done();
          resolve(classifyResponse(msg, o.acceptCodes, performance.now() - t0, { transport: "udp", retransmissions: sent - 1 }));
        });
        // Timer E (§17.1.2.2): first retransmission after T1, then doubling, capped at T2; the run's
        // signal plays Timer F.
        let interval = o.t1;
        let proceeding = false;
        const send = () => {
          sock.send(bytes);
          sent++;
          timer = setTimeout(send, proceeding ? o.t2 : interval);
          interval = Math.min(interval * 2, o.t2);
        };
        send();
      });
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      sock.close();
    }
  }

  private async runStream(signal: AbortSignal): Promise<ProbeOutcome> {
    const o = this.spec.options;
    const conn: TcpConn = await this.env.net.tcp({
      host: this.host,
      port: this.port,
      localAddress: this.spec.sourceAddress,
      tls: o.transport === "tls" ? { servername: o.servername, verify: o.verify } : undefined,
    }, signal);
    try {
      const { bytes, tx } = this.request(conn.local);
      const framer = new SipFramer();
      return await new Promise<ProbeOutcome>((resolve, reject) => {
        const t0 = performance.now();
        const onAbort = () => reject(abortReason(signal));
        if (signal.aborted) return onAbort();
        const done = addAbortListener(signal, onAbort);
        conn.onClose((e) => {
          done();
          reject(e ?? new ProbeFailureError("refused", `Cannot get a SIP answer from ${this.host}:${this.port}/${o.transport}: the peer closed the connection before a final response`, { reason: "closed-before-answer" }));
        });
        conn.onData((chunk) => {
          try {
            for (const frame of framer.push(chunk)) {
              const msg = decodeSipMessage(frame);
              if (msg.type !== "response" || !matchesTransaction(msg, tx) || msg.status < 200) continue;
              done();
              resolve(classifyResponse(msg, o.acceptCodes, performance.now() - t0, { transport: o.transport }));
              return;
            }
          } catch (e) {
            done();
            reject(e);
          }
        });
        conn.write(bytes);
      });
    } finally {
      conn.close();
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export const sip: ProbeKind<SipProbeOptions> = {
  kind: "sip",
  summary: "SIP OPTIONS ping over udp|tcp|tls with an accepted-codes policy (RFC 3261 §11)",
  example: "edgeprobe probe sip 10.0.0.6:5060 --transport tcp --accept-codes 2xx",
  defaultPort: 5060,
  options: sipOptions,
  create: (spec, env) => new SipProbe(spec, env),
};
