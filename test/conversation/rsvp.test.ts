import { systemActor } from "../../src/domain/access/actor.ts";
import { noteGroup, setGroupAllowed } from "../../src/domain/groups/group-service.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ChatHarness } from "../helpers/chat-harness.ts";
import { buildTree, type TestTree } from "../helpers/tree.ts";
import { addMembership, createPerson } from "../../src/domain/people/people-service.ts";
import { issueLinkCode } from "../../src/domain/linking/link-service.ts";
import { createMeeting, cancelMeeting } from "../../src/domain/meetings/meeting-service.ts";
import { getRsvp } from "../../src/domain/meetings/rsvp-service.ts";
import { runDueJobs } from "../../src/scheduler/jobs.ts";
import { findAccount } from "../../src/domain/accounts/account-service.ts";
import { setPendingQuestion } from "../../src/domain/conversation-state.ts";

const zone = "Asia/Ho_Chi_Minh";
const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/replies-vi.tsv");

let h: ChatHarness;
let tree: TestTree;
let an: { id: number };
let clock: Date;
// 19:30 Friday 04/12/2026 in Vietnam.
const startsAt = new Date("2026-12-04T12:30:00Z");

beforeEach(async () => {
  clock = new Date("2026-11-30T01:00:00Z");
  h = await ChatHarness.create({ now: () => clock });
  tree = await buildTree(h.db);
  an = await createPerson(h.db, { fullName: "Nguyễn Văn An" });
  await addMembership(h.db, { actor: systemActor(), personId: an.id, unitId: tree.branchA1.id, role: "member" });
  await h.text(42, `DK ${(await issueLinkCode(h.db, an.id)).code}`);
  await h.take(42);
});
afterEach(() => h.destroy());

function meeting(at = startsAt, unitId = tree.branchA1.id, title = "Sinh hoạt chi hội định kỳ") {
  return createMeeting(
    h.db,
    { unitId, title, place: "Nhà văn hóa", agenda: "Quán triệt nghị quyết", startsAt: at },
    { actor: systemActor(), now: clock, timeZone: zone },
  );
}

async function remind(m: { id: number }) {
  // 08:00 three days before, Vietnamese time.
  clock = new Date("2026-12-01T01:00:00Z");
  await runDueJobs(h.db, { now: clock, timeZone: zone, workerId: "test" });
  h.engine.kick();
  const [reminder] = await h.take(42);
  expect(reminder, `reminder for meeting ${m.id}`).toBeDefined();
  return reminder!;
}

describe("reminders in chat", () => {
  it("should show date, time, place and agenda with the three choices", async () => {
    const m = await meeting();
    const reminder = await remind(m);
    expect(reminder.payload.text).toContain("19:30 thứ Sáu, 04/12/2026");
    expect(reminder.payload.text).toContain("Nhà văn hóa");
    expect(reminder.payload.text).toContain("Quán triệt nghị quyết");
    expect(
      reminder.payload.reply_markup.inline_keyboard
        .flat()
        .map((b: { text: string; callback_data: string }) => [b.text, b.callback_data]),
    ).toEqual([
      ["Có mặt", `rsvp:${m.id}:attend`],
      ["Xin vắng", `rsvp:${m.id}:absent`],
      ["Chưa chắc", `rsvp:${m.id}:unsure`],
    ]);
  });
});

