/**
 * Meetings (buổi sinh hoạt): one-off ones and the occurrences of a series (sinh hoạt định kỳ),
 * materialised as Meeting rows a horizon ahead so that each has its own reminders, answers and
 * attendance. Creating, moving and cancelling plan or skip the meeting's ScheduledJob rows in the
 * same transaction, and moving or cancelling tells the people already reminded.
 */
import type { Database } from "../../storage/database.ts";
import { inIds, jsonText } from "../../storage/dialect.ts";
import { responsiblePeople } from "../access/access-scope.ts";
import { actorPersonId, actorSource, assertActorCan, type Actor } from "../access/actor.ts";
import { AppError } from "../../lib/app-error.ts";
import { tidyText } from "../../lib/vietnamese.ts";
import {
  dateKey as localDateKeyOf,
  formatClock,
  formatDate,
  fromLocal,
  localDateKey,
  parseDateKey,
  toLocal,
} from "../../lib/zoned-time.ts";
import { recordAudit } from "../audit/audit-service.ts";
import { getPerson } from "../people/people-service.ts";
import { getUnit } from "../units/unit-service.ts";
import { deliveryAccount } from "../accounts/account-service.ts";
import { enqueue, priorities, type OutboxBody } from "../deliveries/outbox-service.ts";
import { offerQuestion } from "../conversation-state.ts";
import { assertRecurrenceFires, expandOccurrences, type RecurrenceRule, type SeriesSpec } from "./recurrence.ts";
import { planJobs, skipPendingJobs } from "./reminder-plan.ts";
import { cancelledBody, rsvpPayloads, rsvpRequestBody } from "./meeting-messages.ts";
import {
  getMeeting,
  invitedPeople,
  meetingColumns,
  meetingText,
  mtMeetingColumns,
  toMeetingRow,
} from "./meeting-queries.ts";
import type { MeetingContext, MeetingRow } from "./meeting-types.ts";

// Moved to meeting-queries.ts / meeting-types.ts (so that no meeting module imports this one);
// re-exported for their callers.
export { getMeeting, isInvited, meetingText } from "./meeting-queries.ts";
export type { MeetingContext, MeetingRow } from "./meeting-types.ts";

export interface MeetingInput {
  unitId: number;
  title: string;
  place?: string;
  agenda?: string;
  startsAt: Date;
  /** Default 120; more than 0 and at most 24 hours. */
  durationMinutes?: number;
  /** Invite the whole subtree of the unit (a commune-wide meeting), not only its own members. */
  includeSubtree?: boolean;
}

/**
 * A mutation's context: who acts. Their manage_meetings right on the meeting's unit is checked by
 * each mutation (the system actor, i.e. the CLI operator, holds every right).
 */
export type ActorContext = MeetingContext & { actor: Actor };

/** Limits on what a cadre types for a meeting. */
export const MAX_TITLE_LENGTH = 200;
export const MAX_PLACE_LENGTH = 300;
export const MAX_AGENDA_LENGTH = 2000;
export const DEFAULT_DURATION_MINUTES = 120;
export const MAX_DURATION_MINUTES = 24 * 60;
/** How far ahead the occurrences of a series exist as Meeting rows. */
export const SERIES_HORIZON_DAYS = 62;

const MINUTE = 60_000;
const DAY = 86_400_000;

async function audit(
  db: Database,
  ctx: ActorContext,
  {
    action,
    entityType,
    entityId,
    detail,
  }: { action: string; entityType: string; entityId: number; detail: Record<string, unknown> },
): Promise<void> {
  await recordAudit(
    db,
    { actorPersonId: actorPersonId(ctx.actor), source: actorSource(ctx.actor), action, entityType, entityId, detail },
    ctx.now,
  );
}

/** "19:30 05/12/2026": locale-neutral, for error parameters. */
function plainTime(ms: number, timeZone: string): string {
  const d = new Date(ms);
  return `${formatClock(toLocal(d, timeZone))} ${formatDate(d, timeZone)}`;
}

interface CleanFields {
  title: string;
  place: string;
  agenda: string;
  durationMinutes: number;
}

