/** @module The engine behind `edgeprobe reflect pfcp|gtpu|gtpc`: one unconnected socket, answer per datagram. */
import { parseHostPort } from "../_wire/host_port.ts";
import { DecodeError } from "../errors.ts";
import type { ReflectorEnv, ReflectorHandle, ReflectorOptions } from "../types.ts";

export interface ReflectorProtocol {
  readonly label: string;
  readonly defaultPort: number;
  /** Kind-specific `--option value` names this reflector accepts (camelCase). */
  readonly extraOptions: readonly string[];
  /**
   * The answer to one datagram, or undefined to stay silent (unknown message types are
   * discarded, 29.244 §7.6 / 29.281 §7.1 / 29.274 §7.7.? [mem]).
   * @throws DecodeError for a datagram it cannot read; it is logged and dropped.
   */
  answer(bytes: Uint8Array, recovery: number): Uint8Array | undefined;
  /** The recovery value after a simulated restart. */
  nextRecovery(current: number, nowMs: number): number;
}

/** A handle that also exposes the current recovery value and counters, for tests and the demo. */
export interface UdpReflectorHandle extends ReflectorHandle {
  readonly recovery: number;
  readonly answered: number;
  readonly dropped: number;
}

export async function startUdpReflector(
  protocol: ReflectorProtocol,
  initialRecovery: number,
  options: ReflectorOptions,
  env: ReflectorEnv,
): Promise<UdpReflectorHandle> {
  for (const k of Object.keys(options.extra)) {
    if (!protocol.extraOptions.includes(k)) {
      throw new TypeError(`unknown option --${k.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())} (known: ${protocol.extraOptions.map((o) => "--" + o).join(", ") || "none"})`);
    }
  }
  const { host, port } = parseHostPort(options.listen, protocol.defaultPort);
  const sock = await env.net.udp({ localAddress: host, localPort: port }, AbortSignal.timeout(5000));
  let recovery = initialRecovery;
  let answered = 0;
  let dropped = 0;
  sock.onMessage((data, from) => {
    let reply: Uint8Array | undefined;
    try {
      reply = protocol.answer(data, recovery);
    } catch (e) {
      dropped++;
      if (e instanceof DecodeError) env.log("debug", `${protocol.label} datagram dropped`, { from: `${from.address}:${from.port}`, error: e.message });
      else env.log("error", `${protocol.label} reflector failed on a datagram`, { error: String(e) });
      return;
    }
    if (!reply) {
      dropped++;
      return;
    }
    answered++;
    // The answer goes back to the request's source address and port (29.244 §6.4, 29.281 §4.4.2).
    sock.sendTo(reply, from);
  });
  sock.onError((e) => env.log("warn", `${protocol.label} reflector socket error`, { error: e.message }));
  return {
    address: sock.local,
    get recovery() {
      return recovery;
    },
    get answered() {
      return answered;
    },
    get dropped() {
      return dropped;
    },
    restart() {
      const before = recovery;
      recovery = protocol.nextRecovery(recovery, env.now());
      env.log("info", `${protocol.label} reflector simulated restart`, { recoveryBefore: before, recovery });
    },
    close() {
      sock.close();
      return Promise.resolve();
    },
  };
}
