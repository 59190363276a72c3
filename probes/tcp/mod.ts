/** @module TCP connect probe: refused, timeout and unreachable told apart. */
import { z } from "zod";
import { parseHostPort } from "../_wire/host_port.ts";
import type { ProbeKind } from "../types.ts";

export const tcpOptions = z.strictObject({
  tls: z.boolean().default(false).describe("Connect over TLS and verify the handshake."),
  servername: z.string().optional().describe("SNI / verification name for TLS."),
  verify: z.boolean().default(true).describe("Verify the peer certificate."),
  close: z.enum(["reset", "graceful"]).default("reset").describe(
    "How the probe ends its connection: reset (RST, no TIME_WAIT on the agent, as HAProxy's checks) or graceful (FIN; for a peer that logs a reset as an error).",
  ),
});
export type TcpProbeOptions = z.infer<typeof tcpOptions>;

export const tcp: ProbeKind<TcpProbeOptions> = {
  kind: "tcp",
  summary: "TCP connect (optionally TLS handshake) to HOST:PORT",
  example: "edgeprobe probe tcp 10.0.0.1:22 --timeout 1s",
  options: tcpOptions,
  create(spec, env) {
    const { host, port } = parseHostPort(spec.target);
    return {
      async run(signal) {
        const t0 = performance.now();
        const conn = await env.net.tcp({
          host,
          port,
          localAddress: spec.sourceAddress,
          tls: spec.options.tls ? { servername: spec.options.servername, verify: spec.options.verify } : undefined,
          // An abortive close by default: at 1,000 probes a second a graceful one would hold
          // ~60,000 sockets in TIME_WAIT on the agent (Linux keeps them 60 s), for no gain in
          // CPU (measured the same, docs/config.md "TCP close").
          close: spec.options.close,
        }, signal);
        const latencyMs = performance.now() - t0;
        const facts: { localPort: number; alpn?: string } = { localPort: conn.local.port };
        if (conn.alpn) facts.alpn = conn.alpn;
        conn.close();
        return { ok: true, latencyMs, facts };
      },
      close: () => Promise.resolve(),
    };
  },
};
