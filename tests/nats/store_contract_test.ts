/**
 * The Store contract (collector/store_test_kit.ts) on the JetStream store, against one real
 * nats-server (-js) on 127.0.0.1:37201. Each test gets its own stream and bucket; a reopen is a
 * new store object on the same stream and bucket, whose ":memory:" read model replays the stream.
 */
import { after, before } from "node:test";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openJetstreamStore } from "../../collector/jetstream_store.ts";
import { storeContract } from "../../collector/store_test_kit.ts";
import { type NatsNode, startNats } from "./_nats.ts";

const PORT = 37201;
let dir = "";
let nats: NatsNode;
let n = 0;

before(async () => {
  dir = fs.mkdtempSync(join(tmpdir(), "ep-nats-contract-"));
  nats = await startNats(dir, PORT);
});
after(async () => {
  await nats?.stop("SIGTERM");
  fs.rmSync(dir, { recursive: true, force: true });
});

const open = (i: number) =>
  openJetstreamStore({
    servers: [`127.0.0.1:${PORT}`], stream: `EP_CONTRACT_${i}`, subjectPrefix: `edgeprobe.contract${i}`, bucket: `ep_contract_${i}`,
    replicas: 1, regionLabel: "region", readModel: ":memory:", raw: true, timeout: 5000, maxAge: 3_600_000,
    // One collector holds every partition (docs/scale-out.md): the contract is the Store's, not the cluster's.
    stateEvery: 50, partitions: 4, leaseTtl: 2000, collectorId: `contract-${i}`, readModelCheckpointMs: 50,
  }, { log: () => {} });

storeContract({
  name: "JetStream",
  open: () => open(++n),
  reopen: () => open(n),
});
