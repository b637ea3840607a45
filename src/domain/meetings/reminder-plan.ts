/**
 * When the reminders of a meeting (buổi sinh hoạt) go out, and what they say.
 *
 * A plan (per series, per unit, inherited down the tree, or the default) lists reminder offsets,
 * the nudge to members who have not answered and the tally to the cadres. `planJobs` turns it into
 * ScheduledJob rows that the clock runs; due times are computed in the app time zone, so "3 days
 * before at 08:00" is 08:00 on the clocks of Vietnam whatever the process zone is.
 */
import { z } from "zod";
import type { Database } from "../../storage/database.ts";
import { prepared, type Slots } from "../../storage/prepared.ts";
import type { MeetingContext, MeetingRow } from "./meeting-types.ts";
import { getMeeting, pathWithin } from "./meeting-queries.ts";
import { AppError } from "../../lib/app-error.ts";
import { actorPersonId, actorSource, assertActorCan, type Actor } from "../access/actor.ts";
import { recordAudit } from "../audit/audit-service.ts";
import { addLocalDays, fromLocal, toLocal } from "../../lib/zoned-time.ts";

// The message builders moved to meeting-messages.ts (no database); re-exported for their callers.
export {
  attendancePromptBody,
  cancelledBody,
  rsvpPayloads,
  rsvpRequestBody,
  tallyBody,
  TALLY_NAMES_SHOWN,
  type MeetingText,
  type RsvpChoice,
} from "./meeting-messages.ts";

export interface ReminderOffset {
  /** Calendar days before the meeting's local date (0 = the same day)… */
  daysBefore?: number;
  /** …at this local time ("08:00"); without it, at the meeting's own time of day. */
  at?: string;
  /** Or simply this many minutes before the start. */
  minutesBefore?: number;
}

export interface ReminderPlan {
  offsets: ReminderOffset[];
  /** One more message to invitees who have not answered; 0 turns it off. */
  nudgeMinutesBefore: number;
  /** The answers so far, to the cadres; 0 turns it off. */
  tallyMinutesBefore: number;
}

/** 08:00 three days before, two hours before; nudge the day before; tally three hours before. */
export const defaultReminderPlan: ReminderPlan = Object.freeze({
  offsets: Object.freeze([
    Object.freeze({ daysBefore: 3, at: "08:00" }),
    Object.freeze({ minutesBefore: 120 }),
  ]) as ReminderOffset[],
  nudgeMinutesBefore: 1440,
  tallyMinutesBefore: 180,
}) as ReminderPlan;

const MAX_MINUTES_BEFORE = 60 * 24 * 60; // 60 days
const clockText = /^([01]?\d|2[0-3]):([0-5]\d)$/;

/** One offset: `daysBefore` (with an optional local `at`) or `minutesBefore`, not both. */
export const reminderOffsetSchema = z
  .object({
    daysBefore: z.number().int().min(0).max(60).optional(),
    at: z.string().regex(clockText).optional(),
    minutesBefore: z.number().int().min(0).max(MAX_MINUTES_BEFORE).optional(),
  })
  .strict()
  .refine((o) => (o.daysBefore !== undefined) !== (o.minutesBefore !== undefined), "either daysBefore or minutesBefore")
  .refine((o) => o.at === undefined || o.daysBefore !== undefined, "at goes with daysBefore");

/** A whole plan, as `setReminderPlan` accepts it (at most 6 offsets, times up to 60 days ahead). */
export const reminderPlanSchema = z
  .object({
    offsets: z.array(reminderOffsetSchema).max(6),
    nudgeMinutesBefore: z.number().int().min(0).max(MAX_MINUTES_BEFORE),
    tallyMinutesBefore: z.number().int().min(0).max(MAX_MINUTES_BEFORE),
  })
  .strict();

interface PlanRow {
  offsets: string;
  nudgeMinutesBefore: number;
  tallyMinutesBefore: number;
}

