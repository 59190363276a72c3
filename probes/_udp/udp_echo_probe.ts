/**
 * @module The engine behind the pfcp, gtpu and gtpc kinds: one connected UDP socket per probe
 * instance, unique sequence numbers, byte-identical retransmission after T1 up to N1 times,
 * matching on (peer, socket, sequence), restart tracking and optional bursts.
 */
import { isIP } from "node:net";
import { DecodeError, ProbeFailureError } from "../errors.ts";
import { parseHostPort } from "../_wire/host_port.ts";
import type { Facts, ProbeEnv, ProbeEvent, ProbeInstance, ProbeOutcome, ProbeSpec } from "../types.ts";
import type { UdpSocket } from "../../runtime/types.ts";
import { addAbortListener, sleep } from "../../common/abortable.ts";
import { burstStats } from "./burst_stats.ts";
import { type UdpEchoOptions, resolveT1 } from "./options.ts";
import { peerRestartEvent, RecoveryTracker } from "./recovery_tracker.ts";
import { SequenceSpace } from "./sequence_space.ts";
import { roundMs } from "../../common/round_ms.ts";

/** A decoded answer, protocol-neutral. */
export type EchoReply =
  | { readonly type: "response"; readonly sequence: number; readonly recovery?: number; readonly facts?: Facts }
  | { readonly type: "version-not-supported"; readonly sequence?: number; readonly peerVersion: number };

/** What one protocol plugs into the engine. */
export interface EchoProtocol {
  /** "PFCP", "GTP-U", "GTPv1-C", "GTPv2-C". */
  readonly label: string;
  /** "Heartbeat", "Echo". */
  readonly exchange: string;
  readonly minSequence: number;
  readonly maxSequence: number;
  encodeRequest(sequence: number): Uint8Array;
  /** @throws DecodeError */
  decodeReply(bytes: Uint8Array): EchoReply;
  /**
   * How the recovery value of a response is treated: tracked for restarts (with its modulus and
   * fact name), or only reported (GTP-U, whose Recovery "shall be ignored", 29.281 §8.2).
   */
  readonly recovery: { readonly fact: string; readonly modulus?: number; describe?(value: number, nowMs: number): Facts };
}

interface Pending {
  readonly sent: number;
  onReply(reply: EchoReply, at: number): void;
  onError(e: unknown): void;
}

interface Answer {
  readonly reply: EchoReply;
  readonly rttMs: number;
  readonly transmissions: number;
  readonly sequence: number;
}

