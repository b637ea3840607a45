/** Pending questions of chat accounts, on the run's engine. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/test-db.ts";
import {
  clearPendingQuestion,
  getPendingQuestion,
  offerQuestion,
  setPendingQuestion,
} from "../../src/domain/conversation-state.ts";

let db: TestDatabase;
let account: number;
const now = new Date(Date.UTC(2026, 10, 30, 3, 0));
const later = (minutes: number) => new Date(now.getTime() + minutes * 60_000);

beforeEach(async () => {
  db = await createTestDatabase();
  account = (
    await db.kysely
      .insertInto("ChatAccount")
      .values({ platform: "telegram", externalId: "1", createdAt: 1 })
      .returning("id")
      .executeTakeFirstOrThrow()
  ).id;
});
afterEach(() => db.destroy());

describe("setPendingQuestion", () => {
  it("should keep one question per account until it expires, the newest replacing the other", async () => {
    await setPendingQuestion(db, {
      chatAccountId: account,
      kind: "lang",
      data: { choices: ["vi", "en"] },
      expiresAt: later(10),
      now,
    });
    expect(await getPendingQuestion(db, account, later(1))).toEqual({
      kind: "lang",
      data: { choices: ["vi", "en"] },
      expiresAt: later(10).getTime(),
    });
    await setPendingQuestion(db, {
      chatAccountId: account,
      kind: "ticket_confirm",
      data: { ticket: 3 },
      expiresAt: later(5),
      now,
    });
    expect((await getPendingQuestion(db, account, later(1)))?.kind).toBe("ticket_confirm");
    expect(await getPendingQuestion(db, account, later(5))).toBeUndefined();
  });
});

describe("clearPendingQuestion", () => {
  it("should close the question, only of the kind given when one is", async () => {
    await setPendingQuestion(db, { chatAccountId: account, kind: "lang", data: {}, expiresAt: later(10), now });
    await clearPendingQuestion(db, account, "other");
    expect((await getPendingQuestion(db, account, now))?.kind).toBe("lang");
    await clearPendingQuestion(db, account, "lang");
    expect(await getPendingQuestion(db, account, now)).toBeUndefined();
    await setPendingQuestion(db, { chatAccountId: account, kind: "lang", data: {}, expiresAt: later(10), now });
    await clearPendingQuestion(db, account);
    expect(await getPendingQuestion(db, account, now)).toBeUndefined();
  });
});

describe("offerQuestion", () => {
  it("should not replace a multi-step flow until it expires, and replace any other question", async () => {
    await setPendingQuestion(db, {
      chatAccountId: account,
      kind: "meeting_new",
      data: { step: 2 },
      expiresAt: later(10),
      now,
    });
    await offerQuestion(db, {
      chatAccountId: account,
      kind: "rsvp",
      data: { meetingId: 1 },
      expiresAt: later(60),
      now: later(1),
    });
    expect(await getPendingQuestion(db, account, later(2))).toMatchObject({ kind: "meeting_new", data: { step: 2 } });
    await offerQuestion(db, {
      chatAccountId: account,
      kind: "rsvp",
      data: { meetingId: 1 },
      expiresAt: later(60),
      now: later(11),
    });
    expect(await getPendingQuestion(db, account, later(12))).toMatchObject({ kind: "rsvp", data: { meetingId: 1 } });
    await offerQuestion(db, {
      chatAccountId: account,
      kind: "directive",
      data: { directiveId: 4 },
      expiresAt: later(60),
      now: later(13),
    });
    expect(await getPendingQuestion(db, account, later(14))).toMatchObject({
      kind: "directive",
      data: { directiveId: 4 },
    });
    const other = (
      await db.kysely
        .insertInto("ChatAccount")
        .values({ platform: "zalo", externalId: "2", createdAt: 1 })
        .returning("id")
        .executeTakeFirstOrThrow()
    ).id;
    await offerQuestion(db, { chatAccountId: other, kind: "rsvp", data: {}, expiresAt: later(60), now });
    expect((await getPendingQuestion(db, other, now))?.kind).toBe("rsvp");
  });
});
