import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { planRoom } from "./spool_room.ts";

describe("planRoom()", () => {
  it("drops nothing while the record fits", () => {
    assert.deepEqual(planRoom([{ bytes: 500, unsent: 5 }], 500, 100, 1000, 0), { drop: 0, rotateTail: false, records: 0, bytes: 0 });
  });

  it("drops the oldest whole segments until the record fits, counting their unsent records", () => {
    const segs = [{ bytes: 400, unsent: 2 }, { bytes: 400, unsent: 4 }, { bytes: 150, unsent: 1 }];
    assert.deepEqual(planRoom(segs, 950, 100, 1000, 2), { drop: 1, rotateTail: false, records: 2, bytes: 400 });
    assert.deepEqual(planRoom(segs, 950, 500, 1000, 2), { drop: 2, rotateTail: false, records: 6, bytes: 800 });
  });

  it("drops the tail too when it holds records (the next append starts a new segment), never an empty tail", () => {
    assert.deepEqual(planRoom([{ bytes: 990, unsent: 9 }], 990, 100, 1000, 0), { drop: 1, rotateTail: true, records: 9, bytes: 990 });
    assert.deepEqual(planRoom([{ bytes: 600, unsent: 3 }, { bytes: 32, unsent: 0 }], 632, 500, 1000, 1), { drop: 1, rotateTail: false, records: 3, bytes: 600 });
    assert.deepEqual(planRoom([{ bytes: 32, unsent: 0 }], 32, 5000, 1000, 0), { drop: 0, rotateTail: false, records: 0, bytes: 0 });
  });
});
