/**
 * What the officials' workplace reads about meetings: the meetings of the reader's subtree
 * (upcoming, past, cancelled, or a calendar range) with their answer counts, one meeting's sheet
 * (every invitee with their answer, reason, late mark and attendance), the reminder plan that
 * applies to a unit, and the units a person may schedule for. Every function takes the actor and
 * checks the read right on the meeting's or unit's subtree itself.
 *
 * Written on the typed data layer (async, Kysely, both engines; docs/storage.md).
 */
import type { Database } from "../../storage/database.ts";
import { inIds } from "../../storage/dialect.ts";
import { AppError } from "../../lib/app-error.ts";
import { actorCan, assertActorCan, type Actor } from "../access/actor.ts";
import { scopeRoots, type Permission } from "../access/access-scope.ts";
import { findUnit, subtreeRange } from "../units/unit-service.ts";
import { localDateKey } from "../../lib/zoned-time.ts";
import { isRsvpAnswer, type RsvpAnswer } from "./rsvp-service.ts";
import { invitedIds, invitedPathRange, mtMeetingColumns } from "./meeting-queries.ts";
import type { MeetingRow } from "./meeting-types.ts";
import type { RecurrenceRule } from "./recurrence.ts";
import type { LocalTime } from "./parse-datetime.ts";
import { defaultReminderPlan, reminderPlanSchema, type ReminderPlan } from "./reminder-plan.ts";

/** A meeting as the board lists it: the stored meeting and its unit's name and path. */
export interface BoardMeeting extends MeetingRow {
  unitName: string;
  unitPath: string;
}

export interface AnswerCounts {
  invited: number;
  attend: number;
  absent: number;
  unsure: number;
  /** Invitees who have not answered. */
  noAnswer: number;
  /** Answers given at or after the start. */
  late: number;
  /** Present, once attendance is recorded; null until then. */
  came: number | null;
}

/** upcoming: scheduled and not over, soonest first; past: scheduled and over, latest first; cancelled: latest first. */
export type BoardView = "upcoming" | "past" | "cancelled";
export const boardViews: readonly BoardView[] = ["upcoming", "past", "cancelled"];

export interface BoardQuery {
  view?: BoardView;
  /** Only this unit's subtree (the actor must be able to read it). */
  unitId?: number;
  /** A calendar range [from, to) of starts, any status, soonest first (overrides `view`). */
  from?: number;
  to?: number;
  limit?: number;
  offset?: number;
  /** Add each meeting's answer counts (one query per meeting: keep pages small). */
  withCounts?: boolean;
}

type Range = readonly [string, string];

/** The path ranges the actor may read (all of them for the system), narrowed to `unitId` when given. */
async function readableRanges(
  db: Database,
  actor: Actor,
  permission: Permission,
  unitId?: number,
): Promise<Range[] | "all"> {
  if (unitId !== undefined) {
    const unit = await findUnit(db, unitId);
    await assertActorCan(db, actor, permission, unit.id);
    return [subtreeRange(unit.path)];
  }
  if (actor.kind === "system") return "all";
  if (actor.kind === "token") return permission === "read" ? [subtreeRange(actor.unitPath)] : [];
  const roots = await scopeRoots(db, actor.personId, permission);
  return roots.map((r) => subtreeRange(r.path));
}

function boardMeetingQuery(db: Database) {
  return db.kysely
    .selectFrom("Meeting as mt")
    .innerJoin("Unit as u", "u.id", "mt.unitId")
    .select([...mtMeetingColumns, "u.name as unitName", "u.path as unitPath"]);
}

type MeetingRowOut = Awaited<ReturnType<ReturnType<typeof boardMeetingQuery>["executeTakeFirstOrThrow"]>>;

function toBoardMeeting(row: MeetingRowOut): BoardMeeting {
  return {
    ...row,
    includeSubtree: Boolean(row.includeSubtree),
    status: row.status === "cancelled" ? "cancelled" : "scheduled",
  };
}

/**
 * The meetings of the actor's readable subtree (or of `unitId`'s subtree), for the list and the
 * calendar. `more` says whether another page follows. Throws unit_not_found, forbidden (a unit
 * outside the actor's scope).
 */