function fromRow(row: PlanRow): ReminderPlan {
  try {
    const parsed = reminderPlanSchema.safeParse({
      offsets: JSON.parse(row.offsets),
      nudgeMinutesBefore: row.nudgeMinutesBefore,
      tallyMinutesBefore: row.tallyMinutesBefore,
    });
    if (parsed.success) return parsed.data;
  } catch {
    // fall through: a damaged row must not stop reminders
  }
  return defaultReminderPlan;
}

/**
 * The plan that applies to a meeting: its series' plan, else its unit's, else the nearest
 * ancestor unit's, else `defaultReminderPlan`.
 */
export async function reminderPlanFor(
  db: Database,
  meeting: Pick<MeetingRow, "seriesId" | "unitId">,
): Promise<ReminderPlan> {
  if (meeting.seriesId != null) {
    const row = await seriesPlan.first(db, { seriesId: meeting.seriesId });
    if (row) return fromRow(row);
  }
  const row = await nearestUnitPlan.first(db, { unitId: meeting.unitId });
  return row ? fromRow(row) : defaultReminderPlan;
}

const seriesPlan = prepared((k, p: Slots<{ seriesId: number }>) =>
  k
    .selectFrom("ReminderPlan")
    .select(["offsets", "nudgeMinutesBefore", "tallyMinutesBefore"])
    .where("seriesId", "=", p.seriesId),
);

/** The plan of the unit or of its nearest ancestor that has one (the unit's path starts with theirs). */
const nearestUnitPlan = prepared((k, p: Slots<{ unitId: number }>) =>
  k
    .selectFrom("ReminderPlan as rp")
    .innerJoin("Unit as u", "u.id", "rp.unitId")
    .innerJoin("Unit as mu", (j) => j.on((eb) => pathWithin(eb, eb.ref("mu.path"), eb.ref("u.path"))))
    .select(["rp.offsets", "rp.nudgeMinutesBefore", "rp.tallyMinutesBefore"])
    .where("mu.id", "=", p.unitId)
    .orderBy("u.depth", "desc")
    .limit(1),
);

/**
 * Sets the plan of a unit (inherited by its subtree) or of a series. Throws invalid_input
 * ({ field: "plan" | "target" }) for a malformed plan or target, not_found / unit_not_found for a
 * missing series or unit, forbidden when the actor may not manage the meetings of the unit (or of
 * the series' unit). With `ctx`, the pending reminders of the upcoming meetings it governs are
 * re-planned (no catch-up: a changed plan never sends a reminder at once). Audited.
 */
