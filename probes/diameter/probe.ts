/**
 * @module The `diameter` probe kind: CER/CEA then DWR/DWA (RFC 6733 §5.3, §5.5), per run
 * (`session`) or over one kept connection (`persistent`, the DWR is the watchdog of RFC 3539).
 */
import { parseHostPort } from "../_wire/host_port.ts";
import { DecodeError, ProbeFailureError } from "../errors.ts";
import type { FailureKind, ProbeEnv, ProbeEvent, ProbeInstance, ProbeKind, ProbeOutcome, ProbeSpec } from "../types.ts";
import { type AnswerInfo, buildCer, buildDpr, buildDwr, type PeerIdentity, readAnswer } from "./base.ts";
import { DiameterConnection } from "./connection.ts";
import { CommandCode, DisconnectCause } from "./dictionary.ts";
import { IdSource } from "./ids.ts";
import { diameterOptions, type DiameterProbeOptions } from "./options.ts";
import { roundMs } from "../../common/round_ms.ts";

type Facts = Record<string, string | number | boolean>;

/** Result-Code 2001 is the only success for these messages (§7.1.2); all else is a rejection. */
export function classifyAnswer(info: AnswerInfo, command: string, facts: Facts, latencyMs: number, events: ProbeEvent[]): ProbeOutcome {
  const ev = events.length ? { events } : {};
  if (info.resultCode === 2001) return { ok: true, latencyMs, facts, ...ev };
  return {
    ok: false,
    latencyMs,
    facts,
    ...ev,
    failure: {
      kind: "rejected",
      message: `Cannot open a Diameter watchdog: ${command} Result-Code ${info.resultCode} ${info.resultName}${info.errorMessage ? ` (${info.errorMessage})` : ""}`,
      reason: info.resultName,
    },
  };
}

class DiameterProbe implements ProbeInstance {
  private readonly spec: ProbeSpec<DiameterProbeOptions>;
  private readonly env: ProbeEnv;
  private readonly host: string;
  private readonly port: number;
  private readonly ids: IdSource;
  private readonly originStateId: number;
  private peer?: DiameterConnection;
  private lastOriginStateId?: number;
  private peerRestarts = 0;
  // persistent mode
  private backoffMs = 0;
  private nextConnectAt = 0;
  private lastConnectError?: Error;
  private connects = 0;
  private missedWatchdogs = 0;
  /** Set by close(): a run still connecting must not leave a connection behind. */
  private closing = false;

  constructor(spec: ProbeSpec<DiameterProbeOptions>, env: ProbeEnv) {
    const o = spec.options;
    const { host, port } = parseHostPort(spec.target, o.tls ? 5658 : 3868);
    this.spec = spec;
    this.env = env;
    this.host = host;
    this.port = port;
    this.ids = new IdSource(env.now());
    this.originStateId = o.originStateId ?? (Math.floor(env.now() / 1000) >>> 0);
  }

  private identity(localAddress: string): PeerIdentity {
    const o = this.spec.options;
    const ip = o.hostIpAddress ?? (this.spec.sourceAddress || localAddress);
    return {
      originHost: o.originHost,
      originRealm: o.originRealm,
      hostIpAddresses: [ip.replace(/^::ffff:/i, "")],
      vendorId: o.vendorId,
      productName: o.productName,
      originStateId: this.originStateId,
      authApplicationIds: o.authApplicationIds,
      acctApplicationIds: o.acctApplicationIds,
    };
  }

  /** Facts from an answer; a changed Origin-State-Id becomes a peer-restart event (§8.16). */
  private observe(info: AnswerInfo, facts: Facts, events: ProbeEvent[]): void {
    facts.resultCode = info.resultCode;
    facts.resultName = info.resultName;
    if (info.originHost) facts.peerOriginHost = info.originHost;
    if (info.originRealm) facts.peerOriginRealm = info.originRealm;
    if (info.productName) facts.productName = info.productName;
    if (info.originStateId === undefined) return;
    facts.originStateId = info.originStateId;
    if (this.lastOriginStateId !== undefined && info.originStateId !== this.lastOriginStateId) {
      this.peerRestarts++;
      events.push({
        type: "peer-restart",
        detail: { previousOriginStateId: this.lastOriginStateId, originStateId: info.originStateId, peerOriginHost: info.originHost ?? "" },
      });
    }
    this.lastOriginStateId = info.originStateId;
  }

