/**
 * Directives (văn bản): a condensed summary of a resolution, directive, plan, notice or guidance,
 * posted by a cadre or official to their unit's subtree. Members confirm "Đã đọc"; non-readers get
 * one reminder; read rates roll up the tree (read-rates.ts).
 *
 * Sending is set-based SQL inside one transaction: the audience is never loaded into JavaScript, so
 * queueing 100,000 copies costs a few seconds and no memory beyond SQLite's page cache.
 */
import { encodePayload } from "../payloads.ts";
import { isDirectiveKind, type DirectiveKind } from "./directive-kinds.ts";
import { sql, type RawBuilder, type SelectQueryBuilder } from "kysely";
import type { Database, DB, Engine } from "../../storage/database.ts";
import { typedValue } from "../../storage/dialect.ts";
import { protectedQuestionKinds } from "../conversation-state.ts";
import { AppError } from "../../lib/app-error.ts";
import { translator, type Locale } from "../../lib/i18n.ts";
import { tidyText } from "../../lib/vietnamese.ts";
import { assertCan } from "../access/access-scope.ts";
import { recordAudit, type AuditSource } from "../audit/audit-service.ts";
import { fairOrderSpacingMs, priorities, storeSharedBodies, type OutboxBody } from "../deliveries/outbox-service.ts";
import { getUnit, subtreeRange } from "../units/unit-service.ts";

export { directiveKinds, isDirectiveKind, type DirectiveKind } from "./directive-kinds.ts";

/** Above this many characters the composer is warned: elderly members read on small phones. */
export const summaryWarnLength = 700;
export const summaryMaxLength = 3000;
/** Limits checked by `validateDirective`. */
export const titleMaxLength = 300;
export const linkMaxLength = 500;
export const issuerMaxLength = 200;
export const numberMaxLength = 60;
/** Days after sending when non-readers are reminded, unless the composer chose otherwise. */
export const defaultReminderDays = 3;
export const maxReminderDays = 30;

/** First progress report this long after sending, then every `progressIntervalMs`. */
export const progressFirstDelayMs = 60_000;
export const progressIntervalMs = 120_000;

const DAY_MS = 86_400_000;

/** What a composer provides for a new directive. */
export interface DirectiveInput {
  unitId: number;
  /** Only that organisation's units of the subtree receive it (several trees may share a root). */
  organisationId?: number | null;
  kind: DirectiveKind;
  /** Số hiệu, "784-QĐ/TU"; empty when the document has none. */
  number?: string;
  /** Cơ quan ban hành, "Ban Thường vụ Tỉnh ủy". */
  issuer?: string;
  title: string;
  summary: string;
  link?: string | null;
  /** Days after sending when non-readers get their one reminder (1–30, default 3). */
  reminderDays?: number;
  createdById: number;
  /** Where the action came from, for the audit log (default "chat"). */
  source?: AuditSource;
}

/** draft (composed), sending (queued, progress being reported), sent (final tally given). */
export type DirectiveStatus = "draft" | "sending" | "sent";

/** A directive as stored (times in epoch ms). */
export interface DirectiveRow {
  id: number;
  unitId: number;
  organisationId: number | null;
  kind: DirectiveKind;
  number: string;
  issuer: string;
  title: string;
  summary: string;
  link: string | null;
  status: DirectiveStatus;
  reminderDays: number;
  createdById: number | null;
  createdAt: number;
  sentAt: number | null;
}

const directiveColumns = [
  "id",
  "unitId",
  "organisationId",
  "kind",
  "number",
  "issuer",
  "title",
  "summary",
  "link",
  "status",
  "reminderDays",
  "createdById",
  "createdAt",
  "sentAt",
] as const;

const directiveStatuses: readonly string[] = ["draft", "sending", "sent"] satisfies DirectiveStatus[];

/** A stored Directive row as the domain sees it (kind and status checked, not cast). */
export function toDirectiveRow<R extends Omit<DirectiveRow, "kind" | "status"> & { kind: string; status: string }>(
  row: R,
): Omit<R, "kind" | "status"> & Pick<DirectiveRow, "kind" | "status"> {
  const { kind, status } = row;
  if (!isDirectiveKind(kind) || !isDirectiveStatus(status))
    throw new Error(`Directive ${row.id}: unknown kind or status ${kind}/${status}`);
  return { ...row, kind, status };
}

function isDirectiveStatus(value: string): value is DirectiveStatus {
  return directiveStatuses.includes(value);
}

// Letters (Vietnamese included, precomposed or with combining marks), digits, - / . and spaces.
const numberChars = /^[\p{L}\p{M}\p{Nd}\-/. ]+$/u;

/**
 * Tidies a document number as officials type it: "  784 - QĐ / TU " → "784-QĐ/TU", "Số 12/KH-UBND"
 * → "12/KH-UBND", dashes of any kind become "-". Returns "" for an empty number (the document has
 * none). Throws directive_number_invalid ({ number }) for other characters, a number without any
 * digit, or one longer than 60 characters.
 */
