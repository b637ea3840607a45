/**
 * Tickets: a member's concern (ý kiến, kiến nghị, tâm tư nguyện vọng), numbered, with a due date,
 * a thread of messages and a history of status changes.
 */
import { encodePayload } from "../payloads.ts";
import type { Selectable } from "kysely";
import type { Database, DB } from "../../storage/database.ts";
import { AppError } from "../../lib/app-error.ts";
import { foldVietnamese } from "../../lib/vietnamese.ts";
import { translator } from "../../lib/i18n.ts";
import { can, responsiblePeople } from "../access/access-scope.ts";
import { deliveryAccount, platforms, type ChatAccountRow, type Platform } from "../accounts/account-service.ts";
import { recordAudit, type AuditSource } from "../audit/audit-service.ts";
import { enqueue, priorities } from "../deliveries/outbox-service.ts";
import { getPerson } from "../people/people-service.ts";
import { getUnit } from "../units/unit-service.ts";
import { offerQuestion } from "../conversation-state.ts";

export const ticketCategories = [
  "che_do_chinh_sach",
  "doi_song",
  "ha_tang",
  "an_ninh_trat_tu",
  "to_chuc_hoi",
  "khac",
] as const;
export type TicketCategory = (typeof ticketCategories)[number];

const categoryWords: [TicketCategory, RegExp][] = [
  [
    "che_do_chinh_sach",
    /\b(che do|chinh sach|tro cap|luong huu|bao hiem|bhyt|bhxh|thuong binh|benh binh|chat doc|cong nhan|ho so|huong)\b/,
  ],
  ["ha_tang", /\b(duong|ngap|cau|cong|den duong|dien|nuoc sach|muong|kenh|ha tang|o ga|sat lo)\b/],
  ["an_ninh_trat_tu", /\b(an ninh|trat tu|tu tap|on ao|trom|cap|ma tuy|danh nhau|co bac|lua dao|dua xe)\b/],
  [
    "to_chuc_hoi",
    /\b(hoi phi|sinh hoat dinh ky|ket nap|the hoi vien|dai hoi|tai lieu|nghi quyet|bau cu|chuyen sinh hoat)\b/,
  ],
  ["doi_song", /\b(om|benh|kho khan|ngheo|tham hoi|viec lam|hoc|von vay|vay von|nha o|doi song|gia dinh|hoc nghe)\b/],
];

/** A suggested category from the text's words (the official can change it). */
export function suggestCategory(text: string): TicketCategory {
  const folded = foldVietnamese(text);
  for (const [category, words] of categoryWords) if (words.test(folded)) return category;
  return "khac";
}

/** The unit that answers a person's concern: the deepest unit where they are a member. */
export async function homeUnitOf(
  db: Database,
  personId: number,
): Promise<{ id: number; name: string; organisationId: number } | undefined> {
  return await db.kysely
    .selectFrom("Membership as m")
    .innerJoin("Unit as u", "u.id", "m.unitId")
    .select(["u.id", "u.name", "u.organisationId"])
    .where("m.personId", "=", personId)
    .orderBy((eb) => eb.case().when("m.role", "=", "member").then(0).else(1).end())
    .orderBy("u.depth", "desc")
    .orderBy("m.id")
    .limit(1)
    .executeTakeFirst();
}

export interface NewTicket {
  personId: number;
  text: string;
  sourceAccountId?: number | null;
  messageLogId?: number | null;
  directiveId?: number | null;
}

export interface TicketCreated {
  id: number;
  unitId: number;
  unitName: string;
  dueAt: number;
  category: TicketCategory;
  /** Characters cut from a text longer than ticketTextMaxLength (0 when kept whole). */
  cut?: number;
}

/** Tickets one member may open in 24 hours unless configured otherwise (TICKETS_PER_DAY). */
export const defaultTicketsPerDay = 10;

/**
 * Opens a ticket in the member's home unit with a due date from the organisation's setting.
 * Creating twice from the same inbound message returns the first ticket. A text longer than
 * ticketTextMaxLength is cut, with a note in the ticket (the whole message stays in the message
 * log). Throws not_found when the person belongs to no unit, invalid_input for empty text,
 * ticket_too_many when the person already opened `perDay` tickets in the last 24 hours.
 */
