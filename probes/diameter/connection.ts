/**
 * @module One Diameter transport connection (RFC 6733 §2.1, §5.5): requests matched to answers
 * by Hop-by-Hop Identifier (and End-to-End), the peer's DWR answered with DWA and its DPR with
 * DPA, other peer requests with 3001.
 */
import type { TcpConn } from "../../runtime/types.ts";
import { DecodeError, ProbeFailureError } from "../errors.ts";
import { buildDpa, buildDwa, buildUnsupported, type PeerIdentity } from "./base.ts";
import { CommandCode } from "./dictionary.ts";
import { DiameterFramer } from "./framer.ts";
import { decodeMessage, type DiameterMessage, encodeMessage, isRequest } from "./message.ts";
import { addAbortListener } from "../../common/abortable.ts";

interface Pending {
  readonly commandCode: number;
  readonly endToEnd: number;
  resolve(m: DiameterMessage): void;
  reject(e: unknown): void;
}

export interface DiameterConnectionEvents {
  /** The peer sent DPR; we answered and the connection is closing. */
  onDisconnectRequest?(m: DiameterMessage): void;
  log?(msg: string, fields?: Record<string, unknown>): void;
}

export class DiameterConnection {
  private readonly conn: TcpConn;
  private readonly identity: () => PeerIdentity;
  private readonly pending = new Map<number, Pending>();
  private readonly framer = new DiameterFramer();
  private readonly events: DiameterConnectionEvents;
  closed = false;
  /** Why the connection ended, for the next run's message. */
  closeReason?: Error;
  /** Peer DWRs answered. */
  peerWatchdogs = 0;

  constructor(conn: TcpConn, identity: () => PeerIdentity, events: DiameterConnectionEvents = {}) {
    this.conn = conn;
    this.identity = identity;
    this.events = events;
    conn.onData((chunk) => this.onData(chunk));
    conn.onClose((e) => this.onClosed(e));
  }

  get local() {
    return this.conn.local;
  }

  private onData(chunk: Uint8Array): void {
    let frames: Uint8Array[];
    try {
      frames = this.framer.push(chunk);
      for (const f of frames) this.onMessage(decodeMessage(f));
    } catch (e) {
      // A stream we cannot decode cannot be resynchronised: fail everything and close.
      this.fail(e);
      this.conn.close();
    }
  }

  private onMessage(m: DiameterMessage): void {
    if (isRequest(m)) {
      const id = this.identity();
      if (m.commandCode === CommandCode.DeviceWatchdog) {
        this.peerWatchdogs++;
        this.send(buildDwa(m, id));
      } else if (m.commandCode === CommandCode.DisconnectPeer) {
        this.send(buildDpa(m, id));
        this.events.onDisconnectRequest?.(m);
        // §5.4: the DPR sender closes the transport once it has the DPA; close ourselves shortly after in case it does not.
        setTimeout(() => this.conn.close(), 200);
      } else {
        this.send(buildUnsupported(m, id));
      }
      return;
    }
    const p = this.pending.get(m.hopByHop);
    if (!p || p.endToEnd !== m.endToEnd || p.commandCode !== m.commandCode) {
      this.events.log?.("diameter: dropping an answer that matches no request", { hopByHop: m.hopByHop, commandCode: m.commandCode });
      return;
    }
    this.pending.delete(m.hopByHop);
    p.resolve(m);
  }

  private onClosed(e?: Error): void {
    this.closed = true;
    this.closeReason ??= e ?? new Error("closed by the peer");
    this.fail(e);
  }

  private fail(e?: unknown): void {
    this.closed = true;
    if (e) this.closeReason = e as Error;
    const err = e instanceof DecodeError ? e : undefined;
    for (const [hop, p] of this.pending) {
      this.pending.delete(hop);
      p.reject(err ?? e ?? new ProbeFailureError("unreachable", "Cannot get a Diameter answer: the connection closed", { reason: "connection-closed" }));
    }
  }

  send(m: DiameterMessage): void {
    if (!this.closed) this.conn.write(encodeMessage(m));
  }

  /**
   * Send a request and wait for its answer.
   * @throws on abort, on a closed connection (ProbeFailureError "connection-closed") or a DecodeError on the stream.
   */
  request(m: DiameterMessage, signal: AbortSignal): Promise<DiameterMessage> {
    if (this.closed) return Promise.reject(new ProbeFailureError("unreachable", "Cannot send a Diameter request: the connection is closed", { reason: "connection-closed" }));
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.pending.delete(m.hopByHop);
        reject(signal.reason);
      };
      const offAbort = addAbortListener(signal, onAbort);
      this.pending.set(m.hopByHop, {
        commandCode: m.commandCode,
        endToEnd: m.endToEnd,
        resolve: (a) => {
          offAbort();
          resolve(a);
        },
        reject: (e) => {
          offAbort();
          reject(e);
        },
      });
      this.send(m);
    });
  }

  close(): void {
    this.closed = true;
    this.conn.close();
  }
}