export async function setReminderPlan(
  db: Database,
  {
    target,
    plan,
    actor,
    ctx,
  }: { target: { unitId?: number; seriesId?: number }; plan: ReminderPlan; actor: Actor; ctx?: MeetingContext },
): Promise<void> {
  const parsed = reminderPlanSchema.safeParse(plan);
  if (!parsed.success) throw new AppError("invalid_input", { field: "plan" });
  const hasUnit = target.unitId != null;
  const hasSeries = target.seriesId != null;
  if (hasUnit === hasSeries) throw new AppError("invalid_input", { field: "target" });
  const value = parsed.data;
  const now = ctx?.now ?? new Date();
  await db.transaction(async () => {
    const fields = {
      offsets: JSON.stringify(value.offsets),
      nudgeMinutesBefore: value.nudgeMinutesBefore,
      tallyMinutesBefore: value.tallyMinutesBefore,
      createdAt: now.getTime(),
    };
    if (hasSeries) {
      const series = await db.kysely
        .selectFrom("MeetingSeries")
        .select("unitId")
        .where("id", "=", target.seriesId!)
        .executeTakeFirst();
      if (!series) throw new AppError("not_found", { what: "series" });
      await assertActorCan(db, actor, "manage_meetings", series.unitId);
      await db.kysely
        .insertInto("ReminderPlan")
        .values({ seriesId: target.seriesId!, ...fields })
        .onConflict((oc) =>
          oc.column("seriesId").doUpdateSet((eb) => ({
            offsets: eb.ref("excluded.offsets"),
            nudgeMinutesBefore: eb.ref("excluded.nudgeMinutesBefore"),
            tallyMinutesBefore: eb.ref("excluded.tallyMinutesBefore"),
          })),
        )
        .execute();
    } else {
      if (!(await db.kysely.selectFrom("Unit").select("id").where("id", "=", target.unitId!).executeTakeFirst()))
        throw new AppError("unit_not_found", { unit: String(target.unitId) });
      await assertActorCan(db, actor, "manage_meetings", target.unitId!);
      await db.kysely
        .insertInto("ReminderPlan")
        .values({ unitId: target.unitId!, ...fields })
        .onConflict((oc) =>
          oc.column("unitId").doUpdateSet((eb) => ({
            offsets: eb.ref("excluded.offsets"),
            nudgeMinutesBefore: eb.ref("excluded.nudgeMinutesBefore"),
            tallyMinutesBefore: eb.ref("excluded.tallyMinutesBefore"),
          })),
        )
        .execute();
    }
    if (ctx) await replanUpcoming(db, target, ctx);
    await recordAudit(
      db,
      {
        actorPersonId: actorPersonId(actor),
        source: actorSource(actor),
        action: "reminder_plan.set",
        entityType: hasSeries ? "MeetingSeries" : "Unit",
        entityId: (hasSeries ? target.seriesId : target.unitId)!,
        detail: { plan: value },
      },
      now,
    );
  });
}

/** Re-plans the not-yet-due reminders, nudges and tallies of the upcoming meetings under `target`. */
async function replanUpcoming(
  db: Database,
  target: { unitId?: number; seriesId?: number },
  ctx: MeetingContext,
): Promise<void> {
  const nowMs = ctx.now.getTime();
  let meetingIds: number[];
  if (target.seriesId != null) {
    meetingIds = (
      await db.kysely
        .selectFrom("Meeting")
        .select("id")
        .where("seriesId", "=", target.seriesId)
        .where("status", "=", "scheduled")
        .where("startsAt", ">", nowMs)
        .execute()
    ).map((r) => r.id);
  } else {
    const { path } = await db.kysely
      .selectFrom("Unit")
      .select("path")
      .where("id", "=", target.unitId!)
      .executeTakeFirstOrThrow();
    meetingIds = (
      await db.kysely
        .selectFrom("Meeting as mt")
        .innerJoin("Unit as u", "u.id", "mt.unitId")
        .select("mt.id")
        .where("u.path", ">=", path)
        .where("u.path", "<", `${path.slice(0, -1)}0`)
        .where("mt.status", "=", "scheduled")
        .where("mt.startsAt", ">", nowMs)
        .execute()
    ).map((r) => r.id);
  }
  for (const id of meetingIds) {
    await skipPendingJobs(db, id, ctx.now, { kinds: ["reminder", "nudge", "tally"], dueAfter: nowMs });
    await planMeetingJobs(db, id, ctx, { catchUp: false });
  }
}

// ---------------------------------------------------------------------------------------------
// Jobs

/** The ScheduledJob kinds a meeting has (run by scheduler/jobs.ts). */
export const meetingJobKinds = ["reminder", "nudge", "tally", "attendance_prompt"] as const;
export type MeetingJobKind = (typeof meetingJobKinds)[number];

const MINUTE = 60_000;
const DAY = 86_400_000;
/** A nudge sooner than this after the first reminder gives members no time to answer. */
const NUDGE_MIN_GAP = 60 * MINUTE;
/** Two reminders of one meeting never go out closer than this. */
const REMINDER_MIN_GAP = 60 * MINUTE;
/** Members get at least this long to answer the first reminder before the cadre's tally… */
const TALLY_MIN_ANSWER_TIME = 30 * MINUTE;
/** …and a short-notice tally goes this long before the start, so the cadre can still act on it. */
const TALLY_LAST_CALL = 30 * MINUTE;
/** How long after the meeting the attendance prompt stays worth sending. */
const ATTENDANCE_PROMPT_TTL = 7 * DAY;

