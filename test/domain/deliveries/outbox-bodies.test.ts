import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import {
  claim,
  getOutboxRow,
  storeSharedBodies,
  type OutboxBody,
} from "../../../src/domain/deliveries/outbox-service.ts";

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(() => db.destroy());

const now = new Date("2026-11-30T10:00:00Z");

/** A broadcast copy to chat `chatId` naming shared body `bodyId` (no body of its own). */
async function copyOf(bodyId: number, chatId: string): Promise<number> {
  const row = await db.kysely
    .insertInto("Outbox")
    .values({
      platform: "telegram",
      chatId,
      priority: 9,
      body: null,
      bodyId,
      status: "pending",
      notBefore: now.getTime(),
      createdAt: now.getTime(),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

const textOf = (body: string) => (JSON.parse(body) as OutboxBody).text;

describe("shared bodies", () => {
  it("should give every copy its own broadcast's text, however many broadcasts a claim mixes", async () => {
    const bodyIds = await storeSharedBodies(
      db,
      Array.from({ length: 130 }, (_, i) => ({ text: `văn bản ${i}` })),
      now,
    );
    const copies = [];
    for (const [i, bodyId] of bodyIds.entries()) copies.push(await copyOf(bodyId, String(1000 + i)));
    // 64 bodies read one by one: as many as the process keeps, the first of them read longest ago.
    for (const [i, id] of copies.slice(0, 64).entries())
      expect(textOf((await getOutboxRow(db, id))!.body)).toBe(`văn bản ${i}`);
    // One claim with the body read longest ago and 66 more: each copy gets its own text.
    const wanted = [copies[0]!, ...copies.slice(64)];
    const claimed = await claim(db, wanted, "worker", new Date(now.getTime() + 60_000));
    expect(claimed.map((r) => r.id)).toEqual(wanted);
    expect(claimed.map((r) => textOf(r.body))).toEqual(
      [0, ...Array.from({ length: 66 }, (_, i) => 64 + i)].map((i) => `văn bản ${i}`),
    );
  });

  it("should not keep a body read in a transaction that was rolled back", async () => {
    // SQLite gives a rolled-back row's id to the next row: a kept copy of the first body would be
    // sent as the second's.
    await expect(
      db.transaction(async () => {
        const [bodyId] = await storeSharedBodies(db, [{ text: "bản nháp bị hủy" }], now);
        const id = await copyOf(bodyId!, "1");
        expect(textOf((await getOutboxRow(db, id))!.body)).toBe("bản nháp bị hủy");
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    const [bodyId] = await storeSharedBodies(db, [{ text: "văn bản gửi đi" }], now);
    const id = await copyOf(bodyId!, "1");
    expect(textOf((await getOutboxRow(db, id))!.body)).toBe("văn bản gửi đi");
  });
});