export function normaliseDirectiveNumber(text: string): string {
  let value = text
    .normalize("NFC")
    .replace(/[\u2010-\u2015\u2212]/g, "-")
    .replace(/\s+/g, " ")
    .trim();
  if (!value) return "";
  value = value
    .replace(/^(số|so|no\.?)\s*:?\s*(?=\p{Nd})/iu, "")
    .replace(/\s*([-/.])\s*/g, "$1")
    .trim();
  if (
    !numberChars.test(value) ||
    !/\p{Nd}/u.test(value) ||
    value.length > numberMaxLength ||
    /^[-/.]|[-/]$/.test(value)
  )
    throw new AppError("directive_number_invalid", { number: text.trim().slice(0, 80) });
  return value;
}

/** Trims a summary, keeping its line breaks but not runs of blank lines or trailing spaces. */
function tidySummary(text: string): string {
  return text
    .normalize("NFC")
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .map((line) => line.replace(/[ \t\u00a0]+/g, " ").trim())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

function cleanLink(link: string | null | undefined): string | null {
  const value = (link ?? "").trim();
  if (!value) return null;
  if (value.length > linkMaxLength) throw new AppError("invalid_input", { field: "link", max: linkMaxLength });
  if (/\s/.test(value)) throw new AppError("invalid_input", { field: "link" });
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AppError("invalid_input", { field: "link" });
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname)
    throw new AppError("invalid_input", { field: "link" });
  return value;
}

interface CleanDirective {
  kind: DirectiveKind;
  number: string;
  issuer: string;
  title: string;
  summary: string;
  link: string | null;
  reminderDays: number;
  warnings: "summary_long"[];
}

function cleanDirective(input: DirectiveInput): CleanDirective {
  if (!isDirectiveKind(input.kind)) throw new AppError("invalid_input", { field: "kind" });
  const title = tidyText(input.title ?? "");
  if (!title) throw new AppError("invalid_input", { field: "title" });
  if (title.length > titleMaxLength) throw new AppError("invalid_input", { field: "title", max: titleMaxLength });
  const summary = tidySummary(input.summary ?? "");
  if (!summary) throw new AppError("directive_summary_empty");
  if (summary.length > summaryMaxLength)
    throw new AppError("directive_summary_too_long", { length: summary.length, max: summaryMaxLength });
  const number = normaliseDirectiveNumber(input.number ?? "");
  const issuer = tidyText(input.issuer ?? "");
  if (issuer.length > issuerMaxLength) throw new AppError("invalid_input", { field: "issuer", max: issuerMaxLength });
  const link = cleanLink(input.link);
  const reminderDays = input.reminderDays ?? defaultReminderDays;
  if (!Number.isInteger(reminderDays) || reminderDays < 1 || reminderDays > maxReminderDays)
    throw new AppError("invalid_input", { field: "reminderDays" });
  return {
    kind: input.kind,
    number,
    issuer,
    title,
    summary,
    link,
    reminderDays,
    warnings: summary.length > summaryWarnLength ? ["summary_long"] : [],
  };
}

/**
 * Checks a directive before it is stored. Returns warnings (summary_long above 700 characters).
 * Throws directive_summary_empty, directive_summary_too_long ({ length, max }),
 * directive_number_invalid ({ number }), invalid_input ({ field: "kind" | "title" | "link" |
 * "issuer" | "reminderDays" }): title 1–300 characters, link an http(s) URL of at most 500.
 */
export function validateDirective(input: DirectiveInput): { warnings: "summary_long"[] } {
  return { warnings: cleanDirective(input).warnings };
}

/**
 * The directive's fields as `createDirective` would store them (tidied), without storing anything:
 * for a live preview while composing. Throws what `validateDirective` throws.
 */
export function tidyDirective(input: DirectiveInput): Pick<
  DirectiveRow,
  "kind" | "number" | "issuer" | "title" | "summary" | "link" | "reminderDays"
> & {
  warnings: "summary_long"[];
} {
  return cleanDirective(input);
}

/**
 * Stores a draft. Throws what `validateDirective` throws, unit_not_found, forbidden unless the
 * creator may send directives to the unit, invalid_input ({ field: "organisationId" }) when the
 * organisation has no unit in the subtree.
 */
