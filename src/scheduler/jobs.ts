/**
 * Runs the ScheduledJob rows that are due: meeting reminders, nudges, tallies and attendance
 * prompts (other features register their own kinds with `registerJobHandler`).
 *
 * Exactly-once: each job runs inside ONE transaction that claims it (`claimJob` in
 * domain/scheduling/scheduled-jobs.ts skips a job another process is running instead of waiting for
 * it), queues all its Outbox messages (dedupe key "job:<jobId>:p:<personId>")
 * and marks it done. On SQLite the IMMEDIATE transaction holds the one writer lock; on PostgreSQL
 * the claimed row stays locked until the commit. So after a restart, or with several service
 * processes, a job is either wholly done once or not at all, and a job that throws rolls back to
 * pending.
 */
import type { Database } from "../storage/database.ts";
import { deliveryAccount } from "../domain/accounts/account-service.ts";
import { enqueue, peopleSentByKeyPrefix, priorities, type OutboxBody } from "../domain/deliveries/outbox-service.ts";
import { offerQuestion } from "../domain/conversation-state.ts";
import { getPerson } from "../domain/people/people-service.ts";
import { meetingCadres, movedNoticePrefix } from "../domain/meetings/meeting-service.ts";
import { findMeeting, meetingText, type DeliveryTarget } from "../domain/meetings/meeting-queries.ts";
import type { MeetingRow } from "../domain/meetings/meeting-types.ts";
import { attendanceRecorded, inviteeAnswers, meetingTally } from "../domain/meetings/rsvp-service.ts";
import { meetingJobKinds, nominalDueOf } from "../domain/meetings/reminder-plan.ts";
import { attendancePromptBody, rsvpPayloads, rsvpRequestBody, tallyBody } from "../domain/meetings/meeting-messages.ts";

import {
  claimJob,
  dueJobIds as dueJobIdsOf,
  finishJob,
  type JobOutcome,
  type JobRow,
} from "../domain/scheduling/scheduled-jobs.ts";
export type { JobRow };

export interface JobContext {
  now: Date;
  timeZone: string;
  /** Names this process in ScheduledJob.claimedBy. */
  workerId: string;
}

export type { JobOutcome };

/** Runs inside the job's transaction; must only touch the database (no network, no await). */
export type JobHandler = (db: Database, job: JobRow, ctx: JobContext) => Promise<JobOutcome>;

const handlers = new Map<string, JobHandler>();

/** Lets a feature run its own job kind (directive reminders, digests…). Replaces an earlier handler. */
export function registerJobHandler(kind: string, handler: JobHandler): void {
  handlers.set(kind, handler);
}

/** Ids of pending jobs of a handled kind due at `now`, oldest due first. */
export async function dueJobIds(db: Database, now: Date, limit: number): Promise<number[]> {
  return await dueJobIdsOf(db, [...handlers.keys()], now, limit);
}

/** Runs a claimed job (inside its transaction) and records the outcome. */
async function runClaimed(db: Database, job: JobRow, ctx: JobContext): Promise<JobOutcome | null> {
  const handler = handlers.get(job.kind);
  if (!handler) return null;
  const now = ctx.now.getTime();
  const outcome: JobOutcome =
    job.expiresAt != null && now > job.expiresAt
      ? { status: "skipped", queued: 0, unreachable: 0 }
      : await handler(db, job, ctx);
  await finishJob(db, job.id, outcome.status, now);
  return outcome;
}

/**
 * Runs one job in one transaction. Returns null when the job is not pending any more (another
 * process ran it or is running it) or its kind has no handler. A job past its expiry is marked
 * skipped unsent.
 */
export async function runJob(db: Database, jobId: number, ctx: JobContext): Promise<JobOutcome | null> {
  return await db
    .transaction(async () => {
      const job = await claimJob(db, { ...ctx, kinds: [...handlers.keys()] }, { id: jobId });
      if (!job || !handlers.has(job.kind)) throw new NothingToRun();
      return await runClaimed(db, job, ctx);
    })
    .catch((error: unknown) => {
      if (error instanceof NothingToRun) return null;
      throw error;
    });
}

/** Rolls back an empty claim (a job without handler stays pending, untouched). */
class NothingToRun extends Error {}

export interface RunResult {
  /** Jobs done. */
  ran: number;
  /** Jobs skipped (expired, meeting cancelled, nothing left to do). */
  skipped: number;
  /** Jobs that threw (left pending, tried again on the next run until they expire). */
  failed: number;
  queued: number;
  unreachable: number;
}

/**
 * Runs up to `limit` (default 500) due jobs, each in its own transaction. A job that throws is
 * left pending and reported to `onError`; without `onError` the first error is thrown after the
 * others ran.
 */
export async function runDueJobs(
  db: Database,
  ctx: JobContext & { limit?: number; onError?: (error: unknown, jobId: number) => void },
): Promise<RunResult> {
  const result: RunResult = { ran: 0, skipped: 0, failed: 0, queued: 0, unreachable: 0 };
  let firstError: unknown;
  // Jobs that threw in this run: rolled back to pending, not tried again until the next run.
  const failed: number[] = [];
  const limit = ctx.limit ?? 500;
  // Most clock ticks find nothing due: one read then, without taking the write lock.
  if (!(await dueJobIds(db, ctx.now, 1)).length) return result;
  for (let n = 0; n < limit; n++) {
    let claimed: number | undefined;
    let outcome: JobOutcome | null | undefined;
    try {
      outcome = await db.transaction(async () => {
        const job = await claimJob(db, { ...ctx, kinds: [...handlers.keys()] }, { except: failed });
        if (!job) return undefined;
        claimed = job.id;
        return await runClaimed(db, job, ctx);
      });
    } catch (error) {
      if (claimed === undefined) throw error; // the claim itself failed: the database is not usable
      failed.push(claimed);
      result.failed++;
      if (ctx.onError) ctx.onError(error, claimed);
      else firstError ??= error;
      continue;
    }
    if (outcome === undefined) break; // nothing due that another process is not already running
    if (!outcome) continue;
    if (outcome.status === "done") result.ran++;
    else result.skipped++;
    result.queued += outcome.queued;
    result.unreachable += outcome.unreachable;
  }
  if (firstError !== undefined) throw firstError;
  return result;
}