function cleanFields(input: { title: string; place?: string; agenda?: string; durationMinutes?: number }): CleanFields {
  const title = tidyText(String(input.title ?? ""));
  if (!title) throw new AppError("invalid_input", { field: "title" });
  if (title.length > MAX_TITLE_LENGTH) throw new AppError("invalid_input", { field: "title", max: MAX_TITLE_LENGTH });
  const place = tidyText(String(input.place ?? ""));
  if (place.length > MAX_PLACE_LENGTH) throw new AppError("invalid_input", { field: "place", max: MAX_PLACE_LENGTH });
  // Agendas are often numbered lines: keep the lines, tidy each.
  const agenda = String(input.agenda ?? "")
    .normalize("NFC")
    .split(/\r?\n/)
    .map((line) => line.replace(/\s+/g, " ").trim())
    .filter(Boolean)
    .join("\n");
  if (agenda.length > MAX_AGENDA_LENGTH)
    throw new AppError("invalid_input", { field: "agenda", max: MAX_AGENDA_LENGTH });
  const durationMinutes = input.durationMinutes ?? DEFAULT_DURATION_MINUTES;
  if (!Number.isInteger(durationMinutes) || durationMinutes <= 0 || durationMinutes > MAX_DURATION_MINUTES) {
    throw new AppError("meeting_end_before_start", {});
  }
  return { title, place, agenda, durationMinutes };
}

/** Meetings are scheduled to the minute. */
function startOf(date: Date): number {
  const ms = date instanceof Date ? date.getTime() : NaN;
  if (!Number.isFinite(ms)) throw new AppError("invalid_input", { field: "startsAt" });
  return Math.floor(ms / MINUTE) * MINUTE;
}

/**
 * Creates a one-off meeting and plans its reminders. Throws invalid_input (title empty or over
 * 200 characters, place over 300, agenda over 2,000, startsAt not a date), meeting_end_before_start
 * (duration not in 1…1440 minutes), meeting_in_past (startsAt ≤ now), unit_not_found, forbidden (the actor may not manage the
 * unit's meetings).
 */
