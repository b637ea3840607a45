/**
 * Ticket jobs, run by the clock inside the job's transaction (see jobs.ts):
 * - ticket_digest, every whole hour: the new tickets since the last digest (raised, or passed up to
 *   a unit), ONE message per handler listing them — never one message per ticket;
 * - overdue_report, every day at 08:00 local time: each handler's overdue open tickets.
 *
 * Handlers of a unit are its cadres, officials and admins, or those of the nearest ancestor that
 * has some (`ticketHandlers`). Each run plans the next one; `planTicketJobs` is idempotent and may
 * also be called on every tick.
 */
import type { Database } from "../../storage/database.ts";
import { isDistinctFrom } from "../../storage/dialect.ts";
import type { JobOutcome } from "../scheduling/scheduled-jobs.ts";
import { translator, type Translate } from "../../lib/i18n.ts";
import { addLocalDays, formatDate, fromLocal, toLocal, type LocalDate } from "../../lib/zoned-time.ts";
import { deliveryAccount } from "../accounts/account-service.ts";
import { enqueue, priorities } from "../deliveries/outbox-service.ts";
import { getPerson } from "../people/people-service.ts";
import { readSetting, writeSetting } from "../directives/directive-service.ts";
import { ticketExcerpt, ticketHandlers } from "../tickets/ticket-service.ts";

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Local time of the daily overdue report. */
export const overdueReportHour = 8;
/** Lines listed in one message; the rest are counted. */
export const maxListedTickets = 20;
/** Setting holding the last ticket and status-change ids a digest covered. */
export const digestSettingKey = "tickets.digest";

export interface TicketJob {
  id: number;
  dueAt?: number;
}

