import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { escapeHtml, htmlDocument, htmlHeaders } from "./html.ts";

describe("htmlHeaders()", () => {
  it("sends the type, the CSP, nosniff and no referrer, plus the extras", () => {
    assert.deepEqual(htmlHeaders("default-src 'none'", { "cache-control": "no-store" }), {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": "default-src 'none'",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "cache-control": "no-store",
    });
  });
});

describe("escapeHtml()", () => {
  it("leaves no markup or attribute break in the text", () => {
    assert.equal(escapeHtml(`<script>alert("x")</script> & 'y'`), "&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#39;y&#39;");
    assert.equal(escapeHtml("upf-north-1"), "upf-north-1");
  });
});

describe("htmlDocument()", () => {
  it("wraps head and body markup in the collector's page outline, escaping only the title", () => {
    const page = htmlDocument("A & B", `<link rel="icon" href="x">\n`, `<div id="app"></div>\n`);
    assert.match(page, /^<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n/);
    assert.ok(page.includes(`<title>A &#38; B</title>\n<link rel="icon" href="x">\n</head>\n<body>\n<div id="app"></div>\n</body>\n</html>\n`));
  });
});