export async function createTicket(
  db: Database,
  input: NewTicket,
  now = new Date(),
  options: { perDay?: number } = {},
): Promise<TicketCreated> {
  const whole = input.text.trim();
  if (!whole) throw new AppError("invalid_input", { field: "text" });
  const cut = Math.max(0, whole.length - ticketTextMaxLength);
  const text = cut ? `${whole.slice(0, ticketTextMaxLength)} […+${cut}]` : whole;
  const perDay = options.perDay ?? defaultTicketsPerDay;
  return await db.transaction(async () => {
    if (input.messageLogId != null) {
      const existing = await db.kysely
        .selectFrom("TicketMessage")
        .select("ticketId")
        .where("messageLogId", "=", input.messageLogId)
        .where("authorRole", "=", "member")
        .executeTakeFirst();
      if (existing) return describeTicket(db, existing.ticketId);
    }
    const today = (
      await db.kysely
        .selectFrom("Ticket")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("personId", "=", input.personId)
        .where("createdAt", ">", now.getTime() - 86_400_000)
        .executeTakeFirstOrThrow()
    ).n;
    if (today >= perDay) throw new AppError("ticket_too_many", { max: perDay });
    const unit = await homeUnitOf(db, input.personId);
    if (!unit) throw new AppError("not_found", { what: "unit" });
    const days =
      (
        await db.kysely
          .selectFrom("Organisation")
          .select("ticketDueDays")
          .where("id", "=", unit.organisationId)
          .executeTakeFirst()
      )?.ticketDueDays ?? 7;
    const dueAt = now.getTime() + days * 86_400_000;
    const category = suggestCategory(text);
    const { id } = await db.kysely
      .insertInto("Ticket")
      .values({
        unitId: unit.id,
        originUnitId: unit.id,
        personId: input.personId,
        directiveId: input.directiveId ?? null,
        category,
        status: "new",
        dueAt,
        sourceAccountId: input.sourceAccountId ?? null,
        createdAt: now.getTime(),
        updatedAt: now.getTime(),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await db.kysely
      .insertInto("TicketMessage")
      .values({
        ticketId: id,
        authorRole: "member",
        authorPersonId: input.personId,
        text,
        messageLogId: input.messageLogId ?? null,
        createdAt: now.getTime(),
      })
      .execute();
    await db.kysely
      .insertInto("TicketStatusChange")
      .values({
        ticketId: id,
        fromStatus: null,
        toStatus: "new",
        toUnitId: unit.id,
        byPersonId: input.personId,
        createdAt: now.getTime(),
      })
      .execute();
    return { id, unitId: unit.id, unitName: unit.name, dueAt, category, cut };
  });
}

async function describeTicket(db: Database, id: number): Promise<TicketCreated> {
  const row = await db.kysely
    .selectFrom("Ticket as t")
    .innerJoin("Unit as u", "u.id", "t.unitId")
    .select(["t.id", "t.unitId", "u.name as unitName", "t.dueAt", "t.category"])
    .where("t.id", "=", id)
    .executeTakeFirst();
  if (!row) throw new AppError("not_found", { what: "ticket" });
  return { ...row, category: ticketCategoryOf(row.category) };
}

// ---- handling: take, answer, escalate, close; the member's satisfaction and follow-ups ----------

/** new → in_progress (taken) → answered → closed; escalation sets new again at the parent unit. */
export const ticketStatuses = ["new", "in_progress", "answered", "closed"] as const;
export type TicketStatus = (typeof ticketStatuses)[number];
/** Every status but closed. */
export const openTicketStatuses = ["new", "in_progress", "answered"] as const satisfies readonly TicketStatus[];

/** Longest answer or member message, and longest escalation note. */
export const ticketTextMaxLength = 4000;
export const ticketNoteMaxLength = 1000;
/** How long the member's "hài lòng / chưa hài lòng" question stays open after an answer. */
export const feedbackQuestionMs = 7 * 86_400_000;

/** A ticket as stored (times in epoch ms). */
export interface TicketRow {
  id: number;
  /** The unit currently responsible (the parent after an escalation). */
  unitId: number;
  originUnitId: number;
  /** The member who raised it. */
  personId: number;
  directiveId: number | null;
  category: string;
  status: TicketStatus;
  assigneeId: number | null;
  dueAt: number;
  /** 1 satisfied, 0 not satisfied, null not said. */
  satisfied: number | null;
  sourceAccountId: number | null;
  createdAt: number;
  updatedAt: number;
  firstAnsweredAt: number | null;
  closedAt: number | null;
}

/** A ticket as Kysely reads it (`selectAll` on Ticket): booleans for satisfaction, status as text. */
export type StoredTicket = Selectable<DB["Ticket"]>;

function platformOf(value: string): Platform | undefined {
  return platforms.find((p) => p === value);
}

function isTicketStatus(value: string): value is TicketStatus {
  return (ticketStatuses as readonly string[]).includes(value);
}

function ticketCategoryOf(value: string): TicketCategory {
  return ticketCategories.find((c) => c === value) ?? "khac";
}

/**
 * A stored ticket as `TicketRow` (satisfaction as 1/0/null, as the callers know it). A status
 * outside the four (never written by this code) reads as "new" rather than breaking a list.
 */
export function toTicketRow<T extends StoredTicket>(row: T): Omit<T, "status" | "satisfied"> & TicketRow {
  return {
    ...row,
    status: isTicketStatus(row.status) ? row.status : "new",
    satisfied: row.satisfied === null ? null : row.satisfied ? 1 : 0,
  };
}

async function findTicket(db: Database, id: number): Promise<TicketRow | undefined> {
  const row = await db.kysely.selectFrom("Ticket").selectAll().where("id", "=", id).executeTakeFirst();
  return row && toTicketRow(row);
}

/** Returns a ticket. Throws not_found. */
export async function getTicket(db: Database, id: number): Promise<TicketRow> {
  const row = await findTicket(db, id);
  if (!row) throw new AppError("not_found", { what: "ticket" });
  return row;
}

/**
 * True when the person may handle the ticket: handle_tickets on its CURRENT unit (so after an
 * escalation the branch cadre loses it and the parent unit's officials get it).
 */
export async function canHandleTicket(db: Database, personId: number, ticket: TicketRow): Promise<boolean> {
  return await can(db, personId, "handle_tickets", ticket.unitId);
}

/**
 * True when the ticket passed through a unit the person may handle and left it (they, or their
 * unit, passed it up): they keep read-only sight of it and are told when it is answered and closed.
 */
export async function passedUpBy(db: Database, personId: number, ticket: TicketRow): Promise<boolean> {
  if (await canHandleTicket(db, personId, ticket)) return false;
  const units = (
    await db.kysely
      .selectFrom("TicketStatusChange")
      .select("fromUnitId")
      .where("ticketId", "=", ticket.id)
      .where("fromUnitId", "is not", null)
      .execute()
  ).flatMap((r) => (r.fromUnitId === null ? [] : [r.fromUnitId]));
  for (const unitId of [ticket.originUnitId, ...units])
    if (await can(db, personId, "handle_tickets", unitId)) return true;
  return false;
}

/** What a person may do with a ticket right now (see `ticketAccess`). */
export type TicketAccess = "handle" | "closed" | "handled_above" | "forbidden" | "not_found";

/**
 * What a person may do with a ticket now, checked before a prompt for it is opened: "handle" (a
 * handler of its current unit, ticket open), "closed", "handled_above" (they passed it up: read
 * only), "forbidden", or "not_found". Never throws.
 */
export async function ticketAccess(
  db: Database,
  ticketId: number,
  personId: number,
): Promise<{ access: TicketAccess; ticket?: TicketRow }> {
  const ticket = Number.isSafeInteger(ticketId) ? await findTicket(db, ticketId) : undefined;
  if (!ticket) return { access: "not_found" };
  if (await canHandleTicket(db, personId, ticket))
    return { access: ticket.status === "closed" ? "closed" : "handle", ticket };
  return { access: (await passedUpBy(db, personId, ticket)) ? "handled_above" : "forbidden", ticket };
}

/** The ticket, if the person may handle it and it is not closed. Throws not_found, forbidden, ticket_closed. */
async function openTicketForHandler(db: Database, ticketId: number, personId: number): Promise<TicketRow> {
  const ticket = await getTicket(db, ticketId);
  if (!(await canHandleTicket(db, personId, ticket))) throw new AppError("forbidden", { permission: "handle_tickets" });
  if (ticket.status === "closed") throw new AppError("ticket_closed", { id: ticket.id });
  return ticket;
}

async function recordChange(
  db: Database,
  {
    ticket,
    toStatus,
    byPersonId,
    now,
    fromUnitId,
    toUnitId,
    note,
  }: {
    ticket: TicketRow;
    toStatus: TicketStatus;
    byPersonId: number | null;
    now: Date;
    fromUnitId?: number;
    toUnitId?: number;
    note?: string | null;
  },
): Promise<number> {
  return (
    await db.kysely
      .insertInto("TicketStatusChange")
      .values({
        ticketId: ticket.id,
        fromStatus: ticket.status,
        toStatus,
        fromUnitId: fromUnitId ?? null,
        toUnitId: toUnitId ?? null,
        byPersonId,
        note: note ?? null,
        createdAt: now.getTime(),
      })
      .returning("id")
      .executeTakeFirstOrThrow()
  ).id;
}

/** A message text: NFC, trimmed, line breaks kept. Throws invalid_input ({ field: "text" }). */
function cleanTicketText(text: string): string {
  const value = (text ?? "").normalize("NFC").replace(/\r\n?/g, "\n").trim();
  if (!value || value.length > ticketTextMaxLength) throw new AppError("invalid_input", { field: "text" });
  return value;
}

/** Who acts on which ticket, and when: what every handler's act on a ticket takes. */
export interface TicketAct {
  ticketId: number;
  /** The person acting (a handler, or the member on their own ticket). */
  personId: number;
  now: Date;
  /** Where the act came from, for the audit log (each function has its default). */
  source?: AuditSource;
}

/**
 * A handler takes the ticket: they become its assignee and it is in progress (from new, answered,
 * or in progress with someone else). Throws not_found, forbidden, ticket_closed.
 */
export async function takeTicket(
  db: Database,
  { ticketId, personId, now, source = "chat" }: TicketAct,
): Promise<TicketRow> {
  return await db.transaction(async () => {
    const ticket = await openTicketForHandler(db, ticketId, personId);
    if (ticket.status === "in_progress" && ticket.assigneeId === personId) return ticket;
    await db.kysely
      .updateTable("Ticket")
      .set({ status: "in_progress", assigneeId: personId, updatedAt: now.getTime() })
      .where("id", "=", ticket.id)
      .execute();
    await recordChange(db, {
      ticket,
      toStatus: "in_progress",
      byPersonId: personId,
      now,
      note: ticket.assigneeId !== null && ticket.assigneeId !== personId ? "reassigned" : null,
    });
    await recordAudit(
      db,
      { actorPersonId: personId, source, action: "ticket.take", entityType: "Ticket", entityId: ticket.id },
      now,
    );
    return getTicket(db, ticket.id);
  });
}

/** The account a ticket's messages reach the member on: the one they wrote from, else their delivery account. */
async function memberAccount(
  db: Database,
  ticket: TicketRow,
): Promise<Pick<ChatAccountRow, "id" | "platform" | "externalId"> | undefined> {
  if (ticket.sourceAccountId != null) {
    const account = await db.kysely
      .selectFrom("ChatAccount")
      .select(["id", "platform", "externalId"])
      .where("id", "=", ticket.sourceAccountId)
      .where("personId", "=", ticket.personId)
      .where("unreachable", "=", false)
      .executeTakeFirst();
    const platform = account && platformOf(account.platform);
    if (account && platform) return { ...account, platform };
  }
  return deliveryAccount(db, ticket.personId);
}

/** The "hài lòng / chưa hài lòng" buttons of an answer. */
export function satisfactionChoices(ticketId: number, locale: string): { label: string; payload: string }[] {
  const t = translator(locale);
  return [
    { label: t("tickets.satisfied_yes"), payload: encodePayload({ kind: "tsat", ticketId, satisfied: true }) },
    { label: t("tickets.satisfied_no"), payload: encodePayload({ kind: "tsat", ticketId, satisfied: false }) },
  ];
}

/**
 * A handler answers: the text joins the thread, the ticket is answered (first answer time kept,
 * the handler becomes assignee if there was none), and the answer goes to the member on the
 * account they wrote from (or their delivery account) with "hài lòng / chưa hài lòng" buttons;
 * `outboxId` is null when the member has no reachable account. Throws invalid_input
 * ({ field: "text" }: empty or over 4,000 characters), not_found, forbidden, ticket_closed.
 */
export async function answerTicket(
  db: Database,
  { ticketId, personId, text, now, source = "chat" }: TicketAct & { text: string },
): Promise<{ ticket: TicketRow; outboxId: number | null }> {
  const answer = cleanTicketText(text);
  return await db.transaction(async () => {
    const ticket = await openTicketForHandler(db, ticketId, personId);
    const at = now.getTime();
    const messageId = (
      await db.kysely
        .insertInto("TicketMessage")
        .values({ ticketId: ticket.id, authorRole: "official", authorPersonId: personId, text: answer, createdAt: at })
        .returning("id")
        .executeTakeFirstOrThrow()
    ).id;
    await db.kysely
      .updateTable("Ticket")
      .set((eb) => ({
        status: "answered",
        firstAnsweredAt: eb.fn.coalesce("firstAnsweredAt", eb.val(at)),
        assigneeId: eb.fn.coalesce("assigneeId", eb.val(personId)),
        updatedAt: at,
      }))
      .where("id", "=", ticket.id)
      .execute();
    await recordChange(db, { ticket, toStatus: "answered", byPersonId: personId, now });
    let outboxId: number | null = null;
    const account = await memberAccount(db, ticket);
    if (account) {
      const locale = (await getPerson(db, ticket.personId)).locale;
      const choices = satisfactionChoices(ticket.id, locale);
      outboxId = await enqueue(
        db,
        {
          platform: account.platform,
          chatId: account.externalId,
          chatAccountId: account.id,
          personId: ticket.personId,
          priority: priorities.normal,
          entityType: "Ticket",
          entityId: ticket.id,
          dedupeKey: `ticket:${ticket.id}:answer:${messageId}`,
          body: {
            text: translator(locale)("tickets.answer_to_member", { id: ticket.id, text: answer }),
            choices,
            locale: locale === "en" ? "en" : "vi",
          },
        },
        now,
      );
      await offerQuestion(db, {
        chatAccountId: account.id,
        kind: "ticket_feedback",
        data: { ticketId: ticket.id, choices: choices.map((c) => c.payload) },
        expiresAt: new Date(at + feedbackQuestionMs),
        now,
      });
    }
    await notifyPassers(db, {
      ticket,
      byPersonId: personId,
      event: "answered",
      eventKey: `answer:${messageId}`,
      text: answer,
      now,
    });
    await recordAudit(
      db,
      {
        actorPersonId: personId,
        source,
        action: "ticket.answer",
        entityType: "Ticket",
        entityId: ticket.id,
        detail: { messageId, sent: outboxId !== null },
      },
      now,
    );
    return { ticket: await getTicket(db, ticket.id), outboxId };
  });
}

/**
 * Passes the ticket up to the parent of its current unit: status back to new, no assignee; the
 * handlers of the child unit no longer see it. Throws invalid_input ({ field: "note" }: over 1,000
 * characters), not_found, forbidden, ticket_closed, ticket_at_root.
 */
export async function escalateTicket(
  db: Database,
  { ticketId, personId, note, now, source = "chat" }: TicketAct & { note: string | null },
): Promise<TicketRow> {
  const cleanNote = note?.normalize("NFC").trim() || null;
  if (cleanNote && cleanNote.length > ticketNoteMaxLength) throw new AppError("invalid_input", { field: "note" });
  return await db.transaction(async () => {
    const ticket = await openTicketForHandler(db, ticketId, personId);
    const unit = await getUnit(db, ticket.unitId);
    if (unit.parentId === null) throw new AppError("ticket_at_root", { id: ticket.id });
    await db.kysely
      .updateTable("Ticket")
      .set({ unitId: unit.parentId, status: "new", assigneeId: null, updatedAt: now.getTime() })
      .where("id", "=", ticket.id)
      .execute();
    await recordChange(db, {
      ticket,
      toStatus: "new",
      byPersonId: personId,
      now,
      fromUnitId: unit.id,
      toUnitId: unit.parentId,
      note: cleanNote,
    });
    await recordAudit(
      db,
      {
        actorPersonId: personId,
        source,
        action: "ticket.escalate",
        entityType: "Ticket",
        entityId: ticket.id,
        detail: { fromUnitId: unit.id, toUnitId: unit.parentId },
      },
      now,
    );
    return getTicket(db, ticket.id);
  });
}

/** Closes the ticket. Throws not_found, forbidden, ticket_closed (already closed). */
export async function closeTicket(
  db: Database,
  { ticketId, personId, now, source = "chat" }: TicketAct,
): Promise<TicketRow> {
  return await db.transaction(async () => {
    const ticket = await openTicketForHandler(db, ticketId, personId);
    await db.kysely
      .updateTable("Ticket")
      .set({ status: "closed", closedAt: now.getTime(), updatedAt: now.getTime() })
      .where("id", "=", ticket.id)
      .execute();
    const changeId = await recordChange(db, { ticket, toStatus: "closed", byPersonId: personId, now });
    await notifyPassers(db, {
      ticket,
      byPersonId: personId,
      event: "closed",
      eventKey: `closed:${changeId}`,
      text: "",
      now,
    });
    await recordAudit(
      db,
      { actorPersonId: personId, source, action: "ticket.close", entityType: "Ticket", entityId: ticket.id },
      now,
    );
    return getTicket(db, ticket.id);
  });
}

/**
 * The member says whether the answer satisfied them. Satisfied with an answer: the ticket is
 * closed (history note "satisfied"), so it leaves the officials' open list; otherwise noted. Not
 * satisfied: an answered or closed ticket is reopened (in progress, history note "reopened") and
 * its assignee is told. Throws not_found, ticket_not_yours.
 */
export async function recordSatisfaction(
  db: Database,
  { ticketId, personId, satisfied, now }: { ticketId: number; personId: number; satisfied: boolean; now: Date },
): Promise<TicketRow> {
  return await db.transaction(async () => {
    const ticket = await getTicket(db, ticketId);
    if (ticket.personId !== personId) throw new AppError("ticket_not_yours", { id: ticket.id });
    const at = now.getTime();
    await db.kysely.updateTable("Ticket").set({ satisfied, updatedAt: at }).where("id", "=", ticket.id).execute();
    if (satisfied && ticket.status === "answered") {
      await db.kysely
        .updateTable("Ticket")
        .set({ status: "closed", closedAt: at })
        .where("id", "=", ticket.id)
        .execute();
      await recordChange(db, { ticket, toStatus: "closed", byPersonId: personId, now, note: "satisfied" });
    }
    if (!satisfied && (ticket.status === "answered" || ticket.status === "closed")) {
      await db.kysely
        .updateTable("Ticket")
        .set({ status: "in_progress", closedAt: null })
        .where("id", "=", ticket.id)
        .execute();
      const changeId = await recordChange(db, {
        ticket,
        toStatus: "in_progress",
        byPersonId: personId,
        now,
        note: "reopened",
      });
      if (ticket.assigneeId !== null) await notifyHandlerOfReopening(db, ticket, ticket.assigneeId, changeId, now);
    }
    return getTicket(db, ticket.id);
  });
}

/**
 * Tells the people who passed the ticket up (and no longer handle it) that it was answered or
 * closed above them. One message per event and person (dedupe key ticket:<id>:up:<event>:p:<person>).
 */
async function notifyPassers(
  db: Database,
  {
    ticket,
    byPersonId,
    event,
    eventKey,
    text,
    now,
  }: { ticket: TicketRow; byPersonId: number; event: "answered" | "closed"; eventKey: string; text: string; now: Date },
): Promise<void> {
  const passers: number[] = [];
  const rows = await db.kysely
    .selectFrom("TicketStatusChange")
    .select("byPersonId")
    .distinct()
    .where("ticketId", "=", ticket.id)
    .where("fromUnitId", "is not", null)
    .where("byPersonId", "is not", null)
    .orderBy("byPersonId")
    .execute();
  for (const { byPersonId: id } of rows)
    if (id !== null && id !== byPersonId && !(await canHandleTicket(db, id, ticket))) passers.push(id);
  if (!passers.length) return;
  const member = (await getPerson(db, ticket.personId)).fullName;
  const unit = (await getUnit(db, ticket.unitId)).name;
  for (const personId of passers) {
    const account = await deliveryAccount(db, personId);
    if (!account) continue;
    const locale = (await getPerson(db, personId)).locale;
    const t = translator(locale);
    await enqueue(
      db,
      {
        platform: account.platform,
        chatId: account.externalId,
        chatAccountId: account.id,
        personId,
        priority: priorities.normal,
        entityType: "Ticket",
        entityId: ticket.id,
        dedupeKey: `ticket:${ticket.id}:up:${eventKey}:p:${personId}`,
        body: {
          text: t(`rights.passed_up_${event}`, { id: ticket.id, member, unit, text }),
          locale: locale === "en" ? "en" : "vi",
        },
      },
      now,
    );
  }
}

async function notifyHandlerOfReopening(
  db: Database,
  ticket: TicketRow,
  handlerId: number,
  changeId: number,
  now: Date,
): Promise<void> {
  const account = await deliveryAccount(db, handlerId);
  if (!account) return;
  const locale = (await getPerson(db, handlerId)).locale;
  const member = (await getPerson(db, ticket.personId)).fullName;
  await enqueue(
    db,
    {
      platform: account.platform,
      chatId: account.externalId,
      chatAccountId: account.id,
      personId: handlerId,
      priority: priorities.normal,
      entityType: "Ticket",
      entityId: ticket.id,
      dedupeKey: `ticket:${ticket.id}:h:${changeId}:p:${handlerId}`,
      body: {
        text: translator(locale)("tickets.reopened_to_handler", { id: ticket.id, member }),
        locale: locale === "en" ? "en" : "vi",
      },
    },
    now,
  );
}

/**
 * The member adds to their own ticket (a reply in its thread). An answered ticket goes back to in
 * progress. The same inbound message twice is stored once. Throws invalid_input ({ field: "text" }),
 * not_found, ticket_not_yours, ticket_closed.
 */
export async function addMemberMessage(
  db: Database,
  {
    ticketId,
    personId,
    text,
    messageLogId,
    now,
  }: { ticketId: number; personId: number; text: string; messageLogId: number | null; now: Date },
): Promise<TicketRow> {
  const value = cleanTicketText(text);
  return await db.transaction(async () => {
    const ticket = await getTicket(db, ticketId);
    if (ticket.personId !== personId) throw new AppError("ticket_not_yours", { id: ticket.id });
    if (ticket.status === "closed") throw new AppError("ticket_closed", { id: ticket.id });
    if (
      messageLogId != null &&
      (await db.kysely
        .selectFrom("TicketMessage")
        .select("id")
        .where("messageLogId", "=", messageLogId)
        .where("ticketId", "=", ticket.id)
        .executeTakeFirst())
    )
      return ticket;
    const at = now.getTime();
    await db.kysely
      .insertInto("TicketMessage")
      .values({
        ticketId: ticket.id,
        authorRole: "member",
        authorPersonId: personId,
        text: value,
        messageLogId,
        createdAt: at,
      })
      .execute();
    if (ticket.status === "answered") {
      await db.kysely
        .updateTable("Ticket")
        .set({ status: "in_progress", updatedAt: at })
        .where("id", "=", ticket.id)
        .execute();
      await recordChange(db, { ticket, toStatus: "in_progress", byPersonId: personId, now, note: "member_reply" });
    } else {
      await db.kysely.updateTable("Ticket").set({ updatedAt: at }).where("id", "=", ticket.id).execute();
    }
    return getTicket(db, ticket.id);
  });
}

/** What `ticketThread` returns. */
export interface TicketThread {
  ticket: TicketRow & { memberName: string; unitName: string; assigneeName: string | null };
  messages: { authorRole: string; authorName: string | null; text: string; createdAt: number }[];
  history: {
    fromStatus: string | null;
    toStatus: string;
    fromUnit: string | null;
    toUnit: string | null;
    byName: string | null;
    note: string | null;
    createdAt: number;
  }[];
}

/**
 * A ticket with its messages and status history, oldest first, for a handler of its current unit,
 * a handler who passed it up (read only: see `passedUpBy`), or its author (who does not see the
 * officials' notes). Throws not_found, forbidden.
 */
export async function ticketThread(db: Database, ticketId: number, viewerPersonId: number): Promise<TicketThread> {
  const base = await getTicket(db, ticketId);
  const handler = (await canHandleTicket(db, viewerPersonId, base)) || (await passedUpBy(db, viewerPersonId, base));
  if (!handler && base.personId !== viewerPersonId) throw new AppError("forbidden", { permission: "handle_tickets" });
  return readThread(db, ticketId, handler);
}

/**
 * The whole ticket for the server's operator (`chihoi tickets show N`, who has the database
 * anyway): where a text cut short in chat can be read in full. Throws not_found.
 */
export async function ticketThreadForOperator(db: Database, ticketId: number): Promise<TicketThread> {
  await getTicket(db, ticketId);
  return readThread(db, ticketId, true);
}

async function readThread(db: Database, ticketId: number, handler: boolean): Promise<TicketThread> {
  const ticket = toTicketRow(
    await db.kysely
      .selectFrom("Ticket as t")
      .innerJoin("Person as p", "p.id", "t.personId")
      .innerJoin("Unit as u", "u.id", "t.unitId")
      .leftJoin("Person as a", "a.id", "t.assigneeId")
      .selectAll("t")
      .select(["p.fullName as memberName", "u.name as unitName", "a.fullName as assigneeName"])
      .where("t.id", "=", ticketId)
      .executeTakeFirstOrThrow(),
  );
  const messages = await db.kysely
    .selectFrom("TicketMessage as m")
    .leftJoin("Person as p", "p.id", "m.authorPersonId")
    .select(["m.authorRole", "p.fullName as authorName", "m.text", "m.createdAt"])
    .where("m.ticketId", "=", ticketId)
    .orderBy("m.createdAt")
    .orderBy("m.id")
    .execute();
  const history = await db.kysely
    .selectFrom("TicketStatusChange as h")
    .leftJoin("Unit as fu", "fu.id", "h.fromUnitId")
    .leftJoin("Unit as tu", "tu.id", "h.toUnitId")
    .leftJoin("Person as p", "p.id", "h.byPersonId")
    .select([
      "h.fromStatus",
      "h.toStatus",
      "fu.name as fromUnit",
      "tu.name as toUnit",
      "p.fullName as byName",
      "h.note",
      "h.createdAt",
    ])
    .where("h.ticketId", "=", ticketId)
    .orderBy("h.createdAt")
    .orderBy("h.id")
    .execute();
  if (!handler) for (const h of history) h.note = null;
  return { ticket, messages, history };
}

/**
 * Who answers for a unit's tickets: the people with a cadre, official or admin role on the unit or,
 * when it has none, on the nearest ancestor that has some. Sorted by id.
 */
export async function ticketHandlers(db: Database, unitId: number): Promise<number[]> {
  return await responsiblePeople(db, unitId);
}

/** The first words of a message on one line, for lists ("Đường vào thôn bị ngập mỗi khi…"). */
export function ticketExcerpt(text: string, max = 60): string {
  const line = text.replace(/\s+/g, " ").trim();
  if (line.length <= max) return line;
  const cut = line.slice(0, max);
  const space = cut.lastIndexOf(" ");
  return `${space > max / 2 ? cut.slice(0, space) : cut}…`;
}

/**
 * A member's own tickets, newest first, with their first message (for "/ykien" in chat: what I
 * have sent and where it stands). Closed ones are listed too.
 */
export async function listTicketsOfPerson(
  db: Database,
  personId: number,
  limit = 5,
): Promise<(TicketRow & { firstMessage: string })[]> {
  const rows = await db.kysely
    .selectFrom("Ticket as t")
    .selectAll("t")
    .select((eb) =>
      eb
        .selectFrom("TicketMessage as m")
        .select("m.text")
        .whereRef("m.ticketId", "=", "t.id")
        .orderBy("m.id")
        .limit(1)
        .as("firstMessage"),
    )
    .where("t.personId", "=", personId)
    .orderBy("t.createdAt", "desc")
    .orderBy("t.id", "desc")
    .limit(Math.max(0, Math.floor(limit)))
    .execute();
  return rows.map((r) => ({ ...toTicketRow(r), firstMessage: r.firstMessage ?? "" }));
}

/** The person who raised a ticket, or undefined when there is no such ticket. */
export async function ticketOwner(db: Database, ticketId: number): Promise<number | undefined> {
  return (await db.kysely.selectFrom("Ticket").select("personId").where("id", "=", ticketId).executeTakeFirst())
    ?.personId;
}

/** A member's ticket answered most recently since `since`, if any (what a bare "hài lòng" refers to). */
export async function latestAnsweredTicketOf(db: Database, personId: number, since: Date): Promise<number | undefined> {
  return (
    await db.kysely
      .selectFrom("Ticket")
      .select("id")
      .where("personId", "=", personId)
      .where("status", "=", "answered")
      .where("updatedAt", ">", since.getTime())
      .orderBy("updatedAt", "desc")
      .orderBy("id", "desc")
      .limit(1)
      .executeTakeFirst()
  )?.id;
}