export interface TicketJobContext {
  now: Date;
  timeZone: string;
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

function isoDate(d: LocalDate): string {
  return `${d.year}-${pad2(d.month)}-${pad2(d.day)}`;
}

async function insertJob(
  db: Database,
  kind: string,
  dueAt: number,
  dedupeKey: string,
  expiresAt: number | null,
  now: number,
): Promise<void> {
  await db.kysely
    .insertInto("ScheduledJob")
    .values({ kind, dueAt, expiresAt, status: "pending", dedupeKey, createdAt: now })
    .onConflict((oc) => oc.column("dedupeKey").doNothing())
    .execute();
}

/**
 * Makes sure the next digest (the next whole hour of the zone) and the next overdue report (the
 * next 08:00 local) are planned. Idempotent: dedupe keys "ticket_digest:<ISO hour>" and
 * "overdue_report:<local date>".
 */
export async function planTicketJobs(db: Database, ctx: TicketJobContext): Promise<void> {
  const now = ctx.now.getTime();
  const local = toLocal(ctx.now, ctx.timeZone);
  // The zone's whole hours (not UTC's: zones with half-hour offsets exist).
  const nextHour = Math.floor(now / MINUTE) * MINUTE - local.minute * MINUTE + HOUR;
  await insertJob(db, "ticket_digest", nextHour, `ticket_digest:${new Date(nextHour).toISOString()}`, null, now);
  let day: LocalDate = { year: local.year, month: local.month, day: local.day };
  let reportAt = fromLocal({ ...day, hour: overdueReportHour, minute: 0 }, ctx.timeZone).getTime();
  if (reportAt <= now) {
    day = addLocalDays(day, 1);
    reportAt = fromLocal({ ...day, hour: overdueReportHour, minute: 0 }, ctx.timeZone).getTime();
  }
  // A report long after 08:00 (the service was down all day) is not worth sending.
  await insertJob(db, "overdue_report", reportAt, `overdue_report:${isoDate(day)}`, reportAt + 10 * HOUR, now);
}

interface ListedTicket {
  id: number;
  unitId: number;
  personId: number;
  member: string;
  unit: string;
  dueAt: number;
  firstMessage: string | null;
}

/**
 * Sends one message per handler listing their tickets: a header, up to 20 lines, "… and N more",
 * a hint. Returns the outcome counts.
 */
async function sendLists(
  db: Database,
  job: TicketJob,
  kind: "ticket_digest" | "overdue_report",
  tickets: ListedTicket[],
  render: (t: Translate, ticket: ListedTicket) => string,
  ctx: TicketJobContext,
): Promise<JobOutcome> {
  const outcome: JobOutcome = { status: "done", queued: 0, unreachable: 0 };
  const handlersOf = new Map<number, number[]>();
  const listOf = new Map<number, ListedTicket[]>();
  for (const ticket of tickets) {
    let handlers = handlersOf.get(ticket.unitId);
    if (!handlers) handlersOf.set(ticket.unitId, (handlers = await ticketHandlers(db, ticket.unitId)));
    for (const handler of handlers) {
      if (handler === ticket.personId) continue; // their own concern is not theirs to handle
      let list = listOf.get(handler);
      if (!list) listOf.set(handler, (list = []));
      list.push(ticket);
    }
  }
  const prefix = kind === "ticket_digest" ? "digest" : "overdue";
  for (const [handler, list] of listOf) {
    const account = await deliveryAccount(db, handler);
    if (!account) {
      outcome.unreachable++;
      continue;
    }
    const locale = (await getPerson(db, handler)).locale;
    const t = translator(locale);
    const lines = [t(`tickets.${prefix}_header`, { count: list.length })];
    for (const ticket of list.slice(0, maxListedTickets)) lines.push(render(t, ticket));
    if (list.length > maxListedTickets) lines.push(t("tickets.list_more", { count: list.length - maxListedTickets }));
    lines.push("", t("tickets.list_hint"));
    const single = list.length === 1 ? list[0]!.id : null;
    const id = await enqueue(
      db,
      {
        platform: account.platform,
        chatId: account.externalId,
        chatAccountId: account.id,
        personId: handler,
        priority: priorities.normal,
        body: { text: lines.join("\n"), locale: locale === "en" ? "en" : "vi" },
        entityType: single !== null ? "Ticket" : null,
        entityId: single,
        dedupeKey: `${kind}:${job.id}:p:${handler}`,
      },
      ctx.now,
    );
    if (id !== null) outcome.queued++;
  }
  return outcome;
}

/** Tickets with their member's and unit's names and first message, for the lists. */
function listedTickets(db: Database) {
  return db.kysely
    .selectFrom("Ticket as t")
    .innerJoin("Person as p", "p.id", "t.personId")
    .innerJoin("Unit as u", "u.id", "t.unitId")
    .select((eb) => [
      "t.id",
      "t.unitId",
      "t.personId",
      "p.fullName as member",
      "u.name as unit",
      "t.dueAt",
      eb
        .selectFrom("TicketMessage as m")
        .select("m.text")
        .whereRef("m.ticketId", "=", "t.id")
        .orderBy("m.id")
        .limit(1)
        .as("firstMessage"),
    ]);
}

/**
 * The hourly digest: tickets still new that were raised, or passed up to their current unit, since
 * the last digest (ids kept in Setting "tickets.digest"), one message per handler. The first digest
 * ever covers the hour before it. Plans the next jobs.
 */
export async function runTicketDigestJob(db: Database, job: TicketJob, ctx: TicketJobContext): Promise<JobOutcome> {
  const now = ctx.now.getTime();
  let since: { ticketId: number; changeId: number } | null = null;
  try {
    since = JSON.parse((await readSetting(db, digestSettingKey)) ?? "null");
  } catch {
    since = null;
  }
  if (!since) {
    // Walking ids downwards stops at the first old row: cheap even with a million tickets.
    since = {
      ticketId:
        (
          await db.kysely
            .selectFrom("Ticket")
            .select("id")
            .where("createdAt", "<=", now - HOUR)
            .orderBy("id", "desc")
            .limit(1)
            .executeTakeFirst()
        )?.id ?? 0,
      changeId:
        (
          await db.kysely
            .selectFrom("TicketStatusChange")
            .select("id")
            .where("createdAt", "<=", now - HOUR)
            .orderBy("id", "desc")
            .limit(1)
            .executeTakeFirst()
        )?.id ?? 0,
    };
  }
  const upTo = {
    ticketId:
      (
        await db.kysely
          .selectFrom("Ticket")
          .select((eb) => eb.fn.max("id").as("id"))
          .executeTakeFirst()
      )?.id ?? 0,
    changeId:
      (
        await db.kysely
          .selectFrom("TicketStatusChange")
          .select((eb) => eb.fn.max("id").as("id"))
          .executeTakeFirst()
      )?.id ?? 0,
  };
  const from = since;
  const tickets = await listedTickets(db)
    .where("t.status", "=", "new")
    .where((eb) =>
      eb.or([
        eb("t.id", ">", from.ticketId),
        eb(
          "t.id",
          "in",
          eb
            .selectFrom("TicketStatusChange as h")
            .select("h.ticketId")
            .where("h.id", ">", from.changeId)
            .where("h.fromUnitId", "is not", null)
            .where((e) => isDistinctFrom(db.engine, e.ref("h.toUnitId"), e.ref("h.fromUnitId"))),
        ),
      ]),
    )
    .orderBy("t.id")
    .execute();
  const outcome = await sendLists(
    db,
    job,
    "ticket_digest",
    tickets,
    (t, ticket) =>
      t("tickets.digest_line", {
        id: ticket.id,
        member: ticket.member,
        unit: ticket.unit,
        excerpt: ticketExcerpt(ticket.firstMessage ?? ""),
      }),
    ctx,
  );
  await writeSetting(db, digestSettingKey, JSON.stringify(upTo), now);
  await planTicketJobs(db, ctx);
  return outcome;
}

/**
 * The daily report: every open ticket past its due date, most overdue first, one message per
 * handler of its current unit. Plans the next jobs.
 */
export async function runOverdueReportJob(db: Database, job: TicketJob, ctx: TicketJobContext): Promise<JobOutcome> {
  const now = ctx.now.getTime();
  const tickets = await listedTickets(db)
    .where("t.status", "in", ["new", "in_progress", "answered"])
    .where("t.dueAt", "<", now)
    .orderBy("t.dueAt")
    .orderBy("t.id")
    .execute();
  const outcome = await sendLists(
    db,
    job,
    "overdue_report",
    tickets,
    (t, ticket) =>
      t("tickets.overdue_line", {
        id: ticket.id,
        member: ticket.member,
        unit: ticket.unit,
        due: formatDate(new Date(ticket.dueAt), ctx.timeZone),
        days: Math.max(1, Math.floor((now - ticket.dueAt) / DAY)),
        excerpt: ticketExcerpt(ticket.firstMessage ?? "", 40),
      }),
    ctx,
  );
  await planTicketJobs(db, ctx);
  return outcome;
}
