import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createAnswerPublisher } from "./answer_publisher.ts";
import { createManualClock } from "../runtime/manual_clock.ts";

function setup(minGapMs = 100) {
  const clock = createManualClock();
  const at: number[] = [];
  const publisher = createAnswerPublisher({ clock, minGapMs, publish: () => void at.push(clock.monotonic()) });
  return { clock, at, publisher };
}

describe("createAnswerPublisher()", () => {
  it("publishes a status change at once, every time, in the same call", () => {
    const { at, publisher } = setup();
    publisher.now();
    publisher.now();
    assert.deepEqual(at, [0, 0]);
  });

  it("publishes a change of names at once after a quiet gap, else once when the gap has passed", async () => {
    const { clock, at, publisher } = setup();
    publisher.soon();
    assert.deepEqual(at, [0]); // nothing for 100 ms before: at once
    await clock.advance(30);
    publisher.soon();
    publisher.soon();
    assert.deepEqual(at, [0]);
    await clock.advance(69);
    assert.deepEqual(at, [0]);
    await clock.advance(1);
    assert.deepEqual(at, [0, 100]); // one publish carries both changes
    await clock.advance(500);
    publisher.soon();
    assert.deepEqual(at, [0, 100, 600]);
  });

  it("folds a pending publish of names into a status change", async () => {
    const { clock, at, publisher } = setup();
    publisher.now();
    publisher.soon();
    await clock.advance(10);
    publisher.now();
    await clock.advance(200);
    assert.deepEqual(at, [0, 10]);
  });

  it("bounds a burst of 5,000 changes over one second to one publish per gap", async () => {
    const { clock, at, publisher } = setup();
    publisher.now(); // UP → DOWN
    for (let i = 0; i < 5000; i++) {
      publisher.soon();
      if (i % 50 === 49) await clock.advance(10);
    }
    // The last change came at 990 ms; it is published after it, within one gap.
    await clock.advance(100);
    assert.ok(at.length <= 1 + 1000 / 100 + 1, `${at.length} publishes`);
    assert.ok(at.at(-1)! >= 990 && at.at(-1)! <= 1090, `last publish at ${at.at(-1)} ms`);
  });

  it("drops a pending publish on stop()", async () => {
    const { clock, at, publisher } = setup();
    publisher.now();
    publisher.soon();
    publisher.stop();
    await clock.advance(500);
    assert.deepEqual(at, [0]);
  });
});
