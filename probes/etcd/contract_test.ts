import { probeKindContract } from "../probe_kind_test_kit.ts";
import { etcd } from "./mod.ts";

// The success path against a real etcd is in tests/sbietcd/etcd_cluster_test.ts.
probeKindContract({
  kind: etcd,
  transport: "tcp",
  spec: (port) => ({ target: `http://127.0.0.1:${port}` }),
});