/** "reminder:12:2026-12-02T01:00Z" — the nominal due time (minute precision) makes planning idempotent. */
export function jobDedupeKey(kind: string, meetingId: number, nominalDueAt: number): string {
  return `${kind}:${meetingId}:${new Date(nominalDueAt).toISOString().slice(0, 16)}Z`;
}

/** The nominal due time written in a job's dedupe key (its planned time, before any catch-up). */
export function nominalDueOf(dedupeKey: string): number | null {
  const first = dedupeKey.indexOf(":");
  const second = first < 0 ? -1 : dedupeKey.indexOf(":", first + 1);
  if (second < 0) return null;
  const ms = Date.parse(dedupeKey.slice(second + 1));
  return Number.isFinite(ms) ? ms : null;
}

/**
 * Marks the pending jobs of a meeting skipped (only those due after `dueAfter` when given).
 * Looks them up by dedupe-key prefix, which is indexed ("reminder:12:" ≤ key < "reminder:12;").
 */
export async function skipPendingJobs(
  db: Database,
  meetingId: number,
  now: Date,
  options: { kinds?: readonly MeetingJobKind[]; dueAfter?: number } = {},
): Promise<number> {
  let n = 0;
  for (const kind of options.kinds ?? meetingJobKinds) {
    n += await skipJobs.run(db, {
      doneAt: now.getTime(),
      from: `${kind}:${meetingId}:`,
      to: `${kind}:${meetingId};`,
      dueAfter: options.dueAfter ?? -1,
    });
  }
  return n;
}

/** When each offset of a plan falls for a meeting (ms), ascending, offsets at or after the start dropped. */
export function reminderTimes(plan: ReminderPlan, startsAt: number, timeZone: string): number[] {
  const local = toLocal(new Date(startsAt), timeZone);
  const times = new Set<number>();
  for (const offset of plan.offsets) {
    let due: number;
    if (offset.minutesBefore !== undefined) {
      due = startsAt - offset.minutesBefore * MINUTE;
    } else {
      const day = addLocalDays(local, -(offset.daysBefore ?? 0));
      const m = offset.at ? clockText.exec(offset.at) : null;
      const hour = m ? Number(m[1]) : local.hour;
      const minute = m ? Number(m[2]) : local.minute;
      due = fromLocal({ ...day, hour, minute }, timeZone).getTime();
    }
    if (due < startsAt) times.add(Math.floor(due / MINUTE) * MINUTE);
  }
  return [...times].sort((a, b) => a - b);
}

interface PlannedJob {
  kind: MeetingJobKind;
  nominal: number;
  dueAt: number;
  expiresAt: number;
}

const skipJobs = prepared((k, p: Slots<{ doneAt: number; from: string; to: string; dueAfter: number }>) =>
  k
    .updateTable("ScheduledJob")
    .set({ status: "skipped", doneAt: p.doneAt })
    .where("dedupeKey", ">=", p.from)
    .where("dedupeKey", "<", p.to)
    .where("status", "=", "pending")
    .where("dueAt", ">", p.dueAfter),
);

