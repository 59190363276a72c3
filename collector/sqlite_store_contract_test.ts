import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore } from "./sqlite_store.ts";
import { storeContract } from "./store_test_kit.ts";

let path = "";
storeContract({
  name: "SQLite",
  open() {
    path = join(mkdtempSync(join(tmpdir(), "ep-store-contract-")), "c.db");
    return openSqliteStore({ path });
  },
  reopen: () => openSqliteStore({ path }),
});