export async function listBoardMeetings(
  db: Database,
  actor: Actor,
  query: BoardQuery,
  now: Date,
): Promise<{ rows: (BoardMeeting & { counts?: AnswerCounts })[]; more: boolean }> {
  const ranges = await readableRanges(db, actor, "read", query.unitId);
  if (ranges !== "all" && !ranges.length) return { rows: [], more: false };
  const limit = Math.max(1, Math.min(query.limit ?? 25, 5000));
  const offset = Math.max(0, query.offset ?? 0);
  const nowMs = now.getTime();
  let q = boardMeetingQuery(db);
  if (ranges !== "all")
    q = q.where((eb) => eb.or(ranges.map(([lo, hi]) => eb.and([eb("u.path", ">=", lo), eb("u.path", "<", hi)]))));
  if (query.from !== undefined || query.to !== undefined) {
    q = q
      .where("mt.startsAt", ">=", query.from ?? 0)
      .where("mt.startsAt", "<", query.to ?? Number.MAX_SAFE_INTEGER)
      .orderBy("mt.startsAt")
      .orderBy("mt.id");
  } else {
    const view = query.view ?? "upcoming";
    if (view === "upcoming")
      q = q.where("mt.status", "=", "scheduled").where("mt.endsAt", ">", nowMs).orderBy("mt.startsAt").orderBy("mt.id");
    else if (view === "past")
      q = q
        .where("mt.status", "=", "scheduled")
        .where("mt.endsAt", "<=", nowMs)
        .orderBy("mt.startsAt", "desc")
        .orderBy("mt.id", "desc");
    else q = q.where("mt.status", "=", "cancelled").orderBy("mt.startsAt", "desc").orderBy("mt.id", "desc");
  }
  const found = (
    await q
      .limit(limit + 1)
      .offset(offset)
      .execute()
  ).map(toBoardMeeting);
  const rows = found.slice(0, limit);
  if (!query.withCounts) return { rows, more: found.length > limit };
  const counts = await answerCounts(db, rows);
  return { rows: rows.map((r) => ({ ...r, counts: counts.get(r.id)! })), more: found.length > limit };
}

export interface CalendarDay {
  /** Local date "yyyy-mm-dd". */
  date: string;
  /** Meetings that day (any status). */
  total: number;
  /** The first `perDay` of them by start, with their answer counts (cancelled ones without). */
  shown: (BoardMeeting & { counts: AnswerCounts | null })[];
}

/**
 * The meetings of [from, to) of the actor's readable subtree (or `unitId`'s), grouped by local day
 * in `timeZone`: each day's total and its first `perDay` meetings. A province's month (ten thousand
 * meetings and more) reads only start times for the totals, and details and counts for the shown
 * ones. Throws unit_not_found, forbidden.
 */
export async function calendarMeetings(
  db: Database,
  actor: Actor,
  query: { from: number; to: number; unitId?: number; perDay: number; timeZone: string },
): Promise<CalendarDay[]> {
  const ranges = await readableRanges(db, actor, "read", query.unitId);
  if (ranges !== "all" && !ranges.length) return [];
  let q = db.kysely
    .selectFrom("Meeting as mt")
    .innerJoin("Unit as u", "u.id", "mt.unitId")
    .select(["mt.id", "mt.startsAt"])
    .where("mt.startsAt", ">=", query.from)
    .where("mt.startsAt", "<", query.to);
  if (ranges !== "all")
    q = q.where((eb) => eb.or(ranges.map(([lo, hi]) => eb.and([eb("u.path", ">=", lo), eb("u.path", "<", hi)]))));
  const starts = await q.orderBy("mt.startsAt").orderBy("mt.id").execute();
  const days = new Map<string, { total: number; ids: number[] }>();
  for (const m of starts) {
    const date = localDateKey(new Date(m.startsAt), query.timeZone);
    const day = days.get(date) ?? { total: 0, ids: [] };
    day.total++;
    if (day.ids.length < query.perDay) day.ids.push(m.id);
    days.set(date, day);
  }
  const shownIds = [...days.values()].flatMap((d) => d.ids);
  const rows = shownIds.length
    ? (
        await boardMeetingQuery(db)
          .where((eb) => inIds(db.engine, eb.ref("mt.id"), shownIds))
          .execute()
      ).map(toBoardMeeting)
    : [];
  const counts = await answerCounts(
    db,
    rows.filter((r) => r.status === "scheduled"),
  );
  const byId = new Map(rows.map((r) => [r.id, { ...r, counts: counts.get(r.id) ?? null }]));
  return [...days.entries()].map(([date, d]) => ({
    date,
    total: d.total,
    shown: d.ids.flatMap((id) => byId.get(id) ?? []),
  }));
}

/**
 * Answer counts of meetings already read through `listBoardMeetings` or `meetingSheet` (this does
 * not check rights again): invitees are the members of the unit, or of its subtree when the meeting
 * includes it, counted once each.
 */