  /** Connect and exchange CER/CEA. Returns the connection and the CEA, or throws. */
  private async open(signal: AbortSignal): Promise<{ peer: DiameterConnection; cea: AnswerInfo; ceaMs: number }> {
    const o = this.spec.options;
    const conn = await this.env.net.tcp({
      host: this.host,
      port: this.port,
      localAddress: this.spec.sourceAddress,
      tls: o.tls ? { servername: o.servername, verify: o.verify } : undefined,
    }, signal);
    const id = this.identity(conn.local.address);
    const peer = new DiameterConnection(conn, () => id, {
      log: (msg, fields) => this.env.log("debug", msg, { probe: this.spec.name, ...fields }),
      onDisconnectRequest: () => this.env.log("info", "diameter: the peer sent DPR", { probe: this.spec.name }),
    });
    const t0 = performance.now();
    try {
      const answer = await peer.request(buildCer(id, this.ids.next()), signal);
      return { peer, cea: readAnswer(answer, CommandCode.CapabilitiesExchange), ceaMs: performance.now() - t0 };
    } catch (e) {
      peer.close();
      if (e instanceof ProbeFailureError && e.reason === "connection-closed") {
        // RFC 6733 §5.3: a peer may just close the transport on a CER it will not accept (freeDiameter
        // does so for a CER missing a mandatory AVP, docs/protocols.md Part B).
        throw new ProbeFailureError("refused", `Cannot open a Diameter session with ${this.host}:${this.port}: the peer closed the connection before sending a CEA`, { reason: "closed-before-cea", cause: e });
      }
      throw e;
    }
  }

  private async watchdog(peer: DiameterConnection, signal: AbortSignal): Promise<{ dwa: AnswerInfo; rtt: number }> {
    const id = this.identity(peer.local.address);
    const t0 = performance.now();
    const answer = await peer.request(buildDwr(id, this.ids.next()), signal);
    return { dwa: readAnswer(answer, CommandCode.DeviceWatchdog), rtt: performance.now() - t0 };
  }

  /** DPR, then wait briefly for DPA (§5.4); errors are ignored since we are leaving anyway. */
  private async disconnect(peer: DiameterConnection, signal?: AbortSignal): Promise<boolean> {
    if (peer.closed) return false;
    const id = this.identity(peer.local.address);
    const wait = signal ? AbortSignal.any([signal, AbortSignal.timeout(1000)]) : AbortSignal.timeout(1000);
    try {
      const dpa = await peer.request(buildDpr(id, this.ids.next(), DisconnectCause[this.spec.options.disconnectCause]), wait);
      return readAnswer(dpa, CommandCode.DisconnectPeer).resultCode === 2001;
    } catch {
      return false;
    } finally {
      peer.close();
    }
  }

  run(signal: AbortSignal): Promise<ProbeOutcome> {
    return this.spec.options.mode === "session" ? this.runSession(signal) : this.runPersistent(signal);
  }

  private async runSession(signal: AbortSignal): Promise<ProbeOutcome> {
    const facts: Facts = { mode: "session" };
    const events: ProbeEvent[] = [];
    const { peer, cea, ceaMs } = await this.open(signal);
    try {
      facts.ceaMs = roundMs(ceaMs);
      this.observe(cea, facts, events);
      if (cea.resultCode !== 2001) return classifyAnswer(cea, "CEA", facts, ceaMs, events);
      const { dwa, rtt } = await this.watchdog(peer, signal);
      this.observe(dwa, facts, events);
      const outcome = classifyAnswer(dwa, "DWA", facts, rtt, events);
      facts.dpa = await this.disconnect(peer, signal);
      return outcome;
    } finally {
      peer.close();
    }
  }

