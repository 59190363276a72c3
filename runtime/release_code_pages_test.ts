import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { release } from "node:os";
import { parseSmaps, releasableMappings, releaseCodePages } from "./release_code_pages.ts";

// Shaped after a real /proc/PID/smaps of the compiled agent (Linux 6.x), trimmed to the fields read.
const SMAPS = `00200000-01a39000 r--p 00000000 fe:00 5348904                            /opt/edgeprobe
Size:              24676 kB
Rss:                6180 kB
Anonymous:             0 kB
01a40000-0684a000 r-xp 01838000 fe:00 5348904                            /opt/edgeprobe
Rss:               35752 kB
Anonymous:             0 kB
0685f000-06867000 r--p 06656000 fe:00 5348904                            /opt/edgeprobe
Rss:                  32 kB
Anonymous:            12 kB
06867000-0737e000 rw-p 0665e000 fe:00 5348904                            /opt/edgeprobe
Rss:                6112 kB
Anonymous:           116 kB
4ea13e00000-4ea53e00000 rw-p 00000000 00:00 0 
Rss:               32452 kB
Anonymous:         32452 kB
7f4b8ed17000-7f4b8ee6d000 r-xp 00026000 fe:00 1234                       /usr/lib/x86_64-linux-gnu/libc.so.6
Rss:                1112 kB
Anonymous:             0 kB
`;

describe("parseSmaps", () => {
  it("reads each mapping's range, permissions, path, Rss and Anonymous", () => {
    const m = parseSmaps(SMAPS);
    assert.equal(m.length, 6);
    assert.deepEqual(m[1], { start: 0x1a40000n, end: 0x684a000n, perms: "r-xp", path: "/opt/edgeprobe", rssKb: 35752, anonymousKb: 0 });
    assert.equal(m[4].path, "");
    assert.equal(m[4].anonymousKb, 32452);
  });
});

describe("releasableMappings", () => {
  it("keeps only the executable's read-only mappings without private pages", () => {
    const r = releasableMappings(parseSmaps(SMAPS), "/opt/edgeprobe");
    // Not the RELRO segment (12 kB written by the loader), not .data (writable), not libc, not the heap.
    assert.deepEqual(r.map((x) => x.start), [0x200000n, 0x1a40000n]);
  });

  it("keeps nothing for another executable", () => {
    assert.deepEqual(releasableMappings(parseSmaps(SMAPS), "/usr/bin/other"), []);
  });
});

describe("releaseCodePages", () => {
  it("on Bun drops this process's code pages and the process runs on; elsewhere does nothing", async () => {
    const before = parseSmaps(readFileSync("/proc/self/smaps", "utf8"));
    const r = await releaseCodePages();
    const isBun = (globalThis as { Bun?: unknown }).Bun !== undefined;
    if (isBun) {
      assert.ok(r.droppedKb > 1000, `dropped ${r.droppedKb} kB`);
      // Linux 6.7+ (UFFD_FEATURE_WP_ASYNC): the dropped mappings are kept from fault-around.
      const [major, minor] = release().split(".").map(Number);
      if (major > 6 || (major === 6 && minor >= 7)) assert.ok(r.faultAroundOff > 0, `fault-around off on ${r.faultAroundOff} mappings`);
      const exeRss = (ms: typeof before) => ms.filter((m) => !m.perms.includes("w") && m.anonymousKb === 0 && m.path.includes("bun")).reduce((a, m) => a + m.rssKb, 0);
      // Code runs on (pages come back on demand) and the resident share of the executable fell.
      const after = parseSmaps(readFileSync("/proc/self/smaps", "utf8"));
      assert.ok(exeRss(after) < exeRss(before), `${exeRss(after)} kB < ${exeRss(before)} kB`);
      assert.equal(JSON.stringify({ a: [1, 2] }), '{"a":[1,2]}');
    } else {
      assert.deepEqual(r, { droppedKb: 0, pagedOutKb: 0, faultAroundOff: 0 });
    }
  });
});
