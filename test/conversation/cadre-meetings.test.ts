import { personActor, systemActor } from "../../src/domain/access/actor.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChatHarness } from "../helpers/chat-harness.ts";
import { buildTree, type TestTree } from "../helpers/tree.ts";
import { addMembership, createPerson } from "../../src/domain/people/people-service.ts";
import { issueLinkCode } from "../../src/domain/linking/link-service.ts";
import { createMeeting, getMeeting } from "../../src/domain/meetings/meeting-service.ts";
import { attendanceOf, recordRsvp } from "../../src/domain/meetings/rsvp-service.ts";
import { runDueJobs } from "../../src/scheduler/jobs.ts";

const zone = "Asia/Ho_Chi_Minh";
let h: ChatHarness;
let tree: TestTree;
let clock: Date;
const people: Record<string, number> = {};

async function link(name: string, chat: number, unitId: number, role: "member" | "cadre" | "official") {
  const p = await createPerson(h.db, { fullName: name });
  await addMembership(h.db, { actor: systemActor(), personId: p.id, unitId, role: "member" });
  if (role !== "member") await addMembership(h.db, { actor: systemActor(), personId: p.id, unitId, role });
  people[name] = p.id;
  await h.text(chat, `DK ${(await issueLinkCode(h.db, p.id)).code}`);
  await h.take(chat);
}

beforeEach(async () => {
  clock = new Date("2026-11-23T03:00:00Z"); // Monday 10:00 in Vietnam
  h = await ChatHarness.create({ now: () => clock });
  tree = await buildTree(h.db);
  await link("Trần Văn Cán", 10, tree.branchA1.id, "cadre");
  await link("Nguyễn Văn An", 11, tree.branchA1.id, "member");
  await link("Lê Thị Bình", 12, tree.branchA1.id, "member");
  await link("Phạm Văn Cường", 13, tree.branchA2.id, "cadre");
  // A member without a phone, recorded by the cadre.
  const noPhone = await createPerson(h.db, { fullName: "Hồ Văn Dũng" });
  await addMembership(h.db, { actor: systemActor(), personId: noPhone.id, unitId: tree.branchA1.id, role: "member" });
  people["Hồ Văn Dũng"] = noPhone.id;
});
afterEach(() => h.destroy());

