/**
 * Directive jobs, run by the clock inside the job's transaction (see jobs.ts):
 * - directive_progress: tells the sender how far the sending got ("Đã gửi 1.234/5.000"), again
 *   every 2 minutes while anything changes, and the final tally when nothing is waiting any more;
 * - directive_reminder: one reminder, with the same "Đã đọc" button, to the people whose copy was
 *   delivered and who have not confirmed reading it.
 *
 * Both are set-based SQL over the directive's deliveries, so they stay cheap for 100,000 readers.
 */
import { encodePayload } from "../payloads.ts";
import type { Database } from "../../storage/database.ts";
import type { JobOutcome } from "../scheduling/scheduled-jobs.ts";
import { sql } from "kysely";
import { keyPrefix } from "../../storage/dialect.ts";
import { translator } from "../../lib/i18n.ts";
import { deliveryAccount, getAccount, type ChatAccountRow } from "../accounts/account-service.ts";
import { enqueue, priorities } from "../deliveries/outbox-service.ts";
import { getPerson } from "../people/people-service.ts";
import {
  deliveryAccountOf,
  directiveProgress,
  effectiveDeliveryStatusOf,
  findDirective,
  offerQuestionToMany,
  progressIntervalMs,
  progressSettingKey,
  queueCopies,
  readSetting,
  recordDeliveryOutcomes,
  scheduleJob,
  writeSetting,
  type DirectiveProgress,
  type DirectiveRow,
} from "../directives/directive-service.ts";

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
  return id == null ? undefined : await findDirective(db, id);
}

/** The sender's account for reports: the one they sent from if still theirs and reachable, else their delivery account. */
async function reportAccount(
  db: Database,
  personId: number,
  accountId: number | null | undefined,
): Promise<ChatAccountRow | undefined> {
  if (accountId != null) {
    const own = await db.kysely
      .selectFrom("ChatAccount")
      .select("id")
      .where("id", "=", accountId)
      .where("personId", "=", personId)
      .where("unreachable", "=", false)
      .executeTakeFirst();
    if (own) return await getAccount(db, own.id);
  }
  return deliveryAccount(db, personId);
}

/** The sequence number in "directive_progress:<id>:<n>" of a job. */
async function progressSequence(db: Database, jobId: number, directiveId: number): Promise<number> {
  const key =
    (await db.kysely.selectFrom("ScheduledJob").select("dedupeKey").where("id", "=", jobId).executeTakeFirst())
      ?.dedupeKey ?? "";
  const match = new RegExp(`^directive_progress:${directiveId}:(\\d+)$`).exec(key);
  if (match) return Number(match[1]);
  const { n } = await db.kysely
    .selectFrom("ScheduledJob")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("kind", "=", "directive_progress")
    .where("entityId", "=", directiveId)
    .executeTakeFirstOrThrow();
  return Number(n);
}

function tallyParams(directive: DirectiveRow, p: DirectiveProgress) {
  return {
    id: directive.id,
    title: directive.title,
    total: p.total,
    sent: p.sent,
    linked: p.total - p.notLinked,
    queued: p.queued,
    delivered: p.sent,
    unreachable: p.unreachable + p.failed,
    notLinked: p.notLinked,
    read: p.read,
  };
}

/**
 * Reports a directive's sending progress to its sender: "Đã gửi {sent}/{linked}" when the numbers
 * changed since the last report, and plans itself again 2 minutes later; once nothing is waiting
 * (or after 3 days) sends the final tally (delivered, unreachable, not linked, read), marks the
 * directive "sent" and stops. Deliveries' statuses are brought up to date on every run.
 */
