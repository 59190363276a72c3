import { createServer } from "node:net";
import { probeKindContract } from "../probe_kind_test_kit.ts";
import { tcp } from "./mod.ts";

probeKindContract({
  kind: tcp,
  transport: "tcp",
  spec: (port) => ({ target: `127.0.0.1:${port}` }),
  // A plain connect to loopback never waits; a TLS handshake no one answers does.
  silentOptions: { tls: true, verify: false },
  responder: async () => {
    const server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return { port: (server.address() as { port: number }).port, close: () => new Promise((r) => server.close(() => r())) };
  },
});
