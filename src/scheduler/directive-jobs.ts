/**
 * Directive jobs, run by the clock inside the job's transaction (see jobs.ts):
 * - directive_progress: tells the sender how far the sending got ("Đã gửi 1.234/5.000"), again
 *   every 2 minutes while anything changes, and the final tally when nothing is waiting any more;
 * - directive_reminder: one reminder, with the same "Đã đọc" button, to the people whose copy was
 *   delivered and who have not confirmed reading it.
 *
 * Both are set-based SQL over the directive's deliveries, so they stay cheap for 100,000 readers.
 */
import type { Database } from "../storage/database.ts";
import type { JobOutcome } from "./jobs.ts";
import { upsertQuestionTail } from "../domain/conversation-state.ts";
import { translator } from "../lib/i18n.ts";
import { deliveryAccount, type ChatAccountRow } from "../domain/accounts/account-service.ts";
import { enqueue, priorities } from "../domain/deliveries/outbox-service.ts";
import { getPerson } from "../domain/people/people-service.ts";
import {
  directiveBody, directiveProgress, effectiveDeliveryStatus, progressIntervalMs, progressSettingKey, readSetting, recordDeliveryOutcomes,
  scheduleJob, writeSetting, type DirectiveProgress, type DirectiveRow,
} from "../domain/directives/directive-service.ts";

/** After this long the sender gets the tally even if copies are still waiting (a channel is down). */
export const progressReportMaxMs = 3 * 86_400_000;
/** How long the "Đã đọc" question of a reminder stays open. */
const reminderQuestionMs = 7 * 86_400_000;

export interface DirectiveJob {
  id: number;
  entityId: number | null;
}

export interface DirectiveJobContext {
  now: Date;
  timeZone: string;
}

interface ProgressState {
  /** Who is told: the person who sent it, on the account they sent it from when known. */
  personId?: number;
  accountId?: number | null;
  sent?: number;
  unreachable?: number;
  final?: boolean;
}

const skipped = (): JobOutcome => ({ status: "skipped", queued: 0, unreachable: 0 });

async function loadDirective(db: Database, id: number | null): Promise<DirectiveRow | undefined> {
  if (id == null) return undefined;
  return await db.sql.get<DirectiveRow>(
    `SELECT id, unitId, organisationId, kind, number, issuer, title, summary, link, status, reminderDays, createdById, createdAt, sentAt FROM Directive WHERE id = ?`,
    id,
  );
}

/** The sender's account for reports: the one they sent from if still theirs and reachable, else their delivery account. */
async function reportAccount(db: Database, personId: number, accountId: number | null | undefined): Promise<ChatAccountRow | undefined> {
  if (accountId != null) {
    const account = await db.sql.get<ChatAccountRow>(
      `SELECT id, platform, externalId, personId, displayName, preferred, unreachable, backoffUntil, linkedAt FROM ChatAccount WHERE id = ? AND personId = ? AND unreachable = 0`,
      accountId, personId,
    );
    if (account) return account;
  }
  return deliveryAccount(db, personId);
}