export async function createMeeting(db: Database, input: MeetingInput, ctx: ActorContext): Promise<MeetingRow> {
  const fields = cleanFields(input);
  const startsAt = startOf(input.startsAt);
  if (startsAt <= ctx.now.getTime()) throw new AppError("meeting_in_past", { when: plainTime(startsAt, ctx.timeZone) });
  return await db.transaction(async () => {
    await getUnit(db, input.unitId);
    await assertActorCan(db, ctx.actor, "manage_meetings", input.unitId);
    const now = ctx.now.getTime();
    const { id } = await db.kysely
      .insertInto("Meeting")
      .values({
        unitId: input.unitId,
        seriesId: null,
        occurrenceKey: null,
        title: fields.title,
        place: fields.place,
        agenda: fields.agenda,
        startsAt,
        endsAt: startsAt + fields.durationMinutes * MINUTE,
        includeSubtree: Boolean(input.includeSubtree),
        status: "scheduled",
        createdById: actorPersonId(ctx.actor),
        createdAt: now,
        updatedAt: now,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await planJobs(db, id, ctx);
    await audit(db, ctx, {
      action: "meeting.create",
      entityType: "Meeting",
      entityId: id,
      detail: { unitId: input.unitId, startsAt },
    });
    return getMeeting(db, id);
  });
}

// ---------------------------------------------------------------------------------------------
// Series

export interface SeriesInput {
  unitId: number;
  title: string;
  place?: string;
  agenda?: string;
  rule: RecurrenceRule;
  /** Local start time in the app zone. */
  time: { hour: number; minute: number };
  durationMinutes?: number;
  includeSubtree?: boolean;
  /** Local yyyy-mm-dd, inclusive; default today. */
  startsOn?: string;
  /** Local yyyy-mm-dd, inclusive. */
  endsOn?: string;
}

interface SeriesRow {
  id: number;
  unitId: number;
  title: string;
  place: string;
  agenda: string;
  rule: string;
  startTime: string;
  durationMinutes: number;
  includeSubtree: boolean;
  startsOn: string;
  endsOn: string | null;
  exceptions: string;
  createdById: number | null;
  cancelledAt: number | null;
}

const seriesColumns = [
  "id",
  "unitId",
  "title",
  "place",
  "agenda",
  "rule",
  "startTime",
  "durationMinutes",
  "includeSubtree",
  "startsOn",
  "endsOn",
  "exceptions",
  "createdById",
  "cancelledAt",
] as const;

interface Exceptions {
  skip?: string[];
  move?: Record<string, string>;
}

async function getSeries(db: Database, id: number): Promise<SeriesRow> {
  const row = await db.kysely.selectFrom("MeetingSeries").select(seriesColumns).where("id", "=", id).executeTakeFirst();
  if (!row) throw new AppError("not_found", { what: "series" });
  return row;
}

function parseExceptions(text: string): Exceptions {
  try {
    const value = JSON.parse(text) as Exceptions;
    return value && typeof value === "object" ? value : {};
  } catch {
    return {};
  }
}

function specOf(series: SeriesRow): SeriesSpec {
  const [hour, minute] = series.startTime.split(":").map(Number);
  const spec: SeriesSpec = {
    rule: JSON.parse(series.rule) as RecurrenceRule,
    time: { hour: hour!, minute: minute! },
    startsOn: series.startsOn,
    exceptions: parseExceptions(series.exceptions),
  };
  if (series.endsOn) spec.endsOn = series.endsOn;
  return spec;
}

async function setExceptions(db: Database, seriesId: number, update: (e: Exceptions) => void): Promise<void> {
  const series = await getSeries(db, seriesId);
  const exceptions = parseExceptions(series.exceptions);
  update(exceptions);
  await db.kysely
    .updateTable("MeetingSeries")
    .set({ exceptions: JSON.stringify(exceptions) })
    .where("id", "=", seriesId)
    .execute();
}

/** Creates the Meeting rows of a series' occurrences in [now, now + horizon) that do not exist yet. */
async function materialise(
  db: Database,
  series: SeriesRow,
  ctx: MeetingContext,
  horizonDays: number,
): Promise<number[]> {
  const now = ctx.now.getTime();
  const occurrences = expandOccurrences(specOf(series), ctx.now, new Date(now + horizonDays * DAY), ctx.timeZone);
  const created: number[] = [];
  for (const occurrence of occurrences) {
    const startsAt = occurrence.startsAt.getTime();
    if (startsAt <= now) continue;
    const row = await db.kysely
      .insertInto("Meeting")
      .values({
        unitId: series.unitId,
        seriesId: series.id,
        occurrenceKey: occurrence.key,
        title: series.title,
        place: series.place,
        agenda: series.agenda,
        startsAt,
        endsAt: startsAt + series.durationMinutes * MINUTE,
        includeSubtree: series.includeSubtree,
        status: "scheduled",
        createdById: series.createdById,
        createdAt: now,
        updatedAt: now,
      })
      .onConflict((oc) => oc.columns(["seriesId", "occurrenceKey"]).doNothing())
      .returning("id")
      .executeTakeFirst();
    if (row) {
      created.push(row.id);
      await planJobs(db, row.id, ctx);
    }
  }
  return created;
}

/**
 * Creates a recurring meeting (sinh hoạt định kỳ) and the Meeting rows of its occurrences within
 * the next 62 days, with their reminders. Throws like createMeeting, and recurrence_invalid /
 * recurrence_never_fires (a rule with no occurrence between startsOn and endsOn, or within two
 * years), unit_not_found, forbidden.
 */
export async function createSeries(
  db: Database,
  input: SeriesInput,
  ctx: ActorContext,
): Promise<{ seriesId: number; meetings: MeetingRow[] }> {
  const fields = cleanFields(input);
  const spec: SeriesSpec = {
    rule: input.rule,
    time: input.time,
    startsOn: input.startsOn ?? localDateKey(ctx.now, ctx.timeZone),
  };
  if (input.endsOn !== undefined) spec.endsOn = input.endsOn;
  assertRecurrenceFires(spec, ctx.timeZone);
  return await db.transaction(async () => {
    await getUnit(db, input.unitId);
    await assertActorCan(db, ctx.actor, "manage_meetings", input.unitId);
    const now = ctx.now.getTime();
    const { id: seriesId } = await db.kysely
      .insertInto("MeetingSeries")
      .values({
        unitId: input.unitId,
        title: fields.title,
        place: fields.place,
        agenda: fields.agenda,
        rule: JSON.stringify(input.rule),
        startTime: formatClock(input.time),
        durationMinutes: fields.durationMinutes,
        includeSubtree: Boolean(input.includeSubtree),
        startsOn: spec.startsOn,
        endsOn: spec.endsOn ?? null,
        exceptions: "{}",
        createdById: actorPersonId(ctx.actor),
        createdAt: now,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const ids = await materialise(db, await getSeries(db, seriesId), ctx, SERIES_HORIZON_DAYS);
    await audit(db, ctx, {
      action: "series.create",
      entityType: "MeetingSeries",
      entityId: seriesId,
      detail: {
        unitId: input.unitId,
        rule: input.rule,
        time: formatClock(input.time),
      },
    });
    return { seriesId, meetings: await Promise.all(ids.map((id) => getMeeting(db, id))) };
  });
}

/**
 * Materialises the upcoming occurrences of every active series within `horizonDays` (idempotent:
 * existing, skipped and cancelled occurrences are left alone) and plans their reminders. Each
 * series is its own transaction; a damaged series does not stop the others (the first error is
 * thrown after all were tried). Returns how many meetings were created.
 */
export async function ensureSeriesHorizon(
  db: Database,
  ctx: MeetingContext,
  horizonDays = SERIES_HORIZON_DAYS,
): Promise<number> {
  const yesterday = localDateKeyOf(toLocal(new Date(ctx.now.getTime() - DAY), ctx.timeZone));
  const series = await db.kysely
    .selectFrom("MeetingSeries")
    .select(seriesColumns)
    .where("cancelledAt", "is", null)
    .where((eb) => eb.or([eb("endsOn", "is", null), eb("endsOn", ">=", yesterday)]))
    .orderBy("id")
    .execute();
  let created = 0;
  let firstError: unknown;
  for (const s of series) {
    try {
      created += await db.transaction(async () => (await materialise(db, s, ctx, horizonDays)).length);
    } catch (error) {
      firstError ??= error;
    }
  }
  if (firstError) throw firstError;
  return created;
}

/**
 * Skips one occurrence of a series (its original local date "yyyy-mm-dd"): records the exception
 * and cancels its meeting if it already exists, telling those already reminded. Throws not_found
 * (series), date_invalid (not a date), invalid_input { field: "date" } (not an occurrence of the
 * series), meeting_finished (already over), forbidden. Skipping twice is harmless.
 */
export async function skipOccurrence(
  db: Database,
  seriesId: number,
  dateKey: string,
  ctx: ActorContext,
): Promise<void> {
  const date = parseDateKey(dateKey);
  if (!date) throw new AppError("date_invalid", { input: dateKey });
  await db.transaction(async () => {
    const series = await getSeries(db, seriesId);
    await assertActorCan(db, ctx.actor, "manage_meetings", series.unitId);
    const base = { ...specOf(series), exceptions: {} };
    const dayStart = fromLocal({ ...date, hour: 0, minute: 0 }, ctx.timeZone).getTime();
    const isOccurrence = expandOccurrences(
      base,
      new Date(dayStart - DAY),
      new Date(dayStart + 2 * DAY),
      ctx.timeZone,
    ).some((o) => o.key === dateKey);
    if (!isOccurrence) throw new AppError("invalid_input", { field: "date" });
    const stored = await db.kysely
      .selectFrom("Meeting")
      .select(meetingColumns)
      .where("seriesId", "=", seriesId)
      .where("occurrenceKey", "=", dateKey)
      .executeTakeFirst();
    const meeting = stored && toMeetingRow(stored);
    if (meeting && meeting.endsAt <= ctx.now.getTime()) throw new AppError("meeting_finished", {});
    await setExceptions(db, seriesId, (e) => {
      e.skip = [...new Set([...(e.skip ?? []), dateKey])].sort();
    });
    if (meeting && meeting.status === "scheduled") await cancelInside(db, meeting, ctx);
    await audit(db, ctx, {
      action: "series.skip",
      entityType: "MeetingSeries",
      entityId: seriesId,
      detail: { date: dateKey, meetingId: meeting?.id ?? null },
    });
  });
}

/**
 * Ends a series: no new occurrences, and its upcoming meetings are cancelled (those already
 * reminded are told). Returns how many meetings were cancelled. Throws not_found, forbidden.
 */
export async function cancelSeries(db: Database, seriesId: number, ctx: ActorContext): Promise<number> {
  return await db.transaction(async () => {
    const series = await getSeries(db, seriesId);
    await assertActorCan(db, ctx.actor, "manage_meetings", series.unitId);
    if (series.cancelledAt != null) return 0;
    const now = ctx.now.getTime();
    await db.kysely.updateTable("MeetingSeries").set({ cancelledAt: now }).where("id", "=", seriesId).execute();
    const upcoming = (
      await db.kysely
        .selectFrom("Meeting")
        .select(meetingColumns)
        .where("seriesId", "=", seriesId)
        .where("status", "=", "scheduled")
        .where("startsAt", ">", now)
        .orderBy("startsAt")
        .orderBy("id")
        .execute()
    ).map(toMeetingRow);
    for (const meeting of upcoming) await cancelInside(db, meeting, ctx);
    await audit(db, ctx, {
      action: "series.cancel",
      entityType: "MeetingSeries",
      entityId: seriesId,
      detail: { cancelled: upcoming.length },
    });
    return upcoming.length;
  });
}

// ---------------------------------------------------------------------------------------------
// Cancelling and moving

async function assertChangeable(db: Database, meeting: MeetingRow, ctx: ActorContext): Promise<void> {
  await assertActorCan(db, ctx.actor, "manage_meetings", meeting.unitId);
  const now = ctx.now;
  if (meeting.status === "cancelled") throw new AppError("meeting_cancelled", {});
  if (meeting.endsAt <= now.getTime()) throw new AppError("meeting_finished", {});
}

/**
 * The people the clock already queued a message about this meeting for (reminders, nudges,
 * tallies): their Outbox rows carry the meeting and a "job:" dedupe key.
 */
export async function remindedPeople(db: Database, meetingId: number): Promise<number[]> {
  const rows = await db.kysely
    .selectFrom("Outbox")
    .select("personId")
    .distinct()
    .where("entityType", "=", "Meeting")
    .where("entityId", "=", meetingId)
    .where("dedupeKey", "like", "job:%")
    .where("personId", "is not", null)
    .orderBy("personId")
    .execute();
  return rows.flatMap((r) => (r.personId === null ? [] : [r.personId]));
}

/** Messages still waiting in the outbox about the old state of a meeting would only confuse. */
async function withdrawQueuedJobMessages(db: Database, meetingId: number): Promise<void> {
  await db.kysely
    .updateTable("Outbox")
    .set({ status: "cancelled" })
    .where("entityType", "=", "Meeting")
    .where("entityId", "=", meetingId)
    .where("status", "=", "pending")
    .where("dedupeKey", "like", "job:%")
    .execute();
}

async function cancelInside(db: Database, meeting: MeetingRow, ctx: ActorContext): Promise<number> {
  const now = ctx.now.getTime();
  await db.kysely
    .updateTable("Meeting")
    .set({ status: "cancelled", cancelledAt: now, updatedAt: now })
    .where("id", "=", meeting.id)
    .execute();
  await skipPendingJobs(db, meeting.id, ctx.now);
  const people = await remindedPeople(db, meeting.id);
  await withdrawQueuedJobMessages(db, meeting.id);
  // An open "có mặt?" question about a cancelled meeting must not catch the member's next "có".
  await db.kysely
    .deleteFrom("ConversationState")
    .where("kind", "=", "rsvp")
    .where((eb) => eb(jsonText(db.engine, eb.ref("data"), "meetingId"), "=", String(meeting.id)))
    .execute();
  const text = await meetingText(db, meeting);
  return await notifyPeople(db, {
    meetingId: meeting.id,
    people,
    body: (locale) => cancelledBody(text, locale, ctx.timeZone),
    dedupeKey: (personId) => `meeting:${meeting.id}:cancelled:p:${personId}`,
    now: ctx.now,
  });
}

interface MeetingNotice {
  meetingId: number;
  people: readonly number[];
  /** The notice in a person's language. */
  body: (locale: string) => OutboxBody;
  /** One key per person (and notice): a notice already queued is not queued again. */
  dedupeKey: (personId: number) => string;
  now: Date;
  /** After a notice was queued to the person's account. */
  afterQueued?: (accountId: number) => Promise<void>;
}

/**
 * Queues a notice about a meeting to each person who has a reachable chat account, in their
 * language; people without one are skipped. Returns how many notices were queued.
 */
async function notifyPeople(db: Database, notice: MeetingNotice): Promise<number> {
  let notified = 0;
  for (const personId of notice.people) {
    const account = await deliveryAccount(db, personId);
    if (!account) continue;
    const locale = (await getPerson(db, personId)).locale;
    const id = await enqueue(
      db,
      {
        platform: account.platform,
        chatId: account.externalId,
        chatAccountId: account.id,
        personId,
        priority: priorities.normal,
        body: notice.body(locale),
        entityType: "Meeting",
        entityId: notice.meetingId,
        dedupeKey: notice.dedupeKey(personId),
      },
      notice.now,
    );
    if (id === null) continue;
    notified++;
    await notice.afterQueued?.(account.id);
  }
  return notified;
}

/**
 * Cancels a meeting: its pending reminders are skipped, queued ones withdrawn, and everyone the
 * clock already messaged about it gets a cancellation notice (people without a reachable account
 * are skipped). A series occurrence is also recorded as skipped in its series. Throws not_found,
 * forbidden, meeting_cancelled (already), meeting_finished (over).
 */
export async function cancelMeeting(
  db: Database,
  meetingId: number,
  ctx: ActorContext,
): Promise<{ meeting: MeetingRow; notified: number }> {
  return await db.transaction(async () => {
    const meeting = await getMeeting(db, meetingId);
    await assertChangeable(db, meeting, ctx);
    const notified = await cancelInside(db, meeting, ctx);
    if (meeting.seriesId != null) {
      const key = await occurrenceKeyOf(db, meetingId);
      if (key)
        await setExceptions(db, meeting.seriesId, (e) => (e.skip = [...new Set([...(e.skip ?? []), key])].sort()));
    }
    await audit(db, ctx, {
      action: "meeting.cancel",
      entityType: "Meeting",
      entityId: meetingId,
      detail: { notified },
    });
    return { meeting: await getMeeting(db, meetingId), notified };
  });
}

/**
 * Moves a meeting to a new start, keeping its duration; `previousStartsAt` keeps the old start.
 * Pending jobs are skipped and the reminders re-planned for the new time; everyone already messaged
 * about it gets the new time with the answer buttons again. For a series occurrence the move is
 * recorded in the series' exceptions. Throws not_found, forbidden, meeting_cancelled, meeting_finished,
 * meeting_in_past (new start ≤ now), invalid_input (not a date).
 */
export async function moveMeeting(
  db: Database,
  meetingId: number,
  newStartsAt: Date,
  ctx: ActorContext,
): Promise<{ meeting: MeetingRow; notified: number }> {
  const startsAt = startOf(newStartsAt);
  return await db.transaction(async () => {
    const meeting = await getMeeting(db, meetingId);
    await assertChangeable(db, meeting, ctx);
    if (startsAt <= ctx.now.getTime())
      throw new AppError("meeting_in_past", { when: plainTime(startsAt, ctx.timeZone) });
    if (startsAt === meeting.startsAt) return { meeting, notified: 0 };
    const now = ctx.now.getTime();
    const endsAt = startsAt + (meeting.endsAt - meeting.startsAt);
    await db.kysely
      .updateTable("Meeting")
      .set({ startsAt, endsAt, previousStartsAt: meeting.startsAt, updatedAt: now })
      .where("id", "=", meetingId)
      .execute();
    await skipPendingJobs(db, meetingId, ctx.now);
    const people = await remindedPeople(db, meetingId);
    await withdrawQueuedJobMessages(db, meetingId);
    await planJobs(db, meetingId, ctx);
    if (meeting.seriesId != null) {
      const key = await occurrenceKeyOf(db, meetingId);
      if (key) {
        const local = toLocal(new Date(startsAt), ctx.timeZone);
        await setExceptions(db, meeting.seriesId, (e) => {
          e.move = { ...(e.move ?? {}), [key]: `${localDateKeyOf(local)}T${formatClock(local)}` };
        });
      }
    }
    const moved = await getMeeting(db, meetingId);
    const text = { ...(await meetingText(db, moved)), previousStartsAt: meeting.startsAt };
    const choices = rsvpPayloads(meetingId);
    const notified = await notifyPeople(db, {
      meetingId,
      people,
      body: (locale) => rsvpRequestBody({ kind: "moved", meetingId, meeting: text, locale, timeZone: ctx.timeZone }),
      dedupeKey: (personId) => movedNoticeKey(meetingId, startsAt, now, personId),
      now: ctx.now,
      afterQueued: (accountId) =>
        offerQuestion(db, {
          chatAccountId: accountId,
          kind: "rsvp",
          data: { meetingId, choices },
          expiresAt: new Date(startsAt),
          now: ctx.now,
        }),
    });
    await audit(db, ctx, {
      action: "meeting.move",
      entityType: "Meeting",
      entityId: meetingId,
      detail: { from: meeting.startsAt, to: startsAt, notified },
    });
    return { meeting: moved, notified };
  });
}

async function occurrenceKeyOf(db: Database, meetingId: number): Promise<string | null> {
  return (
    (await db.kysely.selectFrom("Meeting").select("occurrenceKey").where("id", "=", meetingId).executeTakeFirst())
      ?.occurrenceKey ?? null
  );
}

/** "meeting:12:moved:<new start ms>:<when ms>:p:<person>": one notice per move and person. */
export function movedNoticeKey(meetingId: number, startsAt: number, at: number, personId: number): string {
  return `${movedNoticePrefix(meetingId, startsAt)}${at}:p:${personId}`;
}

/** The dedupe-key prefix of the notices that announced `startsAt` as the meeting's new time. */
export function movedNoticePrefix(meetingId: number, startsAt: number): string {
  return `meeting:${meetingId}:moved:${startsAt}:`;
}

// ---------------------------------------------------------------------------------------------
// Reading

/** Person ids invited to a meeting: members of its unit, or of the unit's subtree when it includes it; distinct, ascending. */
export async function invitees(db: Database, meetingId: number): Promise<number[]> {
  const meeting = await getMeeting(db, meetingId);
  return (await invitedPeople(db, meeting)).map((p) => p.personId).sort((a, b) => a - b);
}

/**
 * Meetings of the given units starting at or after `from` (and before `to`), soonest first, with
 * the unit's name; cancelled ones only with `includeCancelled`. `limit` defaults to 100.
 */
export async function listUnitMeetings(
  db: Database,
  unitIds: number[],
  options: { from: Date; to?: Date; includeCancelled?: boolean; limit?: number },
): Promise<(MeetingRow & { unitName: string })[]> {
  if (!unitIds.length) return [];
  let query = db.kysely
    .selectFrom("Meeting as mt")
    .innerJoin("Unit as u", "u.id", "mt.unitId")
    .select([...mtMeetingColumns, "u.name as unitName"])
    .where(({ ref }) => inIds(db.engine, ref("mt.unitId"), unitIds))
    .where("mt.startsAt", ">=", options.from.getTime())
    .where("mt.startsAt", "<", options.to?.getTime() ?? Number.MAX_SAFE_INTEGER);
  if (!options.includeCancelled) query = query.where("mt.status", "=", "scheduled");
  const rows = await query
    .orderBy("mt.startsAt")
    .orderBy("mt.id")
    .limit(options.limit ?? 100)
    .execute();
  return rows.map(({ unitName, ...meeting }) => ({ ...toMeetingRow(meeting), unitName }));
}

/**
 * The people who run a meeting's unit: cadres, officials and admins of the unit itself, or when
 * it has none, of the nearest ancestor that has some. Ascending person ids.
 */
export async function meetingCadres(db: Database, unitId: number): Promise<number[]> {
  return await responsiblePeople(db, unitId);
}
