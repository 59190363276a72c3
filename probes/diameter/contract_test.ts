import { probeKindContract, reflectorResponder } from "../probe_kind_test_kit.ts";
import { diameter } from "./mod.ts";

probeKindContract({
  kind: diameter,
  transport: "tcp",
  spec: (port) => ({ target: `127.0.0.1:${port}` }),
  responder: reflectorResponder("diameter"),
});
