import { probeKindContract } from "../probe_kind_test_kit.ts";
import { dnsProbe } from "./mod.ts";

// The success path against a real resolver is in tests/sbietcd/dnsmasq_test.ts.
probeKindContract({
  kind: dnsProbe,
  transport: "udp",
  spec: (port) => ({ target: "upf.edge.example", options: { server: `127.0.0.1:${port}` } }),
  closedPort: {
    kind: () => "timeout",
    why: "the runtime's resolver does not report ICMP port unreachable: an unanswered server is a timeout",
  },
});