// ---------------------------------------------------------------------------------------------
// Meeting jobs

const skipped = (): JobOutcome => ({ status: "skipped", queued: 0, unreachable: 0 });

/** Queues one job message to a person's delivery account (looked up when not given). */
async function send(
  db: Database,
  job: JobRow,
  meetingId: number,
  personId: number,
  body: OutboxBody,
  ctx: JobContext,
  outcome: JobOutcome,
  target?: DeliveryTarget | null,
): Promise<number | null> {
  const account = target === undefined ? await deliveryAccount(db, personId) : target;
  if (!account) {
    outcome.unreachable++;
    return null;
  }
  const id = await enqueue(
    db,
    {
      platform: account.platform,
      chatId: account.externalId,
      chatAccountId: account.id,
      personId,
      priority: priorities.normal,
      body,
      entityType: "Meeting",
      entityId: meetingId,
      dedupeKey: `job:${job.id}:p:${personId}`,
    },
    ctx.now,
  );
  if (id !== null) outcome.queued++;
  return id === null ? null : account.id;
}

/** Reminder (everyone not excused) or nudge (only those who have not answered). */
async function runRsvpRequest(db: Database, job: JobRow, meeting: MeetingRow, ctx: JobContext): Promise<JobOutcome> {
  const kind = job.kind === "nudge" ? "nudge" : "reminder";
  const outcome: JobOutcome = { status: "done", queued: 0, unreachable: 0 };
  const text = await meetingText(db, meeting);
  const choices = rsvpPayloads(meeting.id);
  const expires = new Date(meeting.startsAt);
  // A catch-up reminder right after a move would repeat the move notice those people just got.
  const nominal = nominalDueOf(job.dedupeKey) ?? job.dueAt;
  const prefix = movedNoticePrefix(meeting.id, meeting.startsAt);
  const toldOfMove = new Set(await peopleSentByKeyPrefix(db, prefix, nominal));
  const bodies = new Map<string, OutboxBody>();
  for (const invitee of await inviteeAnswers(db, meeting)) {
    if (kind === "reminder" ? invitee.answer === "absent" : invitee.answer !== null) continue;
    if (toldOfMove.has(invitee.personId)) continue;
    let body = bodies.get(invitee.locale);
    if (!body)
      bodies.set(
        invitee.locale,
        (body = rsvpRequestBody({
          kind,
          meetingId: meeting.id,
          meeting: text,
          locale: invitee.locale,
          timeZone: ctx.timeZone,
        })),
      );
    const accountId = await send(db, job, meeting.id, invitee.personId, body, ctx, outcome, invitee.account);
    // A reminder must not wipe out a flow the person is in the middle of (composing, attendance…).
    if (accountId !== null)
      await offerQuestion(db, {
        chatAccountId: accountId,
        kind: "rsvp",
        data: { meetingId: meeting.id, choices },
        expiresAt: expires,
        now: ctx.now,
      });
  }
  return outcome;
}

async function runTally(db: Database, job: JobRow, meeting: MeetingRow, ctx: JobContext): Promise<JobOutcome> {
  const outcome: JobOutcome = { status: "done", queued: 0, unreachable: 0 };
  const tally = await meetingTally(db, meeting.id);
  const text = await meetingText(db, meeting);
  for (const personId of await meetingCadres(db, meeting.unitId)) {
    await send(
      db,
      job,
      meeting.id,
      personId,
      tallyBody(tally, text, (await getPerson(db, personId)).locale, ctx.timeZone),
      ctx,
      outcome,
    );
  }
  return outcome;
}

async function runAttendancePrompt(
  db: Database,
  job: JobRow,
  meeting: MeetingRow,
  ctx: JobContext,
): Promise<JobOutcome> {
  // The cadre may have recorded it during the meeting already.
  if (await attendanceRecorded(db, meeting.id)) return skipped();
  const outcome: JobOutcome = { status: "done", queued: 0, unreachable: 0 };
  const text = await meetingText(db, meeting);
  for (const personId of await meetingCadres(db, meeting.unitId)) {
    await send(
      db,
      job,
      meeting.id,
      personId,
      attendancePromptBody(meeting.id, text, (await getPerson(db, personId)).locale, ctx.timeZone),
      ctx,
      outcome,
    );
  }
  return outcome;
}

/** Runs one meeting job (reminder, nudge, tally, attendance_prompt). */
export async function runMeetingJob(db: Database, job: JobRow, ctx: JobContext): Promise<JobOutcome> {
  const meeting = job.meetingId != null ? await findMeeting(db, job.meetingId) : undefined;
  if (meeting?.status !== "scheduled") return skipped();
  const now = ctx.now.getTime();
  switch (job.kind) {
    case "reminder":
    case "nudge":
    case "tally":
      if (now >= meeting.startsAt) return skipped();
      return job.kind === "tally" ? await runTally(db, job, meeting, ctx) : await runRsvpRequest(db, job, meeting, ctx);
    case "attendance_prompt":
      return runAttendancePrompt(db, job, meeting, ctx);
    default:
      return skipped();
  }
}

for (const kind of meetingJobKinds) registerJobHandler(kind, runMeetingJob);