export async function createDirective(
  db: Database,
  input: DirectiveInput,
  now: Date,
): Promise<DirectiveRow & { warnings: string[] }> {
  const clean = cleanDirective(input);
  return await db.transaction(async () => {
    const unit = await getUnit(db, input.unitId);
    await assertCan(db, input.createdById, "send_directives", unit.id);
    const organisationId = input.organisationId ?? null;
    if (organisationId !== null && organisationId !== unit.organisationId) {
      const [lo, hi] = subtreeRange(unit.path);
      const inSubtree = await db.kysely
        .selectFrom("Unit")
        .select("id")
        .where("path", ">=", lo)
        .where("path", "<", hi)
        .where("organisationId", "=", organisationId)
        .limit(1)
        .executeTakeFirst();
      if (!inSubtree) throw new AppError("invalid_input", { field: "organisationId" });
    }
    const { id } = await db.kysely
      .insertInto("Directive")
      .values({
        unitId: unit.id,
        organisationId,
        kind: clean.kind,
        number: clean.number,
        issuer: clean.issuer,
        title: clean.title,
        summary: clean.summary,
        link: clean.link,
        status: "draft",
        reminderDays: clean.reminderDays,
        createdById: input.createdById,
        createdAt: now.getTime(),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await recordAudit(
      db,
      {
        actorPersonId: input.createdById,
        source: input.source ?? "chat",
        action: "directive.create",
        entityType: "Directive",
        entityId: id,
        detail: { unitId: unit.id, kind: clean.kind },
      },
      now,
    );
    return { ...(await getDirective(db, id)), warnings: clean.warnings };
  });
}

/** A directive, or undefined. */
export async function findDirective(db: Database, id: number): Promise<DirectiveRow | undefined> {
  const row = await db.kysely.selectFrom("Directive").select(directiveColumns).where("id", "=", id).executeTakeFirst();
  return row && toDirectiveRow(row);
}

/** Returns a directive. Throws not_found. */
export async function getDirective(db: Database, id: number): Promise<DirectiveRow> {
  const row = await findDirective(db, id);
  if (!row) throw new AppError("not_found", { what: "directive" });
  return row;
}

/** The audience: distinct people with a membership in the directive's subtree (and organisation). */
async function audienceQuery(
  db: Database,
  directive: DirectiveRow,
): Promise<SelectQueryBuilder<DB, "Unit" | "Membership", { personId: number }>> {
  const [lo, hi] = subtreeRange((await getUnit(db, directive.unitId)).path);
  return audienceIn(db, lo, hi, directive.organisationId);
}

function audienceIn(
  db: Database,
  lo: string,
  hi: string,
  organisationId: number | null,
): SelectQueryBuilder<DB, "Unit" | "Membership", { personId: number }> {
  let q = db.kysely
    .selectFrom("Unit")
    .innerJoin("Membership", "Membership.unitId", "Unit.id")
    .select("Membership.personId")
    .distinct()
    .where("Unit.path", ">=", lo)
    .where("Unit.path", "<", hi);
  if (organisationId != null) q = q.where("Unit.organisationId", "=", organisationId);
  return q;
}

/**
 * Ids of the people a directive goes to, ascending: everyone with a membership (any role) in the
 * unit's subtree, only in that organisation's units when the directive names one. Throws not_found.
 */
export async function directiveAudience(db: Database, directiveId: number): Promise<number[]> {
  const audience = await audienceQuery(db, await getDirective(db, directiveId));
  return (await audience.orderBy("Membership.personId").execute()).map((r) => r.personId);
}

/** 1 when `condition`, else 0: summed to count rows (PostgreSQL cannot sum booleans). */
const oneIf = (condition: RawBuilder<unknown>) => sql<number>`CASE WHEN ${condition} THEN 1 ELSE 0 END`;

/**
 * How many people a directive would reach and how many of them have no reachable linked account,
 * counted in SQL (for the preview before sending; `directiveAudience` lists the ids). Throws not_found.
 */
export async function directiveAudienceCounts(
  db: Database,
  directiveId: number,
): Promise<{ total: number; notLinked: number }> {
  const audience = await audienceQuery(db, await getDirective(db, directiveId));
  const row = await db.kysely
    .selectFrom(audience.as("p"))
    .select((eb) => [
      eb.fn.countAll<number>().as("total"),
      eb.fn
        .coalesce(
          eb.fn.sum<number>(
            eb
              .case()
              .when(
                eb.not(
                  eb.exists(
                    eb
                      .selectFrom("ChatAccount as c")
                      .select("c.id")
                      .whereRef("c.personId", "=", "p.personId")
                      .where("c.unreachable", "=", false),
                  ),
                ),
              )
              .then(1)
              .else(0)
              .end(),
          ),
          eb.lit(0),
        )
        .as("notLinked"),
    ])
    .executeTakeFirstOrThrow();
  return { total: Number(row.total), notLinked: Number(row.notLinked) };
}

/**
 * How many people a directive reaches in each direct sub-unit of its unit (people in that
 * sub-unit's subtree, in the directive's organisation when it names one), largest first, for the
 * preview; `direct` counts those with a membership in the unit itself. Throws not_found.
 */
export async function directiveAudienceByUnit(
  db: Database,
  directiveId: number,
): Promise<{ direct: number; units: { unitId: number; name: string; total: number }[] }> {
  const directive = await getDirective(db, directiveId);
  const children = await db.kysely
    .selectFrom("Unit")
    .select(["id", "name", "path"])
    .where("parentId", "=", directive.unitId)
    .orderBy("name")
    .orderBy("id")
    .execute();
  const countPeople = async (q: SelectQueryBuilder<DB, "Unit" | "Membership", { personId: number }>) =>
    Number(
      (
        await db.kysely
          .selectFrom(q.as("p"))
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const units = (
    await Promise.all(
      children.map(async (child) => {
        const [lo, hi] = subtreeRange(child.path);
        return {
          unitId: child.id,
          name: child.name,
          total: await countPeople(audienceIn(db, lo, hi, directive.organisationId)),
        };
      }),
    )
  )
    .filter((u) => u.total > 0)
    .sort((a, b) => b.total - a.total || a.name.localeCompare(b.name));
  let direct = db.kysely
    .selectFrom("Unit")
    .innerJoin("Membership", "Membership.unitId", "Unit.id")
    .select("Membership.personId")
    .distinct()
    .where("Unit.id", "=", directive.unitId);
  if (directive.organisationId != null) direct = direct.where("Unit.organisationId", "=", directive.organisationId);
  return { direct: await countPeople(direct), units };
}

/**
 * The account `deliveryAccount()` picks, as a correlated subquery on the person column `person`
 * (a reference such as "p.personId"). Keep in step with account-service.
 */
export function deliveryAccountOf(db: Database, person: RawBuilder<number>) {
  return db.kysely
    .selectFrom("ChatAccount as c")
    .select("c.id")
    .where(sql<boolean>`${sql.ref("c.personId")} = ${person}`)
    .where("c.unreachable", "=", false)
    .orderBy("c.preferred", "desc")
    .orderBy(sql`CASE ${sql.ref("c.platform")} WHEN 'web' THEN 1 ELSE 0 END`)
    .orderBy("c.linkedAt")
    .limit(1);
}

/**
 * The "Đã đọc" button of a directive. A draft not stored yet (the composer's preview uses id 0)
 * gets the label only: its button is shown, never sent.
 */
export function readChoice(directiveId: number, locale: Locale | string): { label: string; payload: string } {
  return {
    label: translator(locale)("directives.read_button"),
    payload: directiveId > 0 ? encodePayload({ kind: "read", directiveId }) : "",
  };
}

/** The member-facing text of a directive (also shown again by /vanban). */
export function renderDirectiveText(directive: DirectiveRow, locale: Locale | string): string {
  const t = translator(locale);
  return t("directives.message", {
    kind: t(`directives.kind.${directive.kind}`),
    number: directive.number ? t("directives.number_part", { number: directive.number }) : "",
    issuer: directive.issuer ? t("directives.issuer_part", { issuer: directive.issuer }) : "",
    title: directive.title,
    summary: directive.summary,
    link: directive.link ? t("directives.link_part", { link: directive.link }) : "",
    hint: t("directives.read_hint"),
  });
}

/** The outbox body of a directive copy (or of its reminder) in one language. */
export function directiveBody(directive: DirectiveRow, locale: Locale, reminder = false): OutboxBody {
  const text = renderDirectiveText(directive, locale);
  return {
    text: reminder ? translator(locale)("directives.reminder", { text }) : text,
    choices: [readChoice(directive.id, locale)],
    locale,
  };
}

/** Outbox dedupe keys of a directive's copies: "directive:<id>:p:<personId>". */
export const directiveDedupePrefix = (directiveId: number) => `directive:${directiveId}:p:`;
/** Setting holding whom progress is reported to and the last reported numbers. */
export const progressSettingKey = (directiveId: number) => `directive.progress.${directiveId}`;

export interface SendResult {
  /** People in the audience. */
  total: number;
  /** Copies queued for a linked, reachable account. */
  queued: number;
  /** People without a reachable linked account (recorded, not sent). */
  notLinked: number;
}

/**
 * Queues one copy of a directive (or of its reminder, `reminder`) per recipient row (personId and
 * the accountId to send to; rows without an account are left out), in the person's language,
 * with the "Đã đọc" button, broadcast priority and dedupe key `prefix` + personId (copies already
 * queued are kept). Returns how many were queued.
 */
export async function queueCopies<QDB, QTB extends keyof QDB>(
  db: Database,
  recipients: SelectQueryBuilder<QDB, QTB, { personId: number; accountId: number | null }>,
  directive: DirectiveRow,
  options: { prefix: string; now: number; reminder: boolean },
): Promise<number> {
  // The text once per language, shared by the copies (not 1 KB written into each of 100,000).
  const [vi, en] = await storeSharedBodies(
    db,
    [directiveBody(directive, "vi", options.reminder), directiveBody(directive, "en", options.reminder)],
    new Date(options.now),
  );
  const inserted = await db.kysely
    .insertInto("Outbox")
    .columns([
      "platform",
      "chatId",
      "chatType",
      "chatAccountId",
      "personId",
      "priority",
      "bodyId",
      "entityType",
      "entityId",
      "dedupeKey",
      "status",
      "attempts",
      "notBefore",
      "ord",
      "createdAt",
    ])
    .expression(
      db.kysely
        .selectFrom(recipients.as("r"))
        .innerJoin("ChatAccount as c", "c.id", "r.accountId")
        .innerJoin("Person as p", "p.id", "r.personId")
        .select((e) => [
          "c.platform",
          "c.externalId",
          sql<string>`'private'`.as("chatType"),
          "c.id",
          "r.personId",
          typedValue(priorities.broadcast, "integer").as("priority"),
          e
            .case()
            .when("p.locale", "=", "en")
            .then(typedValue(en!, "integer"))
            .else(typedValue(vi!, "integer"))
            .end()
            .as("bodyId"),
          sql<string>`'Directive'`.as("entityType"),
          typedValue(directive.id, "integer").as("entityId"),
          sql<string>`${typedValue(options.prefix, "text")} || CAST(${sql.ref("r.personId")} AS TEXT)`.as("dedupeKey"),
          sql<string>`'pending'`.as("status"),
          sql<number>`0`.as("attempts"),
          typedValue(options.now, "bigint").as("notBefore"),
          // Spaced from now in the order inserted (ids rise in the same order).
          sql<number>`${typedValue(options.now, "bigint")} + ${typedValue(fairOrderSpacingMs, "bigint")} * (ROW_NUMBER() OVER () - 1)`.as(
            "ord",
          ),
          typedValue(options.now, "bigint").as("createdAt"),
        ])
        .where(sql<boolean>`true`), // SQLite: a WHERE before ON CONFLICT, or ON reads as a join's
    )
    .onConflict((oc) => oc.column("dedupeKey").doNothing())
    .executeTakeFirst();
  const queued = Number(inserted.numInsertedOrUpdatedRows ?? 0n);
  // Nobody to send to (or every copy queued already): the texts stored for them serve no copy.
  if (!queued) await db.kysely.deleteFrom("OutboxBody").where("id", "in", [vi!, en!]).execute();
  return queued;
}

/**
 * Opens the one-tap question `kind` with `data` on the account of every selected row (column
 * chatAccountId), unless the person is in the middle of a flow (`protectedQuestionKinds`) that
 * has not expired: set-based, for broadcasts.
 */
export async function offerQuestionToMany<QDB, QTB extends keyof QDB>(
  db: Database,
  {
    accounts,
    kind,
    data,
    expiresAt,
    now,
  }: {
    accounts: SelectQueryBuilder<QDB, QTB, { chatAccountId: number | null }>;
    kind: string;
    data: Record<string, unknown>;
    expiresAt: number;
    now: number;
  },
): Promise<void> {
  await db.kysely
    .insertInto("ConversationState")
    .columns(["chatAccountId", "kind", "data", "expiresAt", "updatedAt"])
    .expression(
      db.kysely
        .selectFrom(accounts.as("a"))
        .select([
          "a.chatAccountId",
          typedValue(kind, "text").as("kind"),
          typedValue(JSON.stringify(data), "text").as("data"),
          typedValue(expiresAt, "bigint").as("expiresAt"),
          typedValue(now, "bigint").as("updatedAt"),
        ])
        .where("a.chatAccountId", "is not", null),
    )
    .onConflict((oc) =>
      oc
        .column("chatAccountId")
        .doUpdateSet((eb) => ({
          kind: eb.ref("excluded.kind"),
          data: eb.ref("excluded.data"),
          expiresAt: eb.ref("excluded.expiresAt"),
          updatedAt: eb.ref("excluded.updatedAt"),
        }))
        .where((eb) =>
          eb.or([
            eb("ConversationState.expiresAt", "<=", eb.ref("excluded.updatedAt")),
            eb("ConversationState.kind", "not in", protectedQuestionKinds),
          ]),
        ),
    )
    .execute();
}

/**
 * Sends a draft to its audience, in one transaction: a DirectiveDelivery per person (queued with
 * the account and outbox row, or not_linked), an Outbox copy with the "Đã đọc" button in each
 * person's language (broadcast priority, dedupe key directive:<id>:p:<personId>), the "directive"
 * question on each account, then status "sending" and two jobs: progress reports to the sender
 * (directive_progress, in 60 s) and the reminder (directive_reminder, after reminderDays).
 * Throws not_found, forbidden unless `byPersonId` may send directives to the unit, conflict when
 * it is not a draft any more.
 */
export async function sendDirective(
  db: Database,
  directiveId: number,
  ctx: { now: Date; byPersonId: number; senderAccountId?: number | null; source?: AuditSource },
): Promise<SendResult> {
  const now = ctx.now.getTime();
  return await db.transaction(async () => {
    const directive = await getDirective(db, directiveId);
    await assertCan(db, ctx.byPersonId, "send_directives", directive.unitId);
    if (directive.status !== "draft") throw new AppError("conflict", { what: `#${directive.id}` });
    const audience = await audienceQuery(db, directive);

    await db.kysely
      .insertInto("DirectiveDelivery")
      .columns(["directiveId", "personId", "chatAccountId", "status"])
      .expression(
        (eb) =>
          eb
            .selectFrom(
              eb
                .selectFrom(audience.as("p"))
                .select((e) => ["p.personId", deliveryAccountOf(db, sql.ref("p.personId")).as("accountId")])
                .as("a"),
            )
            .select((e) => [
              typedValue(directive.id, "integer").as("directiveId"),
              "a.personId",
              "a.accountId",
              e.case().when("a.accountId", "is", null).then("not_linked").else("queued").end().as("status"),
            ])
            .where(sql<boolean>`true`), // SQLite: a WHERE before ON CONFLICT, or ON reads as a join's
      )
      .onConflict((oc) => oc.columns(["directiveId", "personId"]).doNothing())
      .execute();
    const prefix = directiveDedupePrefix(directive.id);
    const queued = await queueCopies(
      db,
      db.kysely
        .selectFrom("DirectiveDelivery as d")
        .select(["d.personId", "d.chatAccountId as accountId"])
        .where("d.directiveId", "=", directive.id)
        .where("d.status", "=", "queued"),
      directive,
      { prefix, now, reminder: false },
    );
    await db.kysely
      .updateTable("DirectiveDelivery")
      .set((eb) => ({
        outboxId: eb
          .selectFrom("Outbox as o")
          .select("o.id")
          .where(
            sql<boolean>`${sql.ref("o.dedupeKey")} = ${typedValue(prefix, "text")} || CAST(${sql.ref("DirectiveDelivery.personId")} AS TEXT)`,
          ),
      }))
      .where("directiveId", "=", directive.id)
      .where("status", "=", "queued")
      .execute();
    await offerQuestionToMany(db, {
      accounts: db.kysely
        .selectFrom("DirectiveDelivery as d")
        .select("d.chatAccountId")
        .where("d.directiveId", "=", directive.id)
        .where("d.status", "=", "queued"),
      kind: "directive",
      data: { directiveId: directive.id, choices: [encodePayload({ kind: "read", directiveId: directive.id })] },
      expiresAt: now + (directive.reminderDays + 7) * DAY_MS,
      now,
    });
    const counts = await db.kysely
      .selectFrom("DirectiveDelivery")
      .select((eb) => [
        eb.fn.countAll<number>().as("total"),
        eb.fn.coalesce(eb.fn.sum<number>(oneIf(sql`${sql.ref("status")} = 'not_linked'`)), eb.lit(0)).as("notLinked"),
      ])
      .where("directiveId", "=", directive.id)
      .executeTakeFirstOrThrow();
    const total = Number(counts.total);
    const notLinked = Number(counts.notLinked);

    await db.kysely
      .updateTable("Directive")
      .set({ status: "sending", sentAt: now })
      .where("id", "=", directive.id)
      .execute();
    await scheduleJob(db, {
      kind: "directive_progress",
      directiveId: directive.id,
      dueAt: now + progressFirstDelayMs,
      dedupeKey: `directive_progress:${directive.id}:1`,
      expiresAt: null,
      now,
    });
    const reminderAt = now + directive.reminderDays * DAY_MS;
    await scheduleJob(db, {
      kind: "directive_reminder",
      directiveId: directive.id,
      dueAt: reminderAt,
      dedupeKey: `directive_reminder:${directive.id}`,
      expiresAt: reminderAt + 2 * DAY_MS,
      now,
    });
    // Who hears about progress: the sender, on the account they sent from when it is theirs.
    const senderAccount =
      ctx.senderAccountId != null
        ? ((
            await db.kysely
              .selectFrom("ChatAccount")
              .select("id")
              .where("id", "=", ctx.senderAccountId)
              .where("personId", "=", ctx.byPersonId)
              .executeTakeFirst()
          )?.id ?? null)
        : null;
    await writeSetting(
      db,
      progressSettingKey(directive.id),
      JSON.stringify({ personId: ctx.byPersonId, accountId: senderAccount, sent: 0, total }),
      now,
    );
    await recordAudit(
      db,
      {
        actorPersonId: ctx.byPersonId,
        source: ctx.source ?? "chat",
        action: "directive.send",
        entityType: "Directive",
        entityId: directive.id,
        detail: { total, queued, notLinked },
      },
      ctx.now,
    );
    return { total, queued, notLinked };
  });
}

/** Adds a ScheduledJob about a directive (a no-op when its dedupe key exists). */
export async function scheduleJob(
  db: Database,
  {
    kind,
    directiveId,
    dueAt,
    dedupeKey,
    expiresAt,
    now,
  }: { kind: string; directiveId: number; dueAt: number; dedupeKey: string; expiresAt: number | null; now: number },
): Promise<void> {
  await db.kysely
    .insertInto("ScheduledJob")
    .values({
      kind,
      entityType: "Directive",
      entityId: directiveId,
      dueAt,
      expiresAt,
      status: "pending",
      dedupeKey,
      createdAt: now,
    })
    .onConflict((oc) => oc.column("dedupeKey").doNothing())
    .execute();
}

/** Upserts a Setting row. */
export async function writeSetting(db: Database, key: string, value: string, now: number): Promise<void> {
  await db.kysely
    .insertInto("Setting")
    .values({ key, value, updatedAt: now })
    .onConflict((oc) =>
      oc
        .column("key")
        .doUpdateSet((eb) => ({ value: eb.ref("excluded.value"), updatedAt: eb.ref("excluded.updatedAt") })),
    )
    .execute();
}

/** A Setting value, or undefined. */
export async function readSetting(db: Database, key: string): Promise<string | undefined> {
  return (await db.kysely.selectFrom("Setting").select("value").where("key", "=", key).executeTakeFirst())?.value;
}

/** Outbox copies re-queued to another account of the person of delivery `d` ("<key>:fallback:<accountId>"), byte order on both engines. */
function fallbackRange(engine: Engine): RawBuilder<boolean> {
  const key = sql`'directive:' || CAST(${sql.ref("d.directiveId")} AS TEXT) || ':p:' || CAST(${sql.ref("d.personId")} AS TEXT)`;
  const column = engine === "postgresql" ? sql`${sql.ref("f.dedupeKey")} COLLATE "C"` : sql.ref("f.dedupeKey");
  return sql<boolean>`(${column} >= ${key} || ':fallback:' AND ${column} < ${key} || ':fallback;')`;
}

/**
 * What happened to one person's copy, as SQL over `d` (DirectiveDelivery) left-joined with `o` (its
 * Outbox row): not_linked | queued | sent | unreachable | failed. When the account was unreachable,
 * the delivery engine re-queued the copy to another account of the person (dedupe key
 * "<key>:fallback:<accountId>"), so the best of those counts.
 */
export function effectiveDeliveryStatusOf(engine: Engine): RawBuilder<string> {
  return sql<string>`CASE
  WHEN ${sql.ref("d.status")} = 'not_linked' THEN 'not_linked'
  WHEN ${sql.ref("o.status")} = 'sent' THEN 'sent'
  WHEN ${sql.ref("o.status")} IN ('pending', 'sending') THEN 'queued'
  WHEN ${sql.ref("o.status")} = 'unreachable' THEN COALESCE(
    (SELECT CASE MAX(CASE ${sql.ref("f.status")} WHEN 'sent' THEN 3 WHEN 'pending' THEN 2 WHEN 'sending' THEN 2 ELSE 1 END) WHEN 3 THEN 'sent' WHEN 2 THEN 'queued' END
     FROM ${sql.table("Outbox")} f WHERE ${fallbackRange(engine)}),
    'unreachable')
  ELSE 'failed' END`;
}

/**
 * Records the outcome of finished copies in DirectiveDelivery (status sent with sentAt, or
 * unreachable for copies that could not be delivered, permanent failures included), so that read
 * rates need not consult the outbox. Run by the progress and reminder jobs; copies still waiting
 * stay "queued".
 */
export async function recordDeliveryOutcomes(db: Database, directiveId: number): Promise<void> {
  const outcomes = db.kysely
    .selectFrom("DirectiveDelivery as d")
    .leftJoin("Outbox as o", "o.id", "d.outboxId")
    .select([
      "d.id as deliveryId",
      sql<string>`CASE ${effectiveDeliveryStatusOf(db.engine)} WHEN 'sent' THEN 'sent' WHEN 'queued' THEN 'queued' ELSE 'unreachable' END`.as(
        "s",
      ),
      sql<
        number | null
      >`COALESCE(${sql.ref("o.sentAt")}, (SELECT MAX(${sql.ref("f.sentAt")}) FROM ${sql.table("Outbox")} f WHERE ${fallbackRange(db.engine)}))`.as(
        "sentAt",
      ),
    ])
    .where("d.directiveId", "=", directiveId)
    .where("d.status", "=", "queued");
  await db.kysely
    .updateTable("DirectiveDelivery")
    .from(outcomes.as("x"))
    .set((eb) => ({ status: eb.ref("x.s"), sentAt: eb.ref("x.sentAt") }))
    .whereRef("DirectiveDelivery.id", "=", "x.deliveryId")
    .where("x.s", "!=", "queued")
    .execute();
}

export interface DirectiveProgress {
  /** People in the audience. */
  total: number;
  /** Copies still waiting in the outbox. */
  queued: number;
  sent: number;
  unreachable: number;
  failed: number;
  notLinked: number;
  /** People who confirmed "Đã đọc". */
  read: number;
  /** Nothing is waiting any more. */
  done: boolean;
}

/** Where the copies of a directive are, from its deliveries and their outbox rows. Throws not_found. */
export async function directiveProgress(db: Database, directiveId: number): Promise<DirectiveProgress> {
  await getDirective(db, directiveId);
  // Copies recorded as sent need no outbox row (they are large: read them only when needed).
  const perCopy = db.kysely
    .selectFrom("DirectiveDelivery as d")
    .select((eb) => [
      sql<string | null>`CASE ${sql.ref("d.status")} WHEN 'not_linked' THEN 'not_linked' WHEN 'sent' THEN 'sent'
        ELSE (${eb.selectFrom("Outbox as o").select(effectiveDeliveryStatusOf(db.engine).as("s")).whereRef("o.id", "=", "d.outboxId")}) END`.as(
        "s",
      ),
      oneIf(sql`${sql.ref("d.readAt")} IS NOT NULL`).as("r"),
    ])
    .where("d.directiveId", "=", directiveId);
  const rows = await db.kysely
    .selectFrom(perCopy.as("x"))
    .select((eb) => ["x.s", eb.fn.countAll<number>().as("n"), eb.fn.sum<number>("x.r").as("read")])
    .groupBy("x.s")
    .execute();
  const p: DirectiveProgress = {
    total: 0,
    queued: 0,
    sent: 0,
    unreachable: 0,
    failed: 0,
    notLinked: 0,
    read: 0,
    done: true,
  };
  for (const { s: status, n: count, read: readCount } of rows) {
    const n = Number(count);
    p.total += n;
    p.read += Number(readCount);
    if (status === "not_linked") p.notLinked += n;
    else if (status === "sent" || status === "queued" || status === "unreachable") p[status] += n;
    else p.failed += n; // failed, or its outbox row is gone
  }
  p.done = p.queued === 0;
  return p;
}

/**
 * Records that a person read a directive (first time only). Throws not_found when the person was
 * not sent it.
 */
export async function markRead(
  db: Database,
  {
    directiveId,
    personId,
    viaAccountId,
    now,
  }: { directiveId: number; personId: number; viaAccountId: number | null; now: Date },
): Promise<{ alreadyRead: boolean }> {
  return await db.transaction(async () => {
    const row = await db.kysely
      .selectFrom("DirectiveDelivery")
      .select("readAt")
      .where("directiveId", "=", directiveId)
      .where("personId", "=", personId)
      .executeTakeFirst();
    if (!row) throw new AppError("not_found", { what: "directive" });
    if (row.readAt !== null) return { alreadyRead: true };
    await db.kysely
      .updateTable("DirectiveDelivery")
      .set({ readAt: now.getTime(), readViaAccountId: viaAccountId })
      .where("directiveId", "=", directiveId)
      .where("personId", "=", personId)
      .execute();
    return { alreadyRead: false };
  });
}

/** The directives sent to a person, newest first, with when they read each (null: not yet). */
export async function listRecentDirectives(
  db: Database,
  personId: number,
  limit = 5,
): Promise<(DirectiveRow & { readAt: number | null })[]> {
  const rows = await db.kysely
    .selectFrom("DirectiveDelivery as d")
    .innerJoin("Directive as x", "x.id", "d.directiveId")
    .select([...directiveColumns.map((c) => `x.${c}` as const), "d.readAt"])
    .where("d.personId", "=", personId)
    .where("x.status", "!=", "draft")
    .orderBy("x.sentAt", "desc")
    .orderBy("x.id", "desc")
    .limit(Math.max(0, Math.floor(limit)))
    .execute();
  return rows.map(toDirectiveRow);
}

/**
 * The same status as SQL text over `d` and `o`, for the modules not yet on the typed data layer
 * (SQLite only). Remove once read-rates and directive-jobs use `effectiveDeliveryStatusOf`.
 */
export const effectiveDeliveryStatus = `CASE
  WHEN d.status = 'not_linked' THEN 'not_linked'
  WHEN o.status = 'sent' THEN 'sent'
  WHEN o.status IN ('pending', 'sending') THEN 'queued'
  WHEN o.status = 'unreachable' THEN COALESCE(
    (SELECT CASE MAX(CASE f.status WHEN 'sent' THEN 3 WHEN 'pending' THEN 2 WHEN 'sending' THEN 2 ELSE 1 END) WHEN 3 THEN 'sent' WHEN 2 THEN 'queued' END
     FROM Outbox f WHERE f.dedupeKey >= 'directive:' || d.directiveId || ':p:' || d.personId || ':fallback:'
                     AND f.dedupeKey < 'directive:' || d.directiveId || ':p:' || d.personId || ':fallback;'),
    'unreachable')
  ELSE 'failed' END`;