/** The sequence number in "directive_progress:<id>:<n>" of a job. */
async function progressSequence(db: Database, jobId: number, directiveId: number): Promise<number> {
  const key = (await db.sql.get<{ dedupeKey: string }>(`SELECT dedupeKey FROM ScheduledJob WHERE id = ?`, jobId))?.dedupeKey ?? "";
  const match = new RegExp(`^directive_progress:${directiveId}:(\\d+)$`).exec(key);
  if (match) return Number(match[1]);
  return (await db.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ScheduledJob WHERE kind = 'directive_progress' AND entityId = ?`, directiveId))!.n;
}

function tallyParams(directive: DirectiveRow, p: DirectiveProgress) {
  return {
    id: directive.id, title: directive.title, total: p.total, sent: p.sent, linked: p.total - p.notLinked, queued: p.queued,
    delivered: p.sent, unreachable: p.unreachable + p.failed, notLinked: p.notLinked, read: p.read,
  };
}

/**
 * Reports a directive's sending progress to its sender: "Đã gửi {sent}/{linked}" when the numbers
 * changed since the last report, and plans itself again 2 minutes later; once nothing is waiting
 * (or after 3 days) sends the final tally (delivered, unreachable, not linked, read), marks the
 * directive "sent" and stops. Deliveries' statuses are brought up to date on every run.
 */
export async function runDirectiveProgressJob(db: Database, job: DirectiveJob, ctx: DirectiveJobContext): Promise<JobOutcome> {
  const directive = await loadDirective(db, job.entityId);
  if (!directive || directive.status !== "sending") return skipped();
  const now = ctx.now.getTime();
  await recordDeliveryOutcomes(db, directive.id);
  const progress = await directiveProgress(db, directive.id);
  const settingKey = progressSettingKey(directive.id);
  let state: ProgressState = {};
  try {
    state = JSON.parse(await readSetting(db, settingKey) ?? "{}") as ProgressState;
  } catch {
    state = {};
  }
  const personId = state.personId ?? directive.createdById;
  const account = personId != null ? await reportAccount(db, personId, state.accountId) : undefined;
  const t = translator(personId != null ? (await getPerson(db, personId)).locale : "vi");
  const outcome: JobOutcome = { status: "done", queued: 0, unreachable: 0 };
  const tell = async (text: string, dedupeKey: string) => {
    if (!account) {
      outcome.unreachable++;
      return;
    }
    const id = await enqueue(
      db,
      { platform: account.platform, chatId: account.externalId, chatAccountId: account.id, personId, priority: priorities.normal, body: { text }, entityType: "Directive", entityId: directive.id, dedupeKey },
      ctx.now,
    );
    if (id !== null) outcome.queued++;
  };

  const stalled = !progress.done && directive.sentAt !== null && now - directive.sentAt >= progressReportMaxMs;
  if (progress.done || stalled) {
    const message = progress.done ? "directives.progress_done" : "directives.progress_stalled";
    await tell(t(message, { ...tallyParams(directive, progress), days: Math.round(progressReportMaxMs / 86_400_000) }), `directive_progress:${directive.id}:final`);
    await db.sql.run(`UPDATE Directive SET status = 'sent' WHERE id = ?`, directive.id);
    await writeSetting(db, settingKey, JSON.stringify({ ...state, sent: progress.sent, unreachable: progress.unreachable + progress.failed, final: true }), now);
    return outcome;
  }
  const unreachable = progress.unreachable + progress.failed;
  if (progress.sent !== (state.sent ?? 0) || unreachable !== (state.unreachable ?? 0)) {
    await tell(t("directives.progress", tallyParams(directive, progress)), `directive_progress:${directive.id}:job:${job.id}`);
    state = { ...state, sent: progress.sent, unreachable };
    await writeSetting(db, settingKey, JSON.stringify(state), now);
  }
  const next = await progressSequence(db, job.id, directive.id) + 1;
  await scheduleJob(db, "directive_progress", directive.id, now + progressIntervalMs, `directive_progress:${directive.id}:${next}`, null, now);
  return outcome;
}

/**
 * Sends the one reminder of a directive to each person whose copy was delivered, who has not
 * confirmed reading it and was not reminded yet: the directive again, prefixed by a reminder line,
 * with the "Đã đọc" button (dedupe key directive_reminder:<id>:p:<personId>), on their current
 * delivery account. People without a reachable account are counted as unreachable.
 */
export async function runDirectiveReminderJob(db: Database, job: DirectiveJob, ctx: DirectiveJobContext): Promise<JobOutcome> {
  const directive = await loadDirective(db, job.entityId);
  if (!directive || directive.status === "draft") return skipped();
  const now = ctx.now.getTime();
  await recordDeliveryOutcomes(db, directive.id);
  const prefix = `directive_reminder:${directive.id}:p:`;
  const candidates = `FROM DirectiveDelivery d LEFT JOIN Outbox o ON o.id = d.outboxId
     WHERE d.directiveId = ? AND d.readAt IS NULL AND d.remindedAt IS NULL AND ${effectiveDeliveryStatus} = 'sent'`;
  const bodies = { vi: JSON.stringify(directiveBody(directive, "vi", true)), en: JSON.stringify(directiveBody(directive, "en", true)) };
  const queued = (await db.sql.run(
    `INSERT INTO Outbox (platform, chatId, chatType, chatAccountId, personId, priority, body, entityType, entityId, dedupeKey, status, attempts, notBefore, createdAt)
     SELECT c.platform, c.externalId, 'private', c.id, r.personId, ?, CASE p.locale WHEN 'en' THEN ? ELSE ? END, 'Directive', ?, ? || r.personId, 'pending', 0, ?, ?
     FROM (SELECT d.personId,
             (SELECT a.id FROM ChatAccount a WHERE a.personId = d.personId AND a.unreachable = 0
              ORDER BY a.preferred DESC, CASE a.platform WHEN 'web' THEN 1 ELSE 0 END, a.linkedAt LIMIT 1) AS accountId
           ${candidates}) r
     JOIN ChatAccount c ON c.id = r.accountId JOIN Person p ON p.id = r.personId
     WHERE true ON CONFLICT (dedupeKey) DO NOTHING`,
    priorities.broadcast, bodies.en, bodies.vi, directive.id, prefix, now, now, directive.id,
  )).changes;
  const unreachable = (await db.sql.get<{ n: number }>(
    `SELECT COUNT(*) AS n ${candidates} AND NOT EXISTS (SELECT 1 FROM Outbox x WHERE x.dedupeKey = ? || d.personId)`,
    directive.id, prefix,
  ))!.n;
  await db.sql.run(
    `UPDATE DirectiveDelivery SET remindedAt = ? WHERE directiveId = ? AND remindedAt IS NULL
       AND EXISTS (SELECT 1 FROM Outbox x WHERE x.dedupeKey = ? || DirectiveDelivery.personId)`,
    now, directive.id, prefix,
  );
  const question = JSON.stringify({ directiveId: directive.id, choices: [`read:${directive.id}`] });
  await db.sql.run(
    `INSERT INTO ConversationState (chatAccountId, kind, data, expiresAt, updatedAt)
     SELECT x.chatAccountId, 'directive', ?, ?, ? FROM Outbox x WHERE x.dedupeKey >= ? AND x.dedupeKey < ? AND x.createdAt = ? AND x.chatAccountId IS NOT NULL
     ${upsertQuestionTail}`,
    question, now + reminderQuestionMs, now, prefix, prefix.slice(0, -1) + ";", now,
  );
  return { status: "done", queued, unreachable };
}
