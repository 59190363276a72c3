import { probeKindContract, reflectorResponder } from "../probe_kind_test_kit.ts";
import { sbi } from "./mod.ts";

probeKindContract({
  kind: sbi,
  transport: "tcp",
  spec: (port) => ({ target: `http://127.0.0.1:${port}`, options: { mode: "nrf-heartbeat", nfInstanceId: "4947a69a-f61b-4bc1-b9da-47c9c5d14b64" } }),
  responder: reflectorResponder("sbi"),
});