describe("creating a meeting in chat", () => {
  it("should guide a cadre through a one-off meeting", async () => {
    await h.text(10, "/taohop");
    expect(await h.lastText(10)).toContain("Tên buổi sinh hoạt");
    await h.text(10, "1");
    expect(await h.lastText(10)).toContain("Thời gian nào?");
    await h.text(10, "31/02/2027 19:30");
    expect(await h.lastText(10)).toContain("Không hiểu ngày giờ");
    await h.text(10, "thứ 6 tuần sau 19:30");
    expect(await h.lastText(10)).toContain("Địa điểm");
    await h.text(10, "Nhà văn hóa thôn");
    await h.take(10);
    await h.text(10, "bỏ qua");
    const summary = await h.lastText(10);
    expect(summary).toContain("19:30 thứ Sáu, 04/12/2026");
    expect(summary).toContain("Nhà văn hóa thôn");
    await h.text(10, "có");
    expect(await h.lastText(10)).toMatch(
      /^Đã tạo buổi sinh hoạt #\d+: Sinh hoạt chi hội định kỳ, 19:30 thứ Sáu, 04\/12\/2026/,
    );
    const row = await h.db.kysely
      .selectFrom("Meeting")
      .select(["unitId", "place", "startsAt"])
      .executeTakeFirstOrThrow();
    expect(row).toEqual({
      unitId: tree.branchA1.id,
      place: "Nhà văn hóa thôn",
      startsAt: Date.parse("2026-12-04T12:30:00Z"),
    });
  });

  it("should say when the tally of a short-notice meeting goes out", async () => {
    // Monday 10:00; the meeting at 12:30 the same day: the 3-hour tally moment has already passed.
    await h.text(10, "/taohop");
    await h.take(10);
    await h.text(10, "Họp đột xuất");
    await h.take(10);
    await h.text(10, "12:30 hôm nay");
    await h.take(10);
    await h.text(10, "bỏ qua");
    await h.take(10);
    await h.text(10, "bỏ qua");
    await h.take(10);
    await h.text(10, "có");
    const reply = await h.lastText(10);
    expect(reply).toContain("Đã tạo buổi sinh hoạt");
    expect(reply).toContain("bảng tổng hợp trả lời sẽ gửi cho cán bộ lúc 12:00");
  });

  it("should create a monthly series from words", async () => {
    await h.text(10, "tạo lịch họp");
    await h.take(10);
    await h.text(10, "Sinh hoạt định kỳ");
    await h.take(10);
    await h.text(10, "ngày 5 hằng tháng lúc 19:30");
    await h.take(10);
    await h.text(10, "bỏ qua");
    await h.take(10);
    await h.text(10, "bỏ qua");
    await h.take(10);
    await h.press(10, "mnew:create", 1);
    expect(await h.lastText(10)).toContain("Đã tạo lịch lặp");
    const starts = (await h.db.kysely.selectFrom("Meeting").select("startsAt").orderBy("startsAt").execute()).map((r) =>
      new Date(r.startsAt).toISOString(),
    );
    expect(starts.slice(0, 2)).toEqual(["2026-12-05T12:30:00.000Z", "2027-01-05T12:30:00.000Z"]);
  });

  it("should refuse a meeting in the past and a repeat without a time", async () => {
    await h.text(10, "/taohop");
    await h.take(10);
    await h.text(10, "Họp");
    await h.take(10);
    await h.text(10, "20/11/2026 19:30");
    expect(await h.lastText(10)).toContain("đã qua");
    await h.text(10, "thứ Hai hằng tuần");
    expect(await h.lastText(10)).toContain("cần có giờ");
    await h.text(10, "thứ Tám hằng tuần 19h");
    expect(await h.lastText(10)).toContain("Không hiểu lịch lặp");
    expect(
      (
        await h.db.kysely
          .selectFrom("Meeting")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    ).toBe(0);
  });

  it("should keep a cadre's half-finished flow when a reminder arrives meanwhile", async () => {
    await createMeeting(
      h.db,
      { unitId: tree.branchA1.id, title: "Sinh hoạt chi hội", startsAt: new Date("2026-11-26T12:30:00Z") },
      { actor: systemActor(), now: clock, timeZone: zone },
    );
    await h.text(10, "/taohop");
    await h.take(10);
    // The reminder job runs (the meeting is within three days: caught up at once).
    await runDueJobs(h.db, { now: clock, timeZone: zone, workerId: "test" });
    h.engine.kick();
    expect((await h.take(10)).map((c) => c.payload.text).join()).toContain("Nhắc lịch");
    await h.text(10, "Họp bàn công tác Tết");
    expect(await h.lastText(10)).toContain("Thời gian nào?");
  });

  it("should tell a member politely that they lack the right", async () => {
    await h.text(11, "/taohop");
    expect(await h.lastText(11)).toContain("chỉ cán bộ, lãnh đạo");
    await h.text(11, "/tonghop 1");
    expect(await h.lastText(11)).toContain("chỉ cán bộ, lãnh đạo");
  });
});

describe("managing meetings", () => {
  function meeting(unitId = tree.branchA1.id) {
    return createMeeting(
      h.db,
      { unitId, title: "Sinh hoạt chi hội", startsAt: new Date("2026-12-04T12:30:00Z") },
      { actor: systemActor(), now: clock, timeZone: zone },
    );
  }

  it("should list, tally, move and cancel within the cadre's own branch only", async () => {
    const mine = await meeting();
    const sibling = await meeting(tree.branchA2.id);
    await recordRsvp(
      h.db,
      {
        meetingId: mine.id,
        personId: people["Nguyễn Văn An"]!,
        answer: "attend",
        actor: personActor(people["Nguyễn Văn An"]!),
      },
      clock,
    );
    await recordRsvp(
      h.db,
      {
        meetingId: mine.id,
        personId: people["Lê Thị Bình"]!,
        answer: "absent",
        reason: "đi viện",
        actor: personActor(people["Lê Thị Bình"]!),
      },
      clock,
    );
    await h.text(10, "/hop");
    const list = await h.lastText(10);
    expect(list).toContain(`#${mine.id}`);
    expect(list).not.toContain(`#${sibling.id} `);
    await h.text(10, `/tonghop ${mine.id}`);
    const tally = await h.lastText(10);
    expect(tally).toContain("Có mặt (1): Nguyễn Văn An");
    expect(tally).toContain("Xin vắng (1): Lê Thị Bình (đi viện)");
    expect(tally).toContain("Chưa trả lời (2): ");
    expect(tally).toContain("Hồ Văn Dũng");
    await h.text(10, `/tonghop ${sibling.id}`);
    expect(await h.lastText(10)).toContain("chỉ cán bộ, lãnh đạo");
    await h.text(10, `/doihop ${mine.id} 05/12/2026 19:30`);
    expect(await h.lastText(10)).toContain("Đã dời buổi");
    expect((await getMeeting(h.db, mine.id)).startsAt).toBe(Date.parse("2026-12-05T12:30:00Z"));
    await h.text(10, `/huyhop ${mine.id}`);
    await h.take(10);
    await h.text(10, "1");
    expect(await h.lastText(10)).toContain(`Đã hủy buổi #${mine.id}`);
    expect((await getMeeting(h.db, mine.id)).status).toBe("cancelled");
    await h.text(13, `/huyhop ${mine.id}`);
    expect(await h.lastText(13)).toContain("chỉ cán bộ, lãnh đạo");
  });

  it("should record attendance with 'tất cả có mặt trừ …', including members without a phone", async () => {
    const m = await meeting();
    await recordRsvp(
      h.db,
      {
        meetingId: m.id,
        personId: people["Nguyễn Văn An"]!,
        answer: "attend",
        actor: personActor(people["Nguyễn Văn An"]!),
      },
      clock,
    );
    await h.text(10, `/diemdanh ${m.id}`);
    expect(await h.lastText(10)).toContain("chưa bắt đầu");
    clock = new Date("2026-12-04T15:00:00Z");
    await h.text(10, `điểm danh ${m.id}`);
    const list = await h.lastText(10);
    expect(list).toContain("✓ Nguyễn Văn An");
    expect(list).toContain("✗ Hồ Văn Dũng");
    await h.text(10, "tất cả có mặt trừ Bình, An");
    expect(await h.lastText(10)).toContain("✗ Nguyễn Văn An");
    await h.text(10, "tất cả có mặt trừ Bình");
    const after = await h.lastText(10);
    expect(after).toContain("✗ Lê Thị Bình");
    expect(after).toContain("✓ Hồ Văn Dũng");
    await h.text(10, "xong");
    expect(await h.lastText(10)).toMatch(/Đã lưu điểm danh buổi #\d+: 3\/4 có mặt/);
    const attendance = await attendanceOf(h.db, m.id);
    expect(attendance.get(people["Lê Thị Bình"]!)).toBe(false);
    expect(attendance.get(people["Hồ Văn Dũng"]!)).toBe(true);
  });
});
