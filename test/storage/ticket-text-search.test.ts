/**
 * The concern search index gives the same matches on both engines (run on each by the SQLite and
 * the PostgreSQL configurations): a message matches when every word begins one of its words,
 * folded (case, tone marks, đ); only the member's messages and the answers are searched.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/test-db.ts";
import { countTicketTextMessages, ticketTextHits } from "../../src/storage/ticket-text-search.ts";

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(() => db.destroy());

const texts: [string, string][] = [
  ["member", "Đường vào thôn bị NGẬP mỗi khi mưa"],
  ["official", "Đã chuyển ý kiến, giải quyết trong tháng 12."],
  ["member", "Tiếng ồn karaoke ở xóm Đông"],
  ["system", "đường ngập (dòng hệ thống, không tìm)"],
  ["member", "Xem example.com/duong-ngap hoặc abc123, x_y; 3,5 triệu"],
  ["member", "Chế độ trợ cấp ở ngã ba Đồng Lộc"],
  ["member", "ĐƯỜNG LÀNG ngập nước"],
];

async function seed(): Promise<number[]> {
  const now = Date.UTC(2026, 10, 20);
  const org = await db.kysely
    .insertInto("Organisation")
    .values({ code: "s", name: "S", createdAt: now })
    .returning("id")
    .executeTakeFirstOrThrow();
  const unit = await db.kysely
    .insertInto("Unit")
    .values({ organisationId: org.id, name: "U", nameKey: "u", path: "/tmp/", depth: 0, createdAt: now })
    .returning("id")
    .executeTakeFirstOrThrow();
  const person = await db.kysely
    .insertInto("Person")
    .values({ fullName: "P", nameKey: "p", createdAt: now, updatedAt: now })
    .returning("id")
    .executeTakeFirstOrThrow();
  const ids: number[] = [];
  for (const [role, text] of texts) {
    const t = await db.kysely
      .insertInto("Ticket")
      .values({
        unitId: unit.id,
        originUnitId: unit.id,
        personId: person.id,
        dueAt: now,
        createdAt: now,
        updatedAt: now,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    // A first message that never matches, so that ticket and message ids differ.
    await db.kysely
      .insertInto("TicketMessage")
      .values({ ticketId: t.id, authorRole: "member", authorPersonId: person.id, text: "mở đầu", createdAt: now })
      .execute();
    await db.kysely
      .insertInto("TicketMessage")
      .values({ ticketId: t.id, authorRole: role, authorPersonId: person.id, text, createdAt: now })
      .execute();
    ids.push(t.id);
  }
  return ids;
}

async function hits(words: string[]): Promise<number[]> {
  return (await db.kysely.selectFrom(ticketTextHits(db, words).as("h")).select("h.tid").orderBy("h.tid").execute()).map(
    (r) => Number(r.tid),
  );
}

describe("ticketTextHits", () => {
  it("should match word beginnings of folded text, the same on every engine", async () => {
    const t = await seed();
    expect(await hits(["duong", "ngap"])).toEqual([t[0], t[4], t[6]]);
    expect(await hits(["duo"])).toEqual([t[0], t[4], t[6]]);
    expect(await hits(["uong"])).toEqual([]);
    expect(await hits(["thang", "12"])).toEqual([t[1]]);
    expect(await hits(["karaoke"])).toEqual([t[2]]);
    expect(await hits(["dong", "loc", "tro", "cap"])).toEqual([t[5]]);
    expect(await hits(["com"])).toEqual([t[4]]);
    expect(await hits(["abc"])).toEqual([t[4]]);
    expect(await hits(["123"])).toEqual([]);
    expect(await hits(["y"])).toEqual([t[1], t[4]]);
    expect(await hits(["5", "trieu"])).toEqual([t[4]]);
    expect(await hits(["he", "thong"])).toEqual([]);
    expect(await hits(["mo", "dau"])).toEqual(t);
    expect(await countTicketTextMessages(db, ["mo"], 3)).toBe(3);
    expect(await countTicketTextMessages(db, ["duong"], 100)).toBe(3);
  });

  it("should forget a deleted message", async () => {
    const t = await seed();
    await db.kysely
      .deleteFrom("TicketMessage")
      .where("ticketId", "=", t[0]!)
      .where("authorRole", "=", "member")
      .execute();
    expect(await hits(["duong", "ngap"])).toEqual([t[4], t[6]]);
    expect(() => ticketTextHits(db, ["a b"])).toThrow();
  });
});