/** Build a probe instance over `protocol`. @throws TypeError for a target or options that cannot work. */
export function createUdpEchoProbe(protocol: EchoProtocol, spec: ProbeSpec<UdpEchoOptions>, env: ProbeEnv, defaultPort: number): ProbeInstance {
  const { host, port } = parseHostPort(spec.target, defaultPort);
  const t1 = resolveT1(spec.options, spec.timeoutMs);
  const { n1, burst, burstInterval } = spec.options;
  const peerIsIp = isIP(host) !== 0;
  // A dual-stack socket may report an IPv4 peer as ::ffff:a.b.c.d.
  const mappedHost = isIP(host) === 4 ? `::ffff:${host}` : host;
  const sequences = new SequenceSpace(protocol.minSequence, protocol.maxSequence);
  const pending = new Map<number, Pending>();
  const tracker = protocol.recovery.modulus ? new RecoveryTracker(protocol.recovery.modulus) : undefined;
  let socket: Promise<UdpSocket> | undefined;
  let stray = 0;
  let closed = false;

  function failAll(e: unknown): void {
    for (const p of [...pending.values()]) p.onError(e);
  }

  function onMessage(data: Uint8Array, from: { address: string; port: number }): void {
    const at = performance.now();
    // The socket is connected, so the kernel already filters on the peer; checked again because
    // 29.244 §6.4 / 29.274 §7.6 match on the peer address too.
    if (from.port !== port || (peerIsIp && from.address !== host && from.address !== mappedHost)) {
      stray++;
      return;
    }
    if (pending.size === 0) {
      stray++;
      return;
    }
    let reply: EchoReply;
    try {
      reply = protocol.decodeReply(data);
    } catch (e) {
      // A datagram from the peer we cannot read while we wait on it: the run is `malformed`.
      if (e instanceof DecodeError) failAll(e);
      else failAll(new DecodeError(protocol.label, 0, `Cannot decode ${protocol.label} reply: ${(e as Error)?.message}`, { cause: e }));
      return;
    }
    if (reply.type === "version-not-supported" && reply.sequence === undefined) {
      // A future version's header cannot be read for a sequence: it answers whatever we asked.
      for (const p of [...pending.values()]) p.onReply(reply, at);
      return;
    }
    const p = pending.get(reply.sequence!);
    if (!p) {
      // A late answer to a request we gave up on, or a duplicate after a retransmission.
      stray++;
      return;
    }
    p.onReply(reply, at);
  }

  function open(signal: AbortSignal): Promise<UdpSocket> {
    if (!socket) {
      socket = env.net.udp({ peer: { host, port }, localAddress: spec.sourceAddress }, signal).then((s) => {
        s.onMessage(onMessage);
        s.onError((e) => {
          // ECONNREFUSED on a connected socket = ICMP port unreachable (docs/protocols.md A4): fail now.
          const code = (e as { code?: string }).code;
          env.log("debug", `${protocol.label} socket error`, { error: e.message, code });
          failAll(
            code === "ECONNREFUSED"
              ? new ProbeFailureError("refused", `Cannot get a ${protocol.label} ${protocol.exchange} Response: ${host}:${port} refused it (ICMP port unreachable)`, { cause: e })
              : e,
          );
        });
        if (closed) s.close();
        return s;
      });
      socket.catch(() => {
        socket = undefined;
      });
    }
    return socket;
  }

  /**
   * One request; retransmitted byte-identically every T1 up to N1 times when `retransmit`.
   * Hot path (bench/udp_probes.ts): one state object, one timer and one abort listener per request.
   */
  function exchange(sock: UdpSocket, signal: AbortSignal, retransmit: boolean): Promise<Answer | undefined> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const sequence = sequences.take(pending);
    const bytes = protocol.encodeRequest(sequence);
    return new Promise<Answer | undefined>((resolve, reject) => {
      const t0 = performance.now();
      let transmissions = 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = () => {
        clearTimeout(timer);
        pending.delete(sequence);
        offAbort();
      };
      const onAbort = () => {
        finish();
        reject(signal.reason);
      };
      const onT1 = () => {
        if (retransmit && transmissions <= n1) {
          env.log("debug", `${protocol.label} retransmission`, { sequence, transmissions });
          transmissions++;
          sock.send(bytes);
          timer = setTimeout(onT1, t1);
          return;
        }
        finish();
        if (!retransmit) resolve(undefined);
        else {
          reject(new ProbeFailureError("timeout", `Cannot get a ${protocol.label} ${protocol.exchange} Response: no answer to ${transmissions} transmission(s), T1 ${t1}ms`));
        }
      };
      pending.set(sequence, {
        sent: t0,
        onReply(reply, at) {
          finish();
          resolve({ reply, rttMs: at - t0, transmissions, sequence });
        },
        onError(e) {
          finish();
          reject(e);
        },
      });
      const offAbort = addAbortListener(signal, onAbort);
      transmissions = 1;
      try {
        sock.send(bytes);
      } catch (e) {
        finish();
        reject(e);
        return;
      }
      timer = setTimeout(onT1, t1);
    });
  }

  function recoveryFacts(reply: EchoReply & { type: "response" }, events: ProbeEvent[]): Record<string, string | number | boolean> {
    const facts: Record<string, string | number | boolean> = reply.facts ? { ...reply.facts } : {};
    if (reply.recovery === undefined) return facts;
    facts[protocol.recovery.fact] = reply.recovery;
    Object.assign(facts, protocol.recovery.describe?.(reply.recovery, env.now()));
    if (tracker) {
      const change = tracker.observe(reply.recovery);
      if (change) {
        events.push(peerRestartEvent(change, protocol.recovery.fact, `${host}:${port}`, tracker.restarts));
        env.log("info", `${protocol.label} peer restart`, { peer: `${host}:${port}`, ...change });
      }
      facts.peerRestarts = tracker.restarts;
    }
    return facts;
  }

  function rejected(reply: EchoReply & { type: "version-not-supported" }, latencyMs: number, localPort: number): ProbeOutcome {
    return {
      ok: false,
      latencyMs,
      failure: {
        kind: "rejected",
        message: `Cannot probe ${protocol.label}: the peer answered Version Not Supported (it speaks version ${reply.peerVersion})`,
        reason: "version-not-supported",
      },
      facts: { versionNotSupported: true, peerVersion: reply.peerVersion, localPort },
    };
  }

  async function runOnce(sock: UdpSocket, signal: AbortSignal): Promise<ProbeOutcome> {
    const answer = (await exchange(sock, signal, true))!;
    const r3 = roundMs(answer.rttMs);
    if (answer.reply.type === "version-not-supported") return rejected(answer.reply, r3, sock.local.port);
    const events: ProbeEvent[] = [];
    const facts = recoveryFacts(answer.reply, events);
    facts.sequence = answer.sequence;
    facts.transmissions = answer.transmissions;
    facts.localPort = sock.local.port;
    if (stray) facts.strayDatagrams = stray;
    return events.length ? { ok: true, latencyMs: r3, facts, events } : { ok: true, latencyMs: r3, facts };
  }

  async function runBurst(sock: UdpSocket, signal: AbortSignal): Promise<ProbeOutcome> {
    const inflight: Promise<Answer | undefined>[] = [];
    let failed = false;
    for (let i = 0; i < burst && !failed; i++) {
      if (i > 0 && burstInterval > 0) await sleep(burstInterval, signal);
      const p = exchange(sock, signal, false);
      // Observed at once: a refusal can land while the loop sleeps, before Promise.all below
      // looks at it, and must not surface as an unhandled rejection; it also ends the burst.
      p.catch(() => (failed = true));
      inflight.push(p);
    }
    const answers = await Promise.all(inflight);
    const stats = burstStats(answers.map((a) => a?.rttMs));
    const vns = answers.find((a) => a?.reply.type === "version-not-supported");
    if (vns) return rejected(vns.reply as EchoReply & { type: "version-not-supported" }, stats.rttAvgMs, sock.local.port);
    if (stats.received === 0) {
      throw new ProbeFailureError("timeout", `Cannot get a ${protocol.label} ${protocol.exchange} Response: none of ${burst} burst requests answered within T1 ${t1}ms`);
    }
    const events: ProbeEvent[] = [];
    let facts: Record<string, string | number | boolean> = {};
    for (const a of answers) if (a && a.reply.type === "response") facts = recoveryFacts(a.reply, events);
    return {
      ok: true,
      latencyMs: stats.rttAvgMs,
      facts: { ...facts, ...stats, localPort: sock.local.port, ...(stray ? { strayDatagrams: stray } : {}) },
      ...(events.length ? { events } : {}),
    };
  }

  return {
    async run(signal) {
      if (closed) throw new ProbeFailureError("local", `Cannot run ${protocol.label} probe: it is closed`);
      const sock = await open(signal);
      return burst > 1 ? runBurst(sock, signal) : runOnce(sock, signal);
    },
    async close() {
      closed = true;
      failAll(new DOMException(`${protocol.label} probe closed`, "AbortError"));
      const s = socket;
      socket = undefined;
      if (s) (await s.catch(() => undefined))?.close();
    },
  };
}