export async function runDirectiveProgressJob(
  db: Database,
  job: DirectiveJob,
  ctx: DirectiveJobContext,
): Promise<JobOutcome> {
  const directive = await loadDirective(db, job.entityId);
  if (directive?.status !== "sending") return skipped();
  const now = ctx.now.getTime();
  await recordDeliveryOutcomes(db, directive.id);
  const progress = await directiveProgress(db, directive.id);
  const settingKey = progressSettingKey(directive.id);
  let state: ProgressState = {};
  try {
    state = JSON.parse((await readSetting(db, settingKey)) ?? "{}") as ProgressState;
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
      {
        platform: account.platform,
        chatId: account.externalId,
        chatAccountId: account.id,
        personId,
        priority: priorities.normal,
        body: { text },
        entityType: "Directive",
        entityId: directive.id,
        dedupeKey,
      },
      ctx.now,
    );
    if (id !== null) outcome.queued++;
  };

  const stalled = !progress.done && directive.sentAt !== null && now - directive.sentAt >= progressReportMaxMs;
  if (progress.done || stalled) {
    const message = progress.done ? "directives.progress_done" : "directives.progress_stalled";
    await tell(
      t(message, { ...tallyParams(directive, progress), days: Math.round(progressReportMaxMs / 86_400_000) }),
      `directive_progress:${directive.id}:final`,
    );
    await db.kysely.updateTable("Directive").set({ status: "sent" }).where("id", "=", directive.id).execute();
    await writeSetting(
      db,
      settingKey,
      JSON.stringify({
        ...state,
        sent: progress.sent,
        unreachable: progress.unreachable + progress.failed,
        final: true,
      }),
      now,
    );
    return outcome;
  }
  const unreachable = progress.unreachable + progress.failed;
  if (progress.sent !== (state.sent ?? 0) || unreachable !== (state.unreachable ?? 0)) {
    await tell(
      t("directives.progress", tallyParams(directive, progress)),
      `directive_progress:${directive.id}:job:${job.id}`,
    );
    state = { ...state, sent: progress.sent, unreachable };
    await writeSetting(db, settingKey, JSON.stringify(state), now);
  }
  const next = (await progressSequence(db, job.id, directive.id)) + 1;
  await scheduleJob(db, {
    kind: "directive_progress",
    directiveId: directive.id,
    dueAt: now + progressIntervalMs,
    dedupeKey: `directive_progress:${directive.id}:${next}`,
    expiresAt: null,
    now,
  });
  return outcome;
}

/**
 * Sends the one reminder of a directive to each person whose copy was delivered, who has not
 * confirmed reading it and was not reminded yet: the directive again, prefixed by a reminder line,
 * with the "Đã đọc" button (dedupe key directive_reminder:<id>:p:<personId>), on their current
 * delivery account. People without a reachable account are counted as unreachable.
 */
export async function runDirectiveReminderJob(
  db: Database,
  job: DirectiveJob,
  ctx: DirectiveJobContext,
): Promise<JobOutcome> {
  const directive = await loadDirective(db, job.entityId);
  if (!directive || directive.status === "draft") return skipped();
  const now = ctx.now.getTime();
  await recordDeliveryOutcomes(db, directive.id);
  const prefix = `directive_reminder:${directive.id}:p:`;
  // Delivered, unread, not reminded yet.
  const candidates = () =>
    db.kysely
      .selectFrom("DirectiveDelivery as d")
      .leftJoin("Outbox as o", "o.id", "d.outboxId")
      .where("d.directiveId", "=", directive.id)
      .where("d.readAt", "is", null)
      .where("d.remindedAt", "is", null)
      .where(sql<boolean>`${effectiveDeliveryStatusOf(db.engine)} = 'sent'`);
  const queued = await queueCopies(
    db,
    candidates().select(["d.personId", deliveryAccountOf(db, sql.ref("d.personId")).as("accountId")]),
    directive,
    { prefix, now, reminder: true },
  );
  const reminderOf = (person: "d.personId" | "DirectiveDelivery.personId") =>
    db.kysely
      .selectFrom("Outbox as x")
      .select("x.id")
      .where(sql<boolean>`${sql.ref("x.dedupeKey")} = ${prefix} || CAST(${sql.ref(person)} AS TEXT)`);
  const { n: unreachable } = await candidates()
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where((eb) => eb.not(eb.exists(reminderOf("d.personId"))))
    .executeTakeFirstOrThrow();
  await db.kysely
    .updateTable("DirectiveDelivery")
    .set({ remindedAt: now })
    .where("directiveId", "=", directive.id)
    .where("remindedAt", "is", null)
    .where((eb) => eb.exists(reminderOf("DirectiveDelivery.personId")))
    .execute();
  await offerQuestionToMany(db, {
    accounts: db.kysely
      .selectFrom("Outbox as x")
      .select("x.chatAccountId")
      .where(keyPrefix(db.engine, sql.ref("x.dedupeKey"), prefix))
      .where("x.createdAt", "=", now)
      .where("x.chatAccountId", "is not", null),
    kind: "directive",
    data: { directiveId: directive.id, choices: [encodePayload({ kind: "read", directiveId: directive.id })] },
    expiresAt: now + reminderQuestionMs,
    now,
  });
  return { status: "done", queued, unreachable: Number(unreachable) };
}
