/**
 * @module The agent's one-port HTTP server: HTTP/1.1, h2c and TLS on one listener, with header,
 * request and idle timeouts and pre-encoded fast responses (docs/architecture.md).
 */
export * from "./types.ts";
export { maxRspTime, startServer } from "./serve.ts";
export { PROBLEM_JSON, type ProblemDetails, problemResponse, reasonPhrase } from "./problem.ts";
export { encodeFastResponse } from "./fast_response.ts";
