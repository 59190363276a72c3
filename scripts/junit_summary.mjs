// Sums JUnit files from `bun test` and `deno test` into one closing line "N passed, N failed".
// Deno reports a describe() block as a test case and its it() calls again as "a > b" cases,
// so only leaf cases (no other case named "<name> > ...") are counted.
import { readFileSync } from "node:fs";

let passed = 0, failed = 0, skipped = 0;
const failures = [];
for (const file of process.argv.slice(2)) {
  let xml;
  try {
    xml = readFileSync(file, "utf8");
  } catch {
    console.log(`${file}: missing (the runner crashed before writing it)`);
    failed++;
    continue;
  }
  const cases = [];
  const re = /<testcase\s([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  let m;
  while ((m = re.exec(xml))) {
    const name = (/name="([^"]*)"/.exec(m[1]) ?? [])[1]?.replace(/&gt;/g, ">").replace(/&lt;/g, "<").replace(/&quot;/g, '"').replace(/&amp;/g, "&") ?? "";
    const body = m[3] ?? "";
    cases.push({ name, failed: /<failure|<error/.test(body), skipped: /<skipped/.test(body) });
  }
  const names = cases.map((c) => c.name);
  let p = 0, f = 0, s = 0;
  for (const c of cases) {
    if (names.some((n) => n.startsWith(c.name + " > "))) continue;
    if (c.skipped) s++;
    else if (c.failed) {
      f++;
      failures.push(`${file}: ${c.name}`);
    } else p++;
  }
  console.log(`${file}: ${p} passed, ${f} failed${s ? `, ${s} skipped` : ""}`);
  passed += p;
  failed += f;
  skipped += s;
}
for (const f of failures) console.log(`FAILED ${f}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
