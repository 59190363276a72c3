/**
 * @module The limits a request meets before the app, for servers that hand every request over as
 * a fetch `Request` (Bun.serve, Deno.serve): head size → 431, body size → 413, the request
 * deadline → 504 (server/deadline.ts); each answer problem+json (TS 29.571 §5.2.4.1). The native
 * server's own caps stay underneath as the hard memory bound (docs/health.md).
 */
import { answerWithin, problemAnswer, requestBudget } from "./deadline.ts";
import { readBodyCapped } from "./read_body.ts";

export interface GuardLimits {
  readonly requestTimeoutMs: number;
  readonly maxHeaderBytes: number;
  readonly maxBodyBytes: number;
}

export type FetchHandler = (req: Request) => Response | Promise<Response>;

/** Bytes of the request head as HTTP/1.1 would carry it: request line and `name: value\r\n` lines. */
export function headBytes(req: Request): number {
  const url = new URL(req.url);
  let n = req.method.length + url.pathname.length + url.search.length + 12;
  req.headers.forEach((v, k) => (n += k.length + v.length + 4));
  return n;
}

export function guard(limits: GuardLimits, handler: FetchHandler, onError?: (e: unknown) => void): FetchHandler {
  return async (req) => {
    if (headBytes(req) > limits.maxHeaderBytes) return problemAnswer(431, `request head exceeds ${limits.maxHeaderBytes} bytes`, undefined, { connection: "close" });
    const declared = req.headers.get("content-length");
    if (declared !== null && Number(declared) > limits.maxBodyBytes) {
      return problemAnswer(413, `body exceeds ${limits.maxBodyBytes} bytes`, undefined, { connection: "close" });
    }
    let request = req;
    if (req.body && declared === null) {
      // No declared length (chunked, or HTTP/2 DATA without content-length): count as it comes.
      const body = await readBodyCapped(req, limits.maxBodyBytes);
      if (!body) return problemAnswer(413, `body exceeds ${limits.maxBodyBytes} bytes`, undefined, { connection: "close" });
      request = new Request(req.url, { method: req.method, headers: req.headers, body });
    }
    const controller = new AbortController();
    return answerWithin(() => handler(request), requestBudget(limits.requestTimeoutMs, req.headers), controller, onError);
  };
}
