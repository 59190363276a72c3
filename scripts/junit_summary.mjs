// Sums JUnit files from `bun test` and `deno test` into one closing line "N passed, N failed".
// Deno reports a describe() block as a test case and its it() calls again as "a > b" cases,
// so only leaf cases (no other case named "<name> > ...") are counted.
//
// Usage: junit_summary.mjs --runners RUNNERS.tsv   (lines "name<TAB>exit status<TAB>xml path",
//        written by scripts/test.sh) or junit_summary.mjs FILE.xml... (no exit statuses known).
// A runner whose file is missing, or that exited non-zero with no failed case in its file
// (it died: a crash, an OOM kill, a timeout of the whole runner), counts as one failure named
// "RUNNER <name> ..." in the closing lines.
import { readFileSync } from "node:fs";

let passed = 0, failed = 0, skipped = 0;
const failures = [];
/** @type {{ name: string, status: number | undefined, file: string }[]} */
let runners;
if (process.argv[2] === "--runners") {
  runners = readFileSync(process.argv[3], "utf8").split("\n").filter(Boolean).map((line) => {
    const [name, status, file] = line.split("\t");
    return { name, status: Number(status), file };
  });
  if (runners.length === 0) {
    console.log("no runner ran (empty file list?)");
    failed++;
  }
} else {
  runners = process.argv.slice(2).map((file) => ({ name: file, status: undefined, file }));
}
for (const { name: runner, status, file } of runners) {
  let xml;
  try {
    xml = readFileSync(file, "utf8");
  } catch {
    console.log(`${file}: missing (the runner crashed before writing it)`);
    failures.push(`RUNNER ${runner} wrote no ${file} (exit status ${status ?? "unknown"})`);
    failed++;
    continue;
  }
  const cases = [];
  const re = /<testcase\s([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  let m;
  while ((m = re.exec(xml))) {
    const attr = (text, key) => (new RegExp(`(?:^|\\s)${key}="([^"]*)"`).exec(text) ?? [])[1]?.replace(/&gt;/g, ">").replace(/&lt;/g, "<").replace(/&quot;/g, '"').replace(/&#10;/g, " ").replace(/&apos;/g, "'").replace(/&amp;/g, "&");
    const name = attr(m[1], "name") ?? "";
    const body = m[3] ?? "";
    // Where and why, so the closing lines alone say which suite failed (a CI tail is often all
    // there is): the describe block (bun's classname), the file, the first 300 characters of the message.
    const where = [attr(m[1], "classname"), attr(m[1], "file")].filter(Boolean).join(", ");
    const why = (attr(/<(?:failure|error)\s[^>]*/.exec(body)?.[0] ?? "", "message") ?? "").replace(/\s+/g, " ").slice(0, 300);
    cases.push({ name, failed: /<failure|<error/.test(body), skipped: /<skipped/.test(body), where, why });
  }
  const names = cases.map((c) => c.name);
  let p = 0, f = 0, s = 0;
  for (const c of cases) {
    if (names.some((n) => n.startsWith(c.name + " > "))) continue;
    if (c.skipped) s++;
    else if (c.failed) {
      f++;
      failures.push(`${file}: ${c.name}${c.where ? ` [${c.where}]` : ""}${c.why ? `: ${c.why}` : ""}`);
    } else p++;
  }
  console.log(`${file}: ${p} passed, ${f} failed${s ? `, ${s} skipped` : ""}${status ? ` (exit status ${status})` : ""}`);
  if (status !== undefined && status !== 0 && f === 0) {
    failures.push(`RUNNER ${runner} exited with status ${status} and no failed case in ${file} (it died)`);
    f++;
  }
  passed += p;
  failed += f;
  skipped += s;
}
for (const f of failures) console.log(`FAILED ${f}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
