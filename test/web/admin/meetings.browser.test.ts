import { beforeAll, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { waitUntil } from "../../helpers/service.ts";
import { chatLines, describeInBrowser, newPage, shot, signIn, useAdminService } from "./admin-fixture.ts";
import { personActor, systemActor } from "../../../src/domain/access/actor.ts";
import { addMembership, createPerson } from "../../../src/domain/people/people-service.ts";
import { createMeeting } from "../../../src/domain/meetings/meeting-service.ts";
import { recordRsvp } from "../../../src/domain/meetings/rsvp-service.ts";
import { formatLocalDate, toLocal } from "../../../src/lib/zoned-time.ts";

const ctx = useAdminService();
const MINUTE = 60_000;
const DAY = 86_400_000;
let noPhone = 0;

beforeAll(async () => {
  if (!ctx.running) return;
  // A member without a phone (and so without chat): the cadre tells them in person and ticks them on the checklist.
  const db = ctx.running.service.db;
  noPhone = (await createPerson(db, { fullName: "Võ Văn Không" })).id;
  await addMembership(db, {
    actor: systemActor("cli"),
    personId: noPhone,
    unitId: ctx.fx.tree.branchA1.id,
    role: "member",
  });
});

const url = (path: string) => `${ctx.running.service.url}${path}`;
const db = () => ctx.running.service.db;
const zone = () => ctx.running.service.config.timeZone;

/** "dd/mm/yyyy" of the local day `days` from today. */
function localDay(days: number): string {
  return formatLocalDate(toLocal(new Date(Date.now() + days * DAY), zone()));
}

let said = 0;
/** The member types or presses a button in their web chat. */
async function say(session: string, message: { text?: string; payload?: string }): Promise<void> {
  const res = await fetch(url("/chat/api/send"), {
    method: "POST",
    headers: { cookie: `chihoi_session=${session}`, "content-type": "application/json" },
    body: JSON.stringify({ id: `t${++said}`, ...message }),
  });
  expect(res.status).toBe(200);
}

async function waitForChat(session: string, text: string, what: string): Promise<void> {
  await waitUntil(async () => (await chatLines(ctx.running, session)).some((l) => l.includes(text)), 20_000, what);
}

const meetingIdOf = (page: Page) => Number(/\/admin\/meetings\/(\d+)/.exec(page.url())![1]);

describeInBrowser("meetings", () => {
  it("should create a repeating meeting, showing its next dates as it is typed, and list it and put it on the calendar", async () => {
    const { context, page } = await newPage(ctx.browser);
    await signIn(ctx.running, page, ctx.fx.cadre);
    await page.getByRole("link", { name: "Sinh hoạt" }).first().click();
    await page.waitForURL(/\/admin\/meetings$/);
    await page.getByRole("link", { name: "Tạo buổi sinh hoạt" }).click();
    await page.waitForURL(/\/admin\/meetings\/new$/);
    // One meeting first: the preview reads the date as chat does.
    await page.getByLabel("Thời gian", { exact: true }).fill("19h30 thứ 6 tuần sau");
    await page.locator("#when-preview", { hasText: "Một buổi: 19:30 thứ Sáu" }).waitFor();
    // Then a repeating one: the rule in words and its next five dates.
    await page.getByLabel("Thời gian", { exact: true }).fill("thứ Bảy tuần đầu tiên của tháng lúc 19:30");
    await page.locator("#next-dates li").nth(4).waitFor();
    expect(await page.locator("#when-preview").innerText()).toContain("Lặp lại: thứ Bảy đầu tiên hằng tháng lúc 19:30");
    const dates = await page.locator("#next-dates li").allInnerTexts();
    expect(dates).toHaveLength(5);
    const months = new Set<string>();
    for (const d of dates) {
      const m = /^19:30 thứ Bảy, (\d{2})\/(\d{2}\/\d{4})$/.exec(d.trim());
      expect(m, d).not.toBeNull();
      expect(Number(m![1])).toBeLessThanOrEqual(7);
      months.add(m![2]!);
    }
    expect(months.size).toBe(5);
    await shot(page, "30-meeting-new-series");
    await page.getByLabel("Tên buổi sinh hoạt").fill("Sinh hoạt chi hội tháng");
    await page.getByLabel("Địa điểm").fill("Nhà văn hóa thôn 1");
    await page.getByRole("button", { name: "Tạo lịch" }).click();
    await page.waitForURL(/\/admin\/meetings\/\d+\?done=created_series/);
    expect(await page.getByRole("status").first().innerText()).toContain("Đã tạo lịch lặp");
    const first = meetingIdOf(page);
    expect(await page.locator("main").innerText()).toContain("thứ Bảy đầu tiên hằng tháng lúc 19:30");
    const series = await db()
      .kysely.selectFrom("MeetingSeries")
      .select(["id", "unitId", "rule", "startTime"])
      .executeTakeFirstOrThrow();
    expect({ ...series, rule: JSON.parse(series.rule) }).toMatchObject({
      unitId: ctx.fx.tree.branchA1.id,
      rule: { kind: "monthly_weekday", weekday: 6, nth: 1 },
      startTime: "19:30",
    });
    const created = await db()
      .kysely.selectFrom("Meeting")
      .select(["id", "startsAt"])
      .where("seriesId", "=", series.id)
      .orderBy("startsAt")
      .execute();
    expect(created[0]!.id).toBe(first);
    expect(toLocal(new Date(created[0]!.startsAt), zone())).toMatchObject({ weekday: 6, hour: 19, minute: 30 });
    expect(`19:30 thứ Bảy, ${formatLocalDate(toLocal(new Date(created[0]!.startsAt), zone()))}`).toBe(dates[0]!.trim());
    expect(
      await db()
        .kysely.selectFrom("AuditLog")
        .select(["actorPersonId", "source"])
        .where("action", "=", "series.create")
        .where("entityId", "=", series.id)
        .executeTakeFirst(),
    ).toEqual({ actorPersonId: ctx.fx.cadre.id, source: "web" });

    await page.goto(url("/admin/meetings"));
    expect(await page.locator("#meeting-rows").innerText()).toContain("Sinh hoạt chi hội tháng");
    await shot(page, "31-meetings-list");
    const local = toLocal(new Date(created[0]!.startsAt), zone());
    await page.goto(url(`/admin/meetings/calendar?month=${local.year}-${String(local.month).padStart(2, "0")}`));
    const entry = page.locator(`#calendar a[href='/admin/meetings/${first}']`);
    expect(await entry.innerText()).toBe("19:30 Sinh hoạt chi hội tháng");
    await shot(page, "32-meetings-calendar");
    await context.close();
  });

  it("should update the tally live as members answer in chat, filter it, and tell members of a move and a cancellation", async () => {
    const { context, page } = await newPage(ctx.browser);
    await signIn(ctx.running, page, ctx.fx.cadre);
    await page.goto(url("/admin/meetings/new"));
    await page.getByLabel("Tên buổi sinh hoạt").fill("Họp bàn việc làm đường");
    await page.getByLabel("Thời gian", { exact: true }).fill(`${localDay(1)} 19:30`);
    await page.locator("#when-preview", { hasText: "Một buổi: 19:30" }).waitFor();
    await page.getByRole("button", { name: "Tạo lịch" }).click();
    await page.waitForURL(/\/admin\/meetings\/\d+\?done=created$/);
    const id = meetingIdOf(page);
    // The meeting is tomorrow: the reminder of 3 days before is past, so the clock sends one now.
    await ctx.running.service.clock.tick();
    await waitForChat(ctx.fx.memberA.session, "Nhắc lịch: Họp bàn việc làm đường", "reminder in the member's chat");
    await waitForChat(ctx.fx.cadre.session, "Nhắc lịch: Họp bàn việc làm đường", "reminder in the cadre's chat");
    const row = (personId: number) => page.locator(`#tally tr[data-person='${personId}']`);
    expect(await row(ctx.fx.memberA.id).innerText()).toContain("Chưa trả lời");

    // The member presses "Có mặt" under the reminder; the open page shows it without reloading.
    await say(ctx.fx.memberA.session, { payload: `rsvp:${id}:attend` });
    await row(ctx.fx.memberA.id).filter({ hasText: "Có mặt" }).waitFor({ timeout: 20_000 });
    // The cadre, a member too, excuses themself with a reason.
    await say(ctx.fx.cadre.session, { payload: `rsvp:${id}:absent` });
    await waitForChat(ctx.fx.cadre.session, "lý do", "the question about the reason");
    await say(ctx.fx.cadre.session, { text: "Đi họp huyện" });
    await row(ctx.fx.cadre.id).filter({ hasText: "Đi họp huyện" }).waitFor({ timeout: 20_000 });
    expect(await page.locator("#tally .counts").first().innerText()).toMatch(
      /Có mặt: 1.*Xin vắng: 1.*Chưa chắc: 0.*Chưa trả lời: 1/s,
    );
    await page.getByRole("link", { name: "Xin vắng (1)" }).click();
    await page.waitForURL(/show=absent/);
    expect(await page.locator("#tally tbody tr").allInnerTexts()).toEqual([expect.stringContaining("Nguyễn Văn Cán")]);
    await shot(page, "33-meeting-tally");
    // The list counts the answers too.
    await page.goto(url("/admin/meetings"));
    expect(await page.locator("#meeting-rows tr", { hasText: "Họp bàn việc làm đường" }).innerText()).toMatch(
      /Có mặt: 1.*Xin vắng: 1/s,
    );

    // Move: the preview reads the new time; both people reminded get it with the answer buttons again.
    await page.goto(url(`/admin/meetings/${id}`));
    await page.getByLabel("Thời gian mới").fill(`${localDay(2)} 20:00`);
    await page.locator("#move-preview", { hasText: "Giờ mới: 20:00" }).waitFor();
    await page.getByRole("button", { name: "Dời lịch" }).click();
    await page.waitForURL(/done=moved&n=2/);
    expect(await page.getByRole("status").first().innerText()).toContain("Đã báo cho 2 hội viên");
    await waitForChat(
      ctx.fx.memberA.session,
      "Thông báo đổi lịch: Họp bàn việc làm đường",
      "move notice in the member's chat",
    );
    const moved = await db()
      .kysely.selectFrom("Meeting")
      .select(["startsAt", "previousStartsAt"])
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(toLocal(new Date(moved.startsAt), zone())).toMatchObject({ hour: 20, minute: 0 });
    expect(formatLocalDate(toLocal(new Date(moved.startsAt), zone()))).toBe(localDay(2));

    // Cancel: refused without the confirmation box (the browser requires it; a bare post says why).
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const bare = await page.request.post(url(`/admin/meetings/${id}/cancel`), {
      form: { _csrf: csrf },
      maxRedirects: 0,
    });
    expect(bare.status()).toBe(400);
    await page.getByLabel("Tôi chắc chắn muốn hủy buổi này").check();
    await page.getByRole("button", { name: "Hủy buổi này" }).click();
    await page.waitForURL(/done=cancelled/);
    await waitForChat(
      ctx.fx.memberA.session,
      "Thông báo: buổi Họp bàn việc làm đường",
      "cancellation in the member's chat",
    );
    expect(
      (await db().kysely.selectFrom("Meeting").select("status").where("id", "=", id).executeTakeFirstOrThrow()).status,
    ).toBe("cancelled");
    expect(
      await db()
        .kysely.selectFrom("AuditLog")
        .select(["action", "source", "actorPersonId"])
        .where("entityType", "=", "Meeting")
        .where("entityId", "=", id)
        .orderBy("id")
        .execute(),
    ).toEqual([
      { action: "meeting.create", source: "web", actorPersonId: ctx.fx.cadre.id },
      { action: "meeting.move", source: "web", actorPersonId: ctx.fx.cadre.id },
      { action: "meeting.cancel", source: "web", actorPersonId: ctx.fx.cadre.id },
    ]);
    await shot(page, "34-meeting-cancelled");
    await context.close();
  });

  it("should record attendance after the meeting as a checklist pre-filled from 'có mặt', with late answers marked and members without a phone listed", async () => {
    const now = Date.now();
    const started = now - 150 * MINUTE;
    const meeting = await createMeeting(
      db(),
      { unitId: ctx.fx.tree.branchA1.id, title: "Sinh hoạt chiều qua", startsAt: new Date(started) },
      {
        now: new Date(now - 200 * MINUTE),
        timeZone: zone(),
        actor: personActor(ctx.fx.cadre.id, "web"),
      },
    );
    await recordRsvp(
      db(),
      { meetingId: meeting.id, personId: ctx.fx.memberA.id, answer: "attend", actor: personActor(ctx.fx.memberA.id) },
      new Date(started - 30 * MINUTE),
    );
    // The cadre's own answer came after the start: late.
    await recordRsvp(
      db(),
      { meetingId: meeting.id, personId: ctx.fx.cadre.id, answer: "attend", actor: personActor(ctx.fx.cadre.id) },
      new Date(started + 10 * MINUTE),
    );

    const { context, page } = await newPage(ctx.browser);
    await signIn(ctx.running, page, ctx.fx.cadre);
    await page.goto(url(`/admin/meetings/${meeting.id}`));
    expect(await page.locator(`#tally tr[data-person='${ctx.fx.cadre.id}']`).innerText()).toContain("trả lời muộn");
    expect(await page.locator(`#tally tr[data-person='${noPhone}']`).innerText()).toContain("không có số điện thoại");
    const box = (personId: number) => page.locator(`#checklist input[value='${personId}']`);
    expect([
      await box(ctx.fx.memberA.id).isChecked(),
      await box(ctx.fx.cadre.id).isChecked(),
      await box(noPhone).isChecked(),
    ]).toEqual([true, true, false]);
    // "Everyone came" ticks every box in place (htmx), "as answered" puts them back.
    await page.getByRole("button", { name: "Tất cả có mặt" }).click();
    await waitUntil(async () => box(noPhone).isChecked(), 10_000, "every box ticked");
    await page.getByRole("button", { name: "Theo câu trả lời" }).click();
    await waitUntil(async () => !(await box(noPhone).isChecked()), 10_000, "boxes as answered");
    await box(noPhone).check();
    await box(ctx.fx.cadre.id).uncheck();
    await shot(page, "35-attendance-checklist");
    await page.getByRole("button", { name: "Lưu điểm danh" }).click();
    await page.waitForURL(/done=attendance&n=2/);
    expect(await page.getByRole("status").first().innerText()).toContain("2 người có mặt");
    const rows = await db()
      .kysely.selectFrom("Attendance")
      .select(["personId", "present", "recordedById"])
      .where("meetingId", "=", meeting.id)
      .orderBy("personId")
      .execute();
    expect(rows).toEqual(
      [
        { personId: ctx.fx.cadre.id, present: false, recordedById: ctx.fx.cadre.id },
        { personId: ctx.fx.memberA.id, present: true, recordedById: ctx.fx.cadre.id },
        { personId: noPhone, present: true, recordedById: ctx.fx.cadre.id },
      ].sort((a, b) => a.personId - b.personId),
    );
    expect(
      await db()
        .kysely.selectFrom("AuditLog")
        .select(["source", "actorPersonId", "detail"])
        .where("action", "=", "meeting.attendance")
        .where("entityId", "=", meeting.id)
        .executeTakeFirst(),
    ).toEqual({
      source: "web",
      actorPersonId: ctx.fx.cadre.id,
      detail: JSON.stringify({ present: 2, absent: 1 }),
    });
    // The saved checklist comes back as recorded, and the tally shows who came.
    expect([await box(ctx.fx.cadre.id).isChecked(), await box(noPhone).isChecked()]).toEqual([false, true]);
    expect(await page.locator("#tally").innerText()).toContain("Thực tế đến: 2/3");
    await page.getByRole("link", { name: "Trả lời muộn (1)" }).click();
    expect(await page.locator("#tally tbody tr").allInnerTexts()).toEqual([expect.stringContaining("Nguyễn Văn Cán")]);
    await shot(page, "36-attendance-recorded");
    await context.close();
  });

  it("should set the unit's reminder plan through the same domain function as the CLI", async () => {
    const { context, page } = await newPage(ctx.browser);
    await signIn(ctx.running, page, ctx.fx.cadre);
    await page.goto(url("/admin/meetings/plan"));
    expect(await page.locator("#plan-now").innerText()).toContain("Cài đặt mặc định");
    await page.getByLabel("Kiểu nhắc lần 1").selectOption("days");
    await page.getByLabel("Số ngày hoặc giờ, lần 1").fill("2");
    await page.getByLabel("Giờ gửi, lần 1").fill("07:00");
    await page.getByLabel("Kiểu nhắc lần 2").selectOption("hours");
    await page.getByLabel("Số ngày hoặc giờ, lần 2").fill("1,5");
    await page.getByLabel(/Nhắc người chưa trả lời/).fill("0");
    await page.getByLabel(/Tổng hợp cho cán bộ/).fill("2");
    await page.getByRole("button", { name: "Lưu cài đặt" }).click();
    await page.waitForURL(/done=plan/);
    expect(await page.locator("#plan-now").innerText()).toMatch(
      /2 ngày trước, lúc 07:00[\s\S]*1,5 giờ trước giờ họp[\s\S]*Không nhắc thêm[\s\S]*2 giờ trước giờ họp/,
    );
    const row = await db()
      .kysely.selectFrom("ReminderPlan")
      .select(["offsets", "nudgeMinutesBefore", "tallyMinutesBefore"])
      .where("unitId", "=", ctx.fx.tree.branchA1.id)
      .executeTakeFirstOrThrow();
    expect({ ...row, offsets: JSON.parse(row.offsets) }).toEqual({
      offsets: [{ daysBefore: 2, at: "07:00" }, { minutesBefore: 90 }],
      nudgeMinutesBefore: 0,
      tallyMinutesBefore: 120,
    });
    expect(
      await db()
        .kysely.selectFrom("AuditLog")
        .select(["source", "actorPersonId"])
        .where("action", "=", "reminder_plan.set")
        .where("entityId", "=", ctx.fx.tree.branchA1.id)
        .executeTakeFirst(),
    ).toEqual({ source: "web", actorPersonId: ctx.fx.cadre.id });
    await shot(page, "37-reminder-plan");
    // A plan the domain refuses is shown as an error, nothing saved.
    await page.getByLabel("Số ngày hoặc giờ, lần 1").fill("99");
    await page.getByRole("button", { name: "Lưu cài đặt" }).click();
    await page.getByRole("alert").waitFor();
    expect(await page.getByRole("alert").innerText()).toContain("số ngày từ 0 đến 60");
    expect(
      JSON.parse(
        (
          await db()
            .kysely.selectFrom("ReminderPlan")
            .select("offsets")
            .where("unitId", "=", ctx.fx.tree.branchA1.id)
            .executeTakeFirstOrThrow()
        ).offsets,
      )[0],
    ).toEqual({ daysBefore: 2, at: "07:00" });
    await context.close();
  });

  it("should not let a cadre open or change a meeting, unit or plan outside their subtree by URL", async () => {
    const outside = await createMeeting(
      db(),
      { unitId: ctx.fx.tree.branchB1.id, title: "Họp riêng khu phố 3", startsAt: new Date(Date.now() + 5 * DAY) },
      {
        now: new Date(),
        timeZone: zone(),
        actor: systemActor("cli"),
      },
    );
    const { context, page } = await newPage(ctx.browser);
    await signIn(ctx.running, page, ctx.fx.cadre);
    for (const path of [
      `/admin/meetings/${outside.id}`,
      `/admin/meetings/${outside.id}/tally`,
      `/admin/meetings/${outside.id}/checklist`,
      "/admin/meetings/999999",
      `/admin/meetings?unit=${ctx.fx.tree.branchB1.id}`,
      `/admin/meetings/calendar?unit=${ctx.fx.tree.branchB1.id}`,
      `/admin/meetings/plan?unit=${ctx.fx.tree.branchB1.id}`,
    ]) {
      const res = await page.goto(url(path));
      expect(res!.status(), path).toBe(404);
      expect(await page.content()).not.toContain("Họp riêng khu phố 3");
    }
    await page.goto(url("/admin/meetings"));
    expect(await page.content()).not.toContain("Họp riêng khu phố 3");
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const post = (path: string, form: Record<string, string>) =>
      page.request.post(url(path), { form: { _csrf: csrf, ...form }, maxRedirects: 0 });
    expect((await post(`/admin/meetings/${outside.id}/move`, { when: `${localDay(9)} 19:00` })).status()).toBe(404);
    expect((await post(`/admin/meetings/${outside.id}/cancel`, { confirm: "1" })).status()).toBe(404);
    expect(
      (await post(`/admin/meetings/${outside.id}/attendance`, { present: String(ctx.fx.memberB.id) })).status(),
    ).toBe(404);
    expect(
      (
        await post("/admin/meetings/plan", {
          unit: String(ctx.fx.tree.branchB1.id),
          kind_0: "hours",
          value_0: "1",
          nudge: "0",
          tally: "0",
        })
      ).status(),
    ).toBe(404);
    expect(
      (
        await post("/admin/meetings", {
          unitId: String(ctx.fx.tree.branchB1.id),
          title: "Chen ngang",
          when: `${localDay(9)} 19:00`,
        })
      ).status(),
    ).toBe(403);
    // A forged post (no CSRF token) is refused before anything runs.
    const forged = await page.request.post(url("/admin/meetings"), {
      form: { unitId: String(ctx.fx.tree.branchA1.id), title: "Giả mạo", when: `${localDay(9)} 19:00` },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(403);
    expect(
      await db()
        .kysely.selectFrom("Meeting")
        .select(["status", "startsAt"])
        .where("id", "=", outside.id)
        .executeTakeFirst(),
    ).toEqual({ status: "scheduled", startsAt: outside.startsAt });
    expect(
      (
        await db()
          .kysely.selectFrom("Meeting")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("title", "in", ["Chen ngang", "Giả mạo"])
          .executeTakeFirstOrThrow()
      ).n,
    ).toBe(0);
    expect(
      (
        await db()
          .kysely.selectFrom("Attendance")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("meetingId", "=", outside.id)
          .executeTakeFirstOrThrow()
      ).n,
    ).toBe(0);
    expect(
      await db()
        .kysely.selectFrom("ReminderPlan")
        .select("unitId")
        .where("unitId", "=", ctx.fx.tree.branchB1.id)
        .executeTakeFirst(),
    ).toBeUndefined();
    // The official of commune A sees branch A1's meetings but not commune B's either; in English too.
    const official = await newPage(ctx.browser);
    await signIn(ctx.running, official.page, ctx.fx.official);
    await official.page.goto(url("/admin/lang/en"));
    await official.page.goto(url("/admin/meetings/calendar"));
    expect(await official.page.locator("h1").innerText()).toBe("Meeting calendar");
    expect((await official.page.goto(url(`/admin/meetings/${outside.id}`)))!.status()).toBe(404);
    await official.context.close();
    await context.close();
  });
});
