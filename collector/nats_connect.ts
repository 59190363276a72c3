/**
 * @module The collector's one way to open a NATS connection (the JetStream store and the alarm
 * bucket): reconnect for ever, 250 ms apart, so a cluster that loses a server is followed to the
 * next one in `servers` (docs/scale-out.md); credentials when the config names them.
 */
import { connect, type NatsConnection } from "@nats-io/transport-node";

export interface NatsConnectOptions {
  readonly servers: readonly string[];
  /** The client's name, as `nats-server` lists it in its connection reports. */
  readonly name: string;
  /** Connect timeout, ms. */
  readonly timeout: number;
  readonly auth?: { token: string } | { user: string; pass: string };
}

/** @throws {Error} "Cannot connect to NATS <servers>: …" with the client's error as `cause`. */
export async function connectNats(o: NatsConnectOptions): Promise<NatsConnection> {
  try {
    return await connect({
      servers: [...o.servers],
      name: o.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      timeout: o.timeout,
      // No Error object (stack capture) per request for async traces: 7 % of a collector's CPU
      // in a profile of bench/nats.ts, on every publish and key-value operation.
      noAsyncTraces: true,
      ...(o.auth && "token" in o.auth ? { token: o.auth.token } : {}),
      ...(o.auth && "user" in o.auth ? { user: o.auth.user, pass: o.auth.pass } : {}),
    });
  } catch (e) {
    throw new Error(`Cannot connect to NATS ${o.servers.join(",")}: ${(e as Error).message}`, { cause: e });
  }
}
