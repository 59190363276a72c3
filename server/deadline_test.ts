import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { answerWithin, maxRspTime, requestBudget } from "./deadline.ts";

describe("requestBudget()", () => {
  it("takes 3gpp-Sbi-Max-Rsp-Time when it is shorter, and ignores a malformed one", () => {
    assert.equal(requestBudget(1000, new Headers({ "3gpp-Sbi-Max-Rsp-Time": "50" })), 50);
    assert.equal(requestBudget(1000, new Headers({ "3gpp-Sbi-Max-Rsp-Time": "5000" })), 1000);
    assert.equal(requestBudget(1000, new Headers({ "3gpp-Sbi-Max-Rsp-Time": "-1" })), 1000);
    assert.equal(maxRspTime("1.5"), undefined);
  });
});

describe("answerWithin()", () => {
  it("answers 504 TIMED_OUT_REQUEST problem+json and aborts a late handler", async () => {
    const c = new AbortController();
    const res = await answerWithin(() => new Promise<Response>((r) => setTimeout(() => r(new Response("late")), 500)), 30, c);
    assert.equal(res.status, 504);
    assert.equal(res.headers.get("content-type"), "application/problem+json");
    assert.equal((await res.json()).cause, "TIMED_OUT_REQUEST");
    assert.equal(c.signal.aborted, true);
  });

  it("answers 500 SYSTEM_FAILURE when the handler throws, and passes a prompt answer through", async () => {
    const errors: unknown[] = [];
    const res = await answerWithin(() => { throw new Error("boom"); }, 100, new AbortController(), (e) => errors.push(e));
    assert.equal(res.status, 500);
    assert.equal((await res.json()).cause, "SYSTEM_FAILURE");
    assert.equal(errors.length, 1);
    assert.equal(await (await answerWithin(() => new Response("ok"), 100, new AbortController())).text(), "ok");
  });
});
