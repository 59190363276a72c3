/** @module TCP connect probe: refused, timeout and unreachable told apart. */
import { z } from "zod";
import { parseHostPort } from "../_wire/host_port.ts";
import type { ProbeKind } from "../types.ts";

export const tcpOptions = z.strictObject({
  tls: z.boolean().default(false).describe("Connect over TLS and verify the handshake."),
  servername: z.string().optional().describe("SNI / verification name for TLS."),
  verify: z.boolean().default(true).describe("Verify the peer certificate."),
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
        }, signal);
        const latencyMs = performance.now() - t0;
        const facts = { localPort: conn.local.port, ...(conn.alpn ? { alpn: conn.alpn } : {}) };
        conn.close();
        return { ok: true, latencyMs, facts };
      },
      close: () => Promise.resolve(),
    };
  },
};
