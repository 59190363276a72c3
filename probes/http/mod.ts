/** @module HTTP probe: HTTP/1.1, h2c prior knowledge (RFC 9113 §3.3) and h2 over TLS. */
export { http, targetUrl } from "./http_probe.ts";
export { httpOptions } from "./options.ts";
export type { HttpProbeOptions } from "./options.ts";