  private async runPersistent(signal: AbortSignal): Promise<ProbeOutcome> {
    const facts: Facts = { mode: "persistent" };
    const events: ProbeEvent[] = [];
    if (!this.peer || this.peer.closed) {
      this.peer = undefined;
      const now = this.env.now();
      if (now < this.nextConnectAt) {
        const last = this.lastConnectError;
        throw new ProbeFailureError(
          kindOf(last),
          `Cannot reconnect to Diameter peer ${this.host}:${this.port} yet: backing off ${this.nextConnectAt - now}ms after: ${last?.message ?? "the connection closed"}`,
          { reason: "reconnect-backoff", cause: last },
        );
      }
      try {
        const { peer, cea, ceaMs } = await this.open(signal);
        this.connects++;
        facts.ceaMs = roundMs(ceaMs);
        this.observe(cea, facts, events);
        if (cea.resultCode !== 2001) {
          peer.close();
          this.scheduleReconnect(new Error(`CEA Result-Code ${cea.resultCode} ${cea.resultName}`));
          return classifyAnswer(cea, "CEA", facts, ceaMs, events);
        }
        if (this.closing) {
          await this.disconnect(peer, signal);
          throw new ProbeFailureError("local", "Cannot keep a Diameter connection: the probe is closing", { reason: "closing" });
        }
        this.peer = peer;
        this.backoffMs = 0;
        this.missedWatchdogs = 0;
      } catch (e) {
        this.scheduleReconnect(e as Error);
        throw e;
      }
    }
    const peer = this.peer;
    facts.connects = this.connects;
    try {
      const { dwa, rtt } = await this.watchdog(peer, signal);
      this.missedWatchdogs = 0;
      this.observe(dwa, facts, events);
      facts.peerWatchdogs = peer.peerWatchdogs;
      return classifyAnswer(dwa, "DWA", facts, rtt, events);
    } catch (e) {
      // RFC 3539 §3.4.1: one unanswered watchdog makes the peer SUSPECT, a second one DOWN: close and reconnect.
      if (!peer.closed && ++this.missedWatchdogs >= 2) {
        this.env.log("warn", "diameter: two watchdogs unanswered, closing the connection", { probe: this.spec.name });
        peer.close();
      }
      if (peer.closed) this.scheduleReconnect(e as Error);
      throw e;
    }
  }

  private scheduleReconnect(e: Error): void {
    const o = this.spec.options;
    this.lastConnectError = e;
    this.backoffMs = this.backoffMs === 0 ? o.backoffMin : Math.min(this.backoffMs * 2, o.backoffMax);
    this.nextConnectAt = this.env.now() + this.backoffMs;
  }

  async close(signal?: AbortSignal): Promise<void> {
    this.closing = true;
    const peer = this.peer;
    this.peer = undefined;
    if (peer) await this.disconnect(peer, signal);
  }
}

/** The failure kind a reconnect backoff repeats: that of the error that caused it. */
function kindOf(e: Error | undefined): FailureKind {
  if (e instanceof ProbeFailureError) return e.kind;
  if (e instanceof DecodeError) return "malformed";
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return "timeout";
  return (e as { code?: string } | undefined)?.code === "ECONNREFUSED" ? "refused" : "unreachable";
}

export const diameter: ProbeKind<DiameterProbeOptions> = {
  kind: "diameter",
  summary: "Diameter CER/CEA + DWR/DWA watchdog, per run or over a kept connection (RFC 6733 §5.3, §5.5)",
  example: "edgeprobe probe diameter 10.0.0.7:3868 --origin-host probe.example.net --origin-realm example.net",
  defaultPort: 3868,
  options: diameterOptions,
  create: (spec, env) => new DiameterProbe(spec, env),
};