export async function answerCounts(
  db: Database,
  meetings: readonly BoardMeeting[],
): Promise<Map<number, AnswerCounts>> {
  const out = new Map<number, AnswerCounts>();
  if (!meetings.length) return out;
  const attendance = await db.kysely
    .selectFrom("Attendance as a")
    .where((eb) =>
      inIds(
        db.engine,
        eb.ref("a.meetingId"),
        meetings.map((m) => m.id),
      ),
    )
    .select((eb) => [
      "a.meetingId",
      eb.fn.countAll<number>().as("recorded"),
      eb.fn.sum<number>(eb.case().when("a.present", "=", true).then(1).else(0).end()).as("came"),
    ])
    .groupBy("a.meetingId")
    .execute();
  const came = new Map(attendance.map((a) => [a.meetingId, Number(a.came ?? 0)]));
  for (const meeting of meetings) {
    const [lo, hi] = invitedPathRange(meeting.unitPath, meeting.includeSubtree);
    const c = await db.kysely
      .selectFrom("Person as p")
      .leftJoin("Rsvp as r", (join) => join.onRef("r.personId", "=", "p.id").on("r.meetingId", "=", meeting.id))
      .where("p.id", "in", invitedIds(db.kysely, lo, hi))
      .select((eb) => [
        eb.fn.count<number>("p.id").distinct().as("invited"),
        eb.fn
          .count<number>(eb.case().when("r.answer", "=", "attend").then(eb.ref("r.personId")).end())
          .distinct()
          .as("attend"),
        eb.fn
          .count<number>(eb.case().when("r.answer", "=", "absent").then(eb.ref("r.personId")).end())
          .distinct()
          .as("absent"),
        eb.fn
          .count<number>(eb.case().when("r.answer", "=", "unsure").then(eb.ref("r.personId")).end())
          .distinct()
          .as("unsure"),
        eb.fn
          .count<number>(eb.case().when("r.late", "=", true).then(eb.ref("r.personId")).end())
          .distinct()
          .as("lateCount"),
      ])
      .executeTakeFirstOrThrow();
    const invited = Number(c.invited);
    const [attend, absent, unsure] = [Number(c.attend), Number(c.absent), Number(c.unsure)];
    out.set(meeting.id, {
      invited,
      attend,
      absent,
      unsure,
      noAnswer: invited - attend - absent - unsure,
      late: Number(c.lateCount),
      came: came.get(meeting.id) ?? null,
    });
  }
  return out;
}

/** One invitee on a meeting's sheet. */
export interface SheetPerson {
  personId: number;
  fullName: string;
  /** Has a phone number on the roster (those without one are told in person). */
  hasPhone: boolean;
  /** Has a linked chat account (gets reminders). */
  linked: boolean;
  answer: RsvpAnswer | null;
  reason: string | null;
  /** Answered at or after the start. */
  late: boolean;
  answeredAt: number | null;
  /** Who recorded the answer when not the member themself. */
  recordedByName: string | null;
  /** Recorded attendance; null until recorded. */
  present: boolean | null;
}

export interface MeetingSheet {
  meeting: BoardMeeting;
  /** The series a repeating meeting belongs to: its rule (as stored) and start time. */
  series: { id: number; rule: RecurrenceRule; time: LocalTime; cancelled: boolean } | null;
  counts: AnswerCounts;
  people: SheetPerson[];
  /** The actor may move, cancel and record attendance (manage_meetings on the unit). */
  canManage: boolean;
  started: boolean;
  finished: boolean;
  attendanceRecorded: boolean;
}

/**
 * A meeting with every invitee's answer and attendance, ordered by name. Throws not_found (no such
 * meeting) and forbidden (outside the actor's readable subtree): callers show both the same way.
 */