describe("answers", () => {
  it("should record a button answer and confirm it back", async () => {
    const m = await meeting();
    const reminder = await remind(m);
    await h.press(42, `rsvp:${m.id}:attend`, reminder.payload.message_id ?? 1);
    expect(await h.lastText(42)).toBe(
      "Đã ghi nhận: anh/chị có mặt buổi Sinh hoạt chi hội định kỳ 19:30 thứ Sáu 04/12.",
    );
    expect((await getRsvp(h.db, m.id, an.id))?.answer).toBe("attend");
  });

  it("should understand a numbered choice and 'có' only while the reminder is open", async () => {
    const m = await meeting();
    await remind(m);
    await h.text(42, "2");
    expect(await h.lastText(42)).toContain("xin vắng");
    expect((await getRsvp(h.db, m.id, an.id))?.answer).toBe("absent");
  });

  it("should ask once for the reason of an absence and keep it", async () => {
    const m = await meeting();
    await remind(m);
    await h.text(42, "xin vắng");
    expect(await h.lastText(42)).toContain("cho biết lý do");
    await h.text(42, "con ốm");
    expect(await h.lastText(42)).toContain("Đã ghi lý do: con ốm");
    expect(await getRsvp(h.db, m.id, an.id)).toMatchObject({ answer: "absent", reason: "con ốm" });
  });

  it("should act on every reminder reply of the replies fixture: record clear answers, ask about mixed ones, record nothing else", async () => {
    const m = await meeting();
    await remind(m);
    const account = (await findAccount(h.db, "telegram", "42"))!;
    const lines = readFileSync(fixture, "utf8")
      .split("\n")
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => l.split("\t"));
    const reminderLines = lines.filter(([context]) => context === "reminder");
    expect(reminderLines.length).toBeGreaterThan(300);
    const tickets = async () =>
      (
        await h.db.kysely
          .selectFrom("Ticket")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow()
      ).n;
    let mixedSeen = 0;
    for (const [, text, intent, reason] of reminderLines) {
      // Each line answers a fresh reminder, with nothing recorded yet.
      await h.db.kysely.deleteFrom("Rsvp").where("meetingId", "=", m.id).where("personId", "=", an.id).execute();
      // …and no concerns yet today (a member may raise only so many a day).
      await h.db.kysely.deleteFrom("TicketMessage").execute();
      await h.db.kysely.deleteFrom("TicketStatusChange").execute();
      await h.db.kysely.deleteFrom("Ticket").execute();
      await setPendingQuestion(h.db, {
        chatAccountId: account.id,
        kind: "rsvp",
        data: { meetingId: m.id, choices: [`rsvp:${m.id}:attend`, `rsvp:${m.id}:absent`, `rsvp:${m.id}:unsure`] },
        expiresAt: startsAt,
        now: clock,
      });
      const before = await tickets();
      await h.text(42, text!);
      const replies = (await h.take(42)).map((c) => c.payload.text as string).join("\n");
      const rsvp = await getRsvp(h.db, m.id, an.id);
      // A bare "dạ" / "không" answers the open reminder's first / second choice.
      const recorded = intent === "yes" ? "attend" : intent === "no" ? "absent" : intent;
      if (recorded === "attend" || recorded === "absent" || recorded === "unsure") {
        expect(rsvp?.answer, `"${text}"`).toBe(recorded);
        if (intent === "absent") expect((rsvp?.reason ?? "").trim(), `reason of "${text}"`).toBe((reason ?? "").trim());
      } else if (intent!.startsWith("mixed:")) {
        // Nothing recorded before the member says what the message is; then their choice is done.
        expect(rsvp, `"${text}" must not be recorded before asking`).toBeUndefined();
        expect(replies, `"${text}"`).toContain("Anh/chị muốn bot làm gì?");
        const choice = (["answer", "concern", "both"] as const)[mixedSeen++ % 3]!;
        await h.press(42, `rsvpmix:${choice}`, 1);
        await h.take(42);
        const after = await getRsvp(h.db, m.id, an.id);
        if (choice === "concern") expect(after, `"${text}" sent as a concern only`).toBeUndefined();
        else expect(after?.answer, `"${text}" recorded on request`).toBe(intent!.slice("mixed:".length));
        if (choice !== "concern" && intent === "mixed:absent")
          expect((after?.reason ?? "").trim(), `reason of "${text}"`).toBe((reason ?? "").trim());
        expect(await tickets(), `"${text}" ticket`).toBe(before + (choice === "answer" ? 0 : 1));
      } else {
        expect(rsvp, `"${text}" (${intent}) must not be recorded as an answer`).toBeUndefined();
        expect(await tickets(), `"${text}" must not become a ticket without confirmation`).toBe(before);
      }
    }
    expect(mixedSeen).toBeGreaterThan(10);
    // Hundreds of lines through the whole stack: a bound for a loaded machine, not a timing claim.
  }, 180_000);

  it("should tie a reply-to to that reminder's meeting, and ask which when two are pending", async () => {
    const first = await meeting();
    const second = await meeting(new Date("2026-12-06T01:00:00Z"), tree.branchA1.id, "Họp bàn công tác Tết");
    const reminder = await remind(first);
    await h.db.kysely.deleteFrom("ConversationState").execute();
    await h.text(42, "có mặt", { replyTo: reminder.payload.message_id ?? 0 });
    // The capturing transformer numbers messages; find the reminder's id in the log to reply to it.
    const logged = await h.db.kysely
      .selectFrom("MessageLog")
      .select("platformMessageId")
      .where("direction", "=", "out")
      .where("entityType", "=", "Meeting")
      .where("entityId", "=", first.id)
      .executeTakeFirstOrThrow();
    await h.take(42);
    await h.text(42, "xin vắng vì đi công tác", { replyTo: Number(logged.platformMessageId) });
    await h.take(42);
    expect(await getRsvp(h.db, first.id, an.id)).toMatchObject({ answer: "absent", reason: "đi công tác" });
    expect(await getRsvp(h.db, second.id, an.id)).toBeUndefined();
    // Without context and two meetings pending for which no clear pick exists: ask.
    await h.db.kysely.deleteFrom("ConversationState").execute();
    await h.db.kysely.deleteFrom("Rsvp").execute();
    await h.text(42, "có mặt");
    const [ask] = await h.take(42);
    expect(ask!.payload.text).toContain("trả lời cho buổi nào");
    await h.press(42, `rsvpwhich:${second.id}`, 1);
    await h.take(42);
    expect((await getRsvp(h.db, second.id, an.id))?.answer).toBe("attend");
  });

  it("should mark an answer after the start late, and refuse one to a cancelled meeting", async () => {
    const m = await meeting();
    const other = await meeting(new Date("2026-12-10T12:30:00Z"));
    await remind(m);
    // (The clock only moves forward: the delivery engine's rate windows follow it.)
    clock = new Date(startsAt.getTime() + 10 * 60_000);
    await h.press(42, `rsvp:${m.id}:attend`, 1);
    expect(await h.lastText(42)).toContain("trả lời muộn");
    expect((await getRsvp(h.db, m.id, an.id))?.late).toBe(true);
    await cancelMeeting(h.db, other.id, { actor: systemActor(), now: clock, timeZone: zone });
    await h.take(42);
    await h.press(42, `rsvp:${other.id}:attend`, 1);
    expect(await h.lastText(42)).toContain("đã bị hủy");
    expect(await getRsvp(h.db, other.id, an.id)).toBeUndefined();
  });

  it("should let '1' answer a reminder that arrived while a concern confirmation was open", async () => {
    const m = await meeting();
    await h.text(42, "Đề nghị hội tổ chức khám sức khỏe định kỳ cho hội viên");
    expect(await h.lastText(42)).toContain("gửi ý kiến này");
    await remind(m);
    await h.text(42, "1");
    expect(await h.lastText(42)).toContain("Đã ghi nhận: anh/chị có mặt");
    expect(
      (
        await h.db.kysely
          .selectFrom("Ticket")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    ).toBe(0);
  });

  it("should change the answer when 'chưa chắc' comes instead of a reason", async () => {
    const m = await meeting();
    await remind(m);
    await h.text(42, "k đi đc");
    expect(await h.lastText(42)).toContain("lý do");
    await h.text(42, "chưa chắc");
    expect(await h.lastText(42)).toContain("chưa chắc đi được");
    expect((await getRsvp(h.db, m.id, an.id))?.answer).toBe("unsure");
  });

  it("should answer an unlinked account with linking instructions only", async () => {
    const m = await meeting();
    await h.press(77, `rsvp:${m.id}:attend`, 1);
    expect(await h.lastText(77)).toContain("mã liên kết");
    await h.text(77, "có mặt");
    expect(await h.lastText(77)).toContain("mã liên kết");
    expect(
      (
        await h.db.kysely
          .selectFrom("Rsvp")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    ).toBe(0);
  });

  it("should count an answer in a branch group for the linked sender", async () => {
    const m = await meeting();
    await remind(m);
    await setGroupAllowed(h.db, {
      groupId: (await noteGroup(h.db, { platform: "telegram", externalId: "-500", title: "Chi hội" })).id,
      allowed: true,
      actor: systemActor("cli"),
    });
    await h.text(42, "@chihoi_test_bot có mặt", { chatId: -500 });
    const [reply] = await h.take(-500);
    expect(reply!.payload.text).toContain("có mặt");
    expect((await getRsvp(h.db, m.id, an.id))?.answer).toBe("attend");
  });
});
