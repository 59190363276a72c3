/** @module HTTP clients and policies shared by the http, sbi and etcd probe kinds (private to probes/). */
export { createH2Client } from "./h2_client.ts";
export { type H2Fetch, h2Fetch, type H2FetchTls } from "./h2_fetch.ts";
export type { H2Client, H2ClientOptions, H2ClientStats, H2Request, H2Response } from "./h2_client.ts";
export { createHttp1Client } from "./http1_client.ts";
export type { Http1Client, Http1ClientOptions, Http1Request, Http1Response } from "./http1_client.ts";
export { expectStatus, formatStatusRanges, parseStatusItem, statusMatches } from "./status_policy.ts";
export type { StatusRanges } from "./status_policy.ts";
export { loadTls, tlsOptions, wrapTlsError } from "./tls_options.ts";
export type { LoadedTls, TlsOptions } from "./tls_options.ts";
export { decodeProblemDetails, describeProblem, isProblemJson } from "./problem_details.ts";
export type { InvalidParam, ProblemDetails } from "./problem_details.ts";