export async function meetingSheet(db: Database, actor: Actor, meetingId: number, now: Date): Promise<MeetingSheet> {
  const row = await boardMeetingQuery(db).where("mt.id", "=", meetingId).executeTakeFirst();
  if (!row) throw new AppError("not_found", { what: "meeting" });
  const meeting = toBoardMeeting(row);
  await assertActorCan(db, actor, "read", meeting.unitId);
  const [lo, hi] = invitedPathRange(meeting.unitPath, meeting.includeSubtree);
  const rows = await db.kysely
    .selectFrom("Person as p")
    .leftJoin("Rsvp as r", (join) => join.onRef("r.personId", "=", "p.id").on("r.meetingId", "=", meetingId))
    .leftJoin("Attendance as a", (join) => join.onRef("a.personId", "=", "p.id").on("a.meetingId", "=", meetingId))
    .leftJoin("Person as rb", "rb.id", "r.recordedById")
    .where("p.id", "in", invitedIds(db.kysely, lo, hi))
    .select([
      "p.id as personId",
      "p.fullName",
      "p.phone",
      "p.linkedAccounts",
      "r.answer",
      "r.reason",
      "r.late",
      "r.answeredAt",
      "r.recordedById",
      "rb.fullName as recordedByName",
      "a.present",
    ])
    .orderBy("p.nameKey")
    .orderBy("p.id")
    .execute();
  const people: SheetPerson[] = rows.map((r) => ({
    personId: r.personId,
    fullName: r.fullName,
    hasPhone: r.phone !== null && r.phone !== "",
    linked: Number(r.linkedAccounts) > 0,
    answer: isRsvpAnswer(r.answer) ? r.answer : null,
    reason: r.reason,
    late: Boolean(r.late),
    answeredAt: r.answeredAt,
    recordedByName: r.recordedById !== null && r.recordedById !== r.personId ? r.recordedByName : null,
    present: r.present === null ? null : Boolean(r.present),
  }));
  const attendanceRecorded = people.some((p) => p.present !== null);
  const seriesRow =
    meeting.seriesId === null
      ? undefined
      : await db.kysely
          .selectFrom("MeetingSeries")
          .select(["id", "rule", "startTime", "cancelledAt"])
          .where("id", "=", meeting.seriesId)
          .executeTakeFirst();
  const [hour, minute] = (seriesRow?.startTime ?? "0:0").split(":").map(Number);
  const rule: RecurrenceRule | null = seriesRow ? JSON.parse(seriesRow.rule) : null;
  const series =
    seriesRow && rule
      ? {
          id: seriesRow.id,
          rule,
          time: { hour: hour ?? 0, minute: minute ?? 0 },
          cancelled: seriesRow.cancelledAt !== null,
        }
      : null;
  const count = (answer: RsvpAnswer) => people.filter((p) => p.answer === answer).length;
  const counts: AnswerCounts = {
    invited: people.length,
    attend: count("attend"),
    absent: count("absent"),
    unsure: count("unsure"),
    noAnswer: people.filter((p) => p.answer === null).length,
    late: people.filter((p) => p.late).length,
    came: attendanceRecorded ? people.filter((p) => p.present).length : null,
  };
  const nowMs = now.getTime();
  return {
    meeting,
    series,
    counts,
    people,
    canManage: await actorCan(db, actor, "manage_meetings", meeting.unitId),
    started: nowMs >= meeting.startsAt,
    finished: nowMs >= meeting.endsAt,
    attendanceRecorded,
  };
}

export interface ScopeUnit {
  id: number;
  name: string;
  depth: number;
}

/**
 * The units of the actor's subtree where it holds `permission` (for a unit picker), in tree order,
 * at most `limit` (default 2,000). Throws nothing: no right, no units.
 */
export async function unitsWithPermission(
  db: Database,
  actor: Actor,
  permission: Permission,
  limit = 2000,
): Promise<ScopeUnit[]> {
  const ranges = await readableRanges(db, actor, permission);
  if (ranges !== "all" && !ranges.length) return [];
  let q = db.kysely.selectFrom("Unit as u").select(["u.id", "u.name", "u.depth"]);
  if (ranges !== "all")
    q = q.where((eb) => eb.or(ranges.map(([lo, hi]) => eb.and([eb("u.path", ">=", lo), eb("u.path", "<", hi)]))));
  return q.orderBy("u.path").limit(limit).execute();
}

/**
 * The reminder plan a unit's meetings follow: its own, else the nearest ancestor's (`fromUnitName`
 * names it), else the default. Throws unit_not_found, forbidden (outside the actor's subtree).
 */
export async function unitReminderPlan(
  db: Database,
  actor: Actor,
  unitId: number,
): Promise<{ plan: ReminderPlan; source: "own" | "inherited" | "default"; fromUnitName: string | null }> {
  const unit = await findUnit(db, unitId);
  await assertActorCan(db, actor, "read", unit.id);
  const ids = unit.path.split("/").filter(Boolean).map(Number);
  const row = await db.kysely
    .selectFrom("ReminderPlan as rp")
    .innerJoin("Unit as u", "u.id", "rp.unitId")
    .where("rp.unitId", "in", ids)
    .select(["rp.unitId", "u.name", "rp.offsets", "rp.nudgeMinutesBefore", "rp.tallyMinutesBefore"])
    .orderBy("u.depth", "desc")
    .limit(1)
    .executeTakeFirst();
  if (!row) return { plan: defaultReminderPlan, source: "default", fromUnitName: null };
  let offsets: unknown;
  try {
    offsets = JSON.parse(row.offsets);
  } catch {
    offsets = null;
  }
  const parsed = reminderPlanSchema.safeParse({
    offsets,
    nudgeMinutesBefore: row.nudgeMinutesBefore,
    tallyMinutesBefore: row.tallyMinutesBefore,
  });
  // A damaged row: the reminders fall back to the default (reminder-plan.ts does the same).
  if (!parsed.success) return { plan: defaultReminderPlan, source: "default", fromUnitName: null };
  return {
    plan: parsed.data,
    source: row.unitId === unit.id ? "own" : "inherited",
    fromUnitName: row.unitId === unit.id ? null : row.name,
  };
}
