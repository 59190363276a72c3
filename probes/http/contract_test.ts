import { createServer } from "node:http";
import { probeKindContract } from "../probe_kind_test_kit.ts";
import { http } from "./mod.ts";

probeKindContract({
  kind: http,
  transport: "tcp",
  spec: (port) => ({ target: `http://127.0.0.1:${port}/healthz` }),
  responder: async () => {
    const server = createServer((_req, res) => res.end("UP"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return {
      port: (server.address() as { port: number }).port,
      close: () => new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
    };
  },
});
