import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import {
  claim,
  enqueue,
  getOutboxRow,
  heartbeat,
  recoverDeadOwners,
  registerWorker,
} from "../../../src/domain/deliveries/outbox-service.ts";

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await db.destroy();
});

const now = new Date(1_800_000_000_000);
const later = (ms: number) => new Date(now.getTime() + ms);
const lease = later(600_000);

async function claimedBy(worker: string): Promise<number> {
  const id = (await enqueue(db, { platform: "telegram", chatId: `c${worker}`, body: { text: "x" } }, now))!;
  expect(await claim(db, [id], worker, lease)).toHaveLength(1);
  return id;
}

describe("recovering rows whose owner is dead", () => {
  const self = { id: "h1:200:new", host: "h1", pid: 200 };

  it("should keep the rows of a live owner however long its lease, and free those of dead owners at once", async () => {
    await registerWorker(db, { id: "h1:100:live", host: "h1", pid: 100 }, now);
    await registerWorker(db, { id: "h1:101:gone", host: "h1", pid: 101 }, now);
    await registerWorker(db, { id: "h2:100:quiet", host: "h2", pid: 100 }, now);
    await registerWorker(db, { id: "h2:300:beating", host: "h2", pid: 300 }, now);
    await registerWorker(db, { id: "h1:200:old", host: "h1", pid: 200 }, now);
    const live = await claimedBy("h1:100:live");
    const gone = await claimedBy("h1:101:gone");
    const quiet = await claimedBy("h2:100:quiet");
    const beating = await claimedBy("h2:300:beating");
    const earlierRun = await claimedBy("h1:200:old");
    await heartbeat(db, "h1:100:live", later(20_000));
    await heartbeat(db, "h2:300:beating", later(20_000));
    const alive = new Set([100]);
    expect(
      await recoverDeadOwners(db, {
        now: later(20_000),
        self,
        isAlive: (pid) => alive.has(pid),
        liveHere: new Set([self.id]),
      }),
    ).toBe(3);
    // Same host, process gone → dead; other host, heartbeat stale → dead; same pid, an earlier run → dead.
    expect((await getOutboxRow(db, gone))!.status).toBe("pending");
    expect((await getOutboxRow(db, quiet))!.status).toBe("pending");
    expect((await getOutboxRow(db, earlierRun))!.status).toBe("pending");
    // Alive: same host and its process exists, or another host with a fresh heartbeat.
    expect((await getOutboxRow(db, live))!.status).toBe("sending");
    expect((await getOutboxRow(db, beating))!.status).toBe("sending");
  });

  it("should not take the rows of another engine running in this same process", async () => {
    await registerWorker(db, { id: "h1:200:sibling", host: "h1", pid: 200 }, now);
    const row = await claimedBy("h1:200:sibling");
    expect(
      await recoverDeadOwners(db, {
        now: later(1000),
        self,
        isAlive: () => true,
        liveHere: new Set([self.id, "h1:200:sibling"]),
      }),
    ).toBe(0);
    expect((await getOutboxRow(db, row))!.status).toBe("sending");
  });
});