// A job skipped without running (its meeting moved away, then back) comes back to life; a job that
// ran stays done, so planning again never sends anything twice.
const insertJob = prepared(
  (
    k,
    p: Slots<{
      kind: string;
      meetingId: number;
      dueAt: number;
      expiresAt: number;
      dedupeKey: string;
      createdAt: number;
    }>,
  ) =>
    k
      .insertInto("ScheduledJob")
      .values({
        kind: p.kind,
        meetingId: p.meetingId,
        entityType: "Meeting",
        entityId: p.meetingId,
        dueAt: p.dueAt,
        expiresAt: p.expiresAt,
        status: "pending",
        dedupeKey: p.dedupeKey,
        createdAt: p.createdAt,
      })
      .onConflict((oc) =>
        oc
          .column("dedupeKey")
          .doUpdateSet((eb) => ({
            status: "pending",
            dueAt: eb.ref("excluded.dueAt"),
            expiresAt: eb.ref("excluded.expiresAt"),
            doneAt: null,
            claimedBy: null,
            claimedAt: null,
          }))
          .where("ScheduledJob.status", "=", "skipped"),
      ),
);

/** A tally job of the meeting (dedupe-key range) that ran or is running. */
const tallyRan = prepared((k, p: Slots<{ from: string; to: string }>) =>
  k
    .selectFrom("ScheduledJob")
    .select("id")
    .where("dedupeKey", ">=", p.from)
    .where("dedupeKey", "<", p.to)
    .where("status", "not in", ["pending", "skipped"])
    .limit(1),
);

/**
 * When the tally of a short-notice meeting goes out (its planned moment already past, or too soon
 * for anyone to have answered): 30 minutes before the start when members
 * still get 30 minutes to answer before it, else halfway between the first reminder and the start.
 */
export function shortNoticeTallyAt(startsAt: number, firstReminder: number, now: number): number {
  const from = Math.max(firstReminder, now);
  const lastCall = startsAt - TALLY_LAST_CALL;
  if (lastCall >= from + TALLY_MIN_ANSWER_TIME) return Math.floor(lastCall / MINUTE) * MINUTE;
  return Math.max(from, Math.floor((from + (startsAt - from) / 2) / MINUTE) * MINUTE);
}

/** A tally that already went out (or is going out) is never planned a second time at another moment. */
async function tallyAlreadyRan(db: Database, meetingId: number): Promise<boolean> {
  return (await tallyRan.first(db, { from: `tally:${meetingId}:`, to: `tally:${meetingId};` })) !== undefined;
}

/**
 * When the tally of a meeting goes out if that is not the plan's own moment (a short-notice meeting,
 * see `shortNoticeTallyAt`), for the confirmation to say; null when it keeps its planned time or
 * none is planned.
 */
export async function movedTallyAt(db: Database, meeting: MeetingRow): Promise<number | null> {
  const due = await plannedTallyAt(db, meeting.id);
  if (due === null) return null;
  const nominal =
    Math.floor((meeting.startsAt - (await reminderPlanFor(db, meeting)).tallyMinutesBefore * MINUTE) / MINUTE) * MINUTE;
  return due === nominal ? null : due;
}

/** When the meeting's tally is due (its pending tally job), or null when none is planned. */
export async function plannedTallyAt(db: Database, meetingId: number): Promise<number | null> {
  const row = await db.kysely
    .selectFrom("ScheduledJob")
    .select("dueAt")
    .where("dedupeKey", ">=", `tally:${meetingId}:`)
    .where("dedupeKey", "<", `tally:${meetingId};`)
    .where("status", "=", "pending")
    .orderBy("dueAt")
    .limit(1)
    .executeTakeFirst();
  return row?.dueAt ?? null;
}

