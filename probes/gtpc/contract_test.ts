import { probeKindContract, reflectorResponder, UDP_CLOSED_PORT } from "../probe_kind_test_kit.ts";
import { gtpc } from "./mod.ts";

probeKindContract({
  kind: gtpc,
  transport: "udp",
  spec: (port) => ({ target: `127.0.0.1:${port}` }),
  closedPort: UDP_CLOSED_PORT,
  responder: reflectorResponder("gtpc"),
});