async function planMeetingJobs(
  db: Database,
  meetingId: number,
  ctx: MeetingContext,
  options: { catchUp: boolean },
): Promise<number> {
  const meeting = await getMeeting(db, meetingId);
  if (meeting.status !== "scheduled") return 0;
  const now = ctx.now.getTime();
  const plan = await reminderPlanFor(db, meeting);
  const jobs: PlannedJob[] = [];

  if (meeting.startsAt > now) {
    const times = reminderTimes(plan, meeting.startsAt, ctx.timeZone);
    const candidates: PlannedJob[] = [];
    // Catch-up: of the offsets already past, only the latest one is sent, and at once.
    const latestPast = times.filter((t) => t <= now).at(-1);
    if (options.catchUp && latestPast !== undefined)
      candidates.push({ kind: "reminder", nominal: latestPast, dueAt: now, expiresAt: meeting.startsAt });
    for (const t of times)
      if (t > now) candidates.push({ kind: "reminder", nominal: t, dueAt: t, expiresAt: meeting.startsAt });
    // Two reminders of one meeting less than an hour apart say the same thing twice: keep the first.
    const reminders: PlannedJob[] = [];
    for (const r of candidates)
      if (!reminders.length || r.dueAt >= reminders.at(-1)!.dueAt + REMINDER_MIN_GAP) reminders.push(r);
    jobs.push(...reminders);
    const firstReminder = reminders[0]?.dueAt ?? now;
    if (plan.nudgeMinutesBefore > 0) {
      const nudge = Math.floor((meeting.startsAt - plan.nudgeMinutesBefore * MINUTE) / MINUTE) * MINUTE;
      // A nudge needs a reminder an hour before it, and is pointless within an hour of another reminder.
      const nearReminder = reminders.some((r) => Math.abs(r.dueAt - nudge) < NUDGE_MIN_GAP);
      if (nudge > now && nudge >= firstReminder + NUDGE_MIN_GAP && !nearReminder)
        jobs.push({ kind: "nudge", nominal: nudge, dueAt: nudge, expiresAt: meeting.startsAt });
    }
    if (plan.tallyMinutesBefore > 0) {
      const tally = Math.floor((meeting.startsAt - plan.tallyMinutesBefore * MINUTE) / MINUTE) * MINUTE;
      if (tally >= now + TALLY_MIN_ANSWER_TIME)
        jobs.push({ kind: "tally", nominal: tally, dueAt: tally, expiresAt: meeting.startsAt });
      else if (!(await tallyAlreadyRan(db, meeting.id))) {
        const late = shortNoticeTallyAt(meeting.startsAt, firstReminder, now);
        jobs.push({ kind: "tally", nominal: late, dueAt: late, expiresAt: meeting.startsAt });
      }
    }
  }
  if (meeting.endsAt + ATTENDANCE_PROMPT_TTL > now) {
    const end = Math.floor(meeting.endsAt / MINUTE) * MINUTE;
    jobs.push({
      kind: "attendance_prompt",
      nominal: end,
      dueAt: Math.max(end, now),
      expiresAt: meeting.endsAt + ATTENDANCE_PROMPT_TTL,
    });
  }

  let created = 0;
  for (const job of jobs) {
    created += await insertJob.run(db, {
      kind: job.kind,
      meetingId: meeting.id,
      dueAt: job.dueAt,
      expiresAt: job.expiresAt,
      dedupeKey: jobDedupeKey(job.kind, meeting.id, job.nominal),
      createdAt: now,
    });
  }
  return created;
}

/**
 * Creates the ScheduledJob rows of a meeting from its plan: a reminder per offset, the nudge, the
 * tally, and the attendance prompt at the end. Idempotent (dedupe key "<kind>:<meetingId>:<due>"
 * with the nominal due time). Offsets already past while the meeting is still ahead collapse into
 * one catch-up reminder due now; two reminders are never less than an hour apart (the later one is
 * dropped); a nudge already past, less than an hour after the first reminder or within an hour of
 * another reminder is not planned; a tally already past at planning, or due within 30 minutes of it,
 * moves to the latest sensible moment before the start (see `shortNoticeTallyAt`). Reminders, nudges and tallies expire at the start, the
 * attendance prompt 7 days after the end. Returns how many jobs were created; 0 for a cancelled
 * meeting. Throws not_found.
 */
export async function planJobs(db: Database, meetingId: number, ctx: MeetingContext): Promise<number> {
  return await planMeetingJobs(db, meetingId, ctx, { catchUp: true });
}
