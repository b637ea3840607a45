/**
 * Directives (văn bản): a condensed summary of a resolution, directive, plan, notice or guidance,
 * posted by a cadre or official to their unit's subtree. Members confirm "Đã đọc"; non-readers get
 * one reminder; read rates roll up the tree (read-rates.ts).
 *
 * Sending is set-based SQL inside one transaction: the audience is never loaded into JavaScript, so
 * queueing 100,000 copies costs a few seconds and no memory beyond SQLite's page cache.
 */
import type { Database } from "../../storage/database.ts";
import { upsertQuestionTail } from "../conversation-state.ts";
import { AppError } from "../../lib/app-error.ts";
import { translator, type Locale } from "../../lib/i18n.ts";
import { tidyText } from "../../lib/vietnamese.ts";
import { assertCan } from "../access/access-scope.ts";
import { recordAudit, type AuditSource } from "../audit/audit-service.ts";
import { priorities, type OutboxBody } from "../deliveries/outbox-service.ts";
import { getUnit, subtreeRange } from "../units/unit-service.ts";

/** Nghị quyết, chỉ thị, kế hoạch, thông báo, hướng dẫn. */
export const directiveKinds = ["nghi_quyet", "chi_thi", "ke_hoach", "thong_bao", "huong_dan"] as const;
export type DirectiveKind = (typeof directiveKinds)[number];

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

const directiveColumns = `id, unitId, organisationId, kind, number, issuer, title, summary, link, status, reminderDays, createdById, createdAt, sentAt`;

/** True for one of `directiveKinds`. */
export function isDirectiveKind(value: unknown): value is DirectiveKind {
  return typeof value === "string" && (directiveKinds as readonly string[]).includes(value);
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
  if (!numberChars.test(value) || !/\p{Nd}/u.test(value) || value.length > numberMaxLength || /^[-/.]|[-/]$/.test(value))
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
  if ((url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname) throw new AppError("invalid_input", { field: "link" });
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
  if (summary.length > summaryMaxLength) throw new AppError("directive_summary_too_long", { length: summary.length, max: summaryMaxLength });
  const number = normaliseDirectiveNumber(input.number ?? "");
  const issuer = tidyText(input.issuer ?? "");
  if (issuer.length > issuerMaxLength) throw new AppError("invalid_input", { field: "issuer", max: issuerMaxLength });
  const link = cleanLink(input.link);
  const reminderDays = input.reminderDays ?? defaultReminderDays;
  if (!Number.isInteger(reminderDays) || reminderDays < 1 || reminderDays > maxReminderDays)
    throw new AppError("invalid_input", { field: "reminderDays" });
  return { kind: input.kind, number, issuer, title, summary, link, reminderDays, warnings: summary.length > summaryWarnLength ? ["summary_long"] : [] };
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
export function tidyDirective(input: DirectiveInput): Pick<DirectiveRow, "kind" | "number" | "issuer" | "title" | "summary" | "link" | "reminderDays"> & { warnings: "summary_long"[] } {
  return cleanDirective(input);
}

/**
 * Stores a draft. Throws what `validateDirective` throws, unit_not_found, forbidden unless the
 * creator may send directives to the unit, invalid_input ({ field: "organisationId" }) when the
 * organisation has no unit in the subtree.
 */
export async function createDirective(db: Database, input: DirectiveInput, now: Date): Promise<DirectiveRow & { warnings: string[] }> {
  const clean = cleanDirective(input);
  return await db.transaction(async () => {
    const unit = await getUnit(db, input.unitId);
    await assertCan(db, input.createdById, "send_directives", unit.id);
    const organisationId = input.organisationId ?? null;
    if (organisationId !== null && organisationId !== unit.organisationId) {
      const [lo, hi] = subtreeRange(unit.path);
      if (!await db.sql.get(`SELECT 1 FROM Unit WHERE path >= ? AND path < ? AND organisationId = ? LIMIT 1`, lo, hi, organisationId))
        throw new AppError("invalid_input", { field: "organisationId" });
    }
    const id = (await db.sql.run(
      `INSERT INTO Directive (unitId, organisationId, kind, number, issuer, title, summary, link, status, reminderDays, createdById, createdAt)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?)`,
      unit.id, organisationId, clean.kind, clean.number, clean.issuer, clean.title, clean.summary, clean.link, clean.reminderDays,
      input.createdById, now.getTime(),
    )).lastInsertRowid;
    await recordAudit(db, { actorPersonId: input.createdById, source: input.source ?? "chat", action: "directive.create", entityType: "Directive", entityId: id, detail: { unitId: unit.id, kind: clean.kind } }, now);
    return { ...await getDirective(db, id), warnings: clean.warnings };
  });
}

/** Returns a directive. Throws not_found. */
export async function getDirective(db: Database, id: number): Promise<DirectiveRow> {
  const row = await db.sql.get<DirectiveRow>(`SELECT ${directiveColumns} FROM Directive WHERE id = ?`, id);
  if (!row) throw new AppError("not_found", { what: "directive" });
  return row;
}

/** The audience query's FROM/WHERE: distinct people with a membership in the subtree. */
async function audienceSource(db: Database, directive: DirectiveRow): Promise<[string, unknown[]]> {
  const [lo, hi] = subtreeRange((await getUnit(db, directive.unitId)).path);
  const org = directive.organisationId != null ? ` AND u.organisationId = ?` : ``;
  const params: unknown[] = directive.organisationId != null ? [lo, hi, directive.organisationId] : [lo, hi];
  return [`SELECT DISTINCT m.personId FROM Unit u JOIN Membership m ON m.unitId = u.id WHERE u.path >= ? AND u.path < ?${org}`, params];
}

/**
 * Ids of the people a directive goes to, ascending: everyone with a membership (any role) in the
 * unit's subtree, only in that organisation's units when the directive names one. Throws not_found.
 */
export async function directiveAudience(db: Database, directiveId: number): Promise<number[]> {
  const [source, params] = await audienceSource(db, await getDirective(db, directiveId));
  return (await db.sql.raw<[number]>(`${source} ORDER BY m.personId`, ...params)).map((r) => r[0]);
}

/**
 * How many people a directive would reach and how many of them have no reachable linked account,
 * counted in SQL (for the preview before sending; `directiveAudience` lists the ids). Throws not_found.
 */
export async function directiveAudienceCounts(db: Database, directiveId: number): Promise<{ total: number; notLinked: number }> {
  const [source, params] = await audienceSource(db, await getDirective(db, directiveId));
  return (await db.sql.get<{ total: number; notLinked: number }>(
    `SELECT COUNT(*) AS total, COALESCE(SUM(NOT EXISTS (SELECT 1 FROM ChatAccount c WHERE c.personId = p.personId AND c.unreachable = 0)), 0) AS notLinked
     FROM (${source}) p`,
    ...params,
  ))!;
}

/**
 * How many people a directive reaches in each direct sub-unit of its unit (people in that
 * sub-unit's subtree, in the directive's organisation when it names one), largest first, for the
 * preview; `direct` counts those with a membership in the unit itself. Throws not_found.
 */
export async function directiveAudienceByUnit(db: Database, directiveId: number): Promise<{ direct: number; units: { unitId: number; name: string; total: number }[] }> {
  const directive = await getDirective(db, directiveId);
  const org = directive.organisationId != null ? ` AND u.organisationId = ?` : ``;
  const orgParams: unknown[] = directive.organisationId != null ? [directive.organisationId] : [];
  const children = await db.sql.all<{ id: number; name: string; path: string }>(`SELECT id, name, path FROM Unit WHERE parentId = ? ORDER BY name, id`, directive.unitId);
  const units = (
    await Promise.all(children.map(async (child) => {
      const [lo, hi] = subtreeRange(child.path);
      const total = (await db.sql.get<{ n: number }>(
        `SELECT COUNT(DISTINCT m.personId) AS n FROM Unit u JOIN Membership m ON m.unitId = u.id WHERE u.path >= ? AND u.path < ?${org}`,
        lo, hi, ...orgParams,
      ))!.n;
      return { unitId: child.id, name: child.name, total };
    }))
  )
    .filter((u) => u.total > 0)
    .sort((a, b) => b.total - a.total || a.name.localeCompare(b.name));
  const direct = (await db.sql.get<{ n: number }>(
    `SELECT COUNT(DISTINCT m.personId) AS n FROM Unit u JOIN Membership m ON m.unitId = u.id WHERE u.id = ?${org}`,
    directive.unitId, ...orgParams,
  ))!.n;
  return { direct, units };
}

/** The account `deliveryAccount()` picks, as a correlated subquery on `personExpr`. Keep in step. */
const deliveryAccountSubquery = (personExpr: string) =>
  `(SELECT c.id FROM ChatAccount c WHERE c.personId = ${personExpr} AND c.unreachable = 0
    ORDER BY c.preferred DESC, CASE c.platform WHEN 'web' THEN 1 ELSE 0 END, c.linkedAt LIMIT 1)`;

/** The "Đã đọc" button of a directive. */
export function readChoice(directiveId: number, locale: Locale | string): { label: string; payload: string } {
  return { label: translator(locale)("directives.read_button"), payload: `read:${directiveId}` };
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
    const [source, params] = await audienceSource(db, directive);

    await db.sql.run(
      `INSERT INTO DirectiveDelivery (directiveId, personId, chatAccountId, status)
       SELECT ?, a.personId, a.accountId, CASE WHEN a.accountId IS NULL THEN 'not_linked' ELSE 'queued' END
       FROM (SELECT p.personId, ${deliveryAccountSubquery("p.personId")} AS accountId FROM (${source}) p) a
       WHERE true ON CONFLICT (directiveId, personId) DO NOTHING`,
      directive.id, ...params,
    );
    const bodies = { vi: JSON.stringify(directiveBody(directive, "vi")), en: JSON.stringify(directiveBody(directive, "en")) };
    const prefix = directiveDedupePrefix(directive.id);
    const queued = (await db.sql.run(
      `INSERT INTO Outbox (platform, chatId, chatType, chatAccountId, personId, priority, body, entityType, entityId, dedupeKey, status, attempts, notBefore, createdAt)
       SELECT c.platform, c.externalId, 'private', c.id, d.personId, ?, CASE p.locale WHEN 'en' THEN ? ELSE ? END, 'Directive', d.directiveId,
              ? || d.personId, 'pending', 0, ?, ?
       FROM DirectiveDelivery d JOIN ChatAccount c ON c.id = d.chatAccountId JOIN Person p ON p.id = d.personId
       WHERE d.directiveId = ? AND d.status = 'queued'
       ON CONFLICT (dedupeKey) DO NOTHING`,
      priorities.broadcast, bodies.en, bodies.vi, prefix, now, now, directive.id,
    )).changes;
    await db.sql.run(
      `UPDATE DirectiveDelivery SET outboxId = (SELECT o.id FROM Outbox o WHERE o.dedupeKey = ? || DirectiveDelivery.personId)
       WHERE directiveId = ? AND status = 'queued'`,
      prefix, directive.id,
    );
    const question = JSON.stringify({ directiveId: directive.id, choices: [`read:${directive.id}`] });
    await db.sql.run(
      `INSERT INTO ConversationState (chatAccountId, kind, data, expiresAt, updatedAt)
       SELECT d.chatAccountId, 'directive', ?, ?, ? FROM DirectiveDelivery d WHERE d.directiveId = ? AND d.status = 'queued'
       ${upsertQuestionTail}`,
      question, now + (directive.reminderDays + 7) * DAY_MS, now, directive.id,
    );
    const counts = (await db.sql.get<{ total: number; notLinked: number }>(
      `SELECT COUNT(*) AS total, COALESCE(SUM(status = 'not_linked'), 0) AS notLinked FROM DirectiveDelivery WHERE directiveId = ?`,
      directive.id,
    ))!;

    await db.sql.run(`UPDATE Directive SET status = 'sending', sentAt = ? WHERE id = ?`, now, directive.id);
    await scheduleJob(db, "directive_progress", directive.id, now + progressFirstDelayMs, `directive_progress:${directive.id}:1`, null, now);
    const reminderAt = now + directive.reminderDays * DAY_MS;
    await scheduleJob(db, "directive_reminder", directive.id, reminderAt, `directive_reminder:${directive.id}`, reminderAt + 2 * DAY_MS, now);
    // Who hears about progress: the sender, on the account they sent from when it is theirs.
    const senderAccount =
      ctx.senderAccountId != null
        ? (await db.sql.get<{ id: number }>(`SELECT id FROM ChatAccount WHERE id = ? AND personId = ?`, ctx.senderAccountId, ctx.byPersonId))?.id ?? null
        : null;
    await writeSetting(db, progressSettingKey(directive.id), JSON.stringify({ personId: ctx.byPersonId, accountId: senderAccount, sent: 0, total: counts.total }), now);
    await recordAudit(db, { actorPersonId: ctx.byPersonId, source: ctx.source ?? "chat", action: "directive.send", entityType: "Directive", entityId: directive.id, detail: { total: counts.total, queued, notLinked: counts.notLinked } }, ctx.now);
    return { total: counts.total, queued, notLinked: counts.notLinked };
  });
}

/** Adds a ScheduledJob about a directive (a no-op when its dedupe key exists). */
export async function scheduleJob(db: Database, kind: string, directiveId: number, dueAt: number, dedupeKey: string, expiresAt: number | null, now: number): Promise<void> {
  await db.sql.run(
    `INSERT INTO ScheduledJob (kind, entityType, entityId, dueAt, expiresAt, status, dedupeKey, createdAt)
     VALUES (?, 'Directive', ?, ?, ?, 'pending', ?, ?) ON CONFLICT (dedupeKey) DO NOTHING`,
    kind, directiveId, dueAt, expiresAt, dedupeKey, now,
  );
}

/** Upserts a Setting row. */
export async function writeSetting(db: Database, key: string, value: string, now: number): Promise<void> {
  await db.sql.run(
    `INSERT INTO Setting (key, value, updatedAt) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updatedAt = excluded.updatedAt`,
    key, value, now,
  );
}

/** A Setting value, or undefined. */
export async function readSetting(db: Database, key: string): Promise<string | undefined> {
  return (await db.sql.get<{ value: string }>(`SELECT value FROM Setting WHERE key = ?`, key))?.value;
}

/**
 * What happened to one person's copy, as SQL over `d` (DirectiveDelivery) left-joined with `o` (its
 * Outbox row): not_linked | queued | sent | unreachable | failed. When the account was unreachable,
 * the delivery engine re-queued the copy to another account of the person (dedupe key
 * "<key>:fallback:<accountId>"), so the best of those counts.
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

/**
 * Records the outcome of finished copies in DirectiveDelivery (status sent with sentAt, or
 * unreachable for copies that could not be delivered, permanent failures included), so that read
 * rates need not consult the outbox. Run by the progress and reminder jobs; copies still waiting
 * stay "queued".
 */
export async function recordDeliveryOutcomes(db: Database, directiveId: number): Promise<void> {
  await db.sql.run(
    `UPDATE DirectiveDelivery SET status = x.s, sentAt = x.sentAt
     FROM (SELECT d.id AS deliveryId, CASE ${effectiveDeliveryStatus} WHEN 'sent' THEN 'sent' WHEN 'queued' THEN 'queued' ELSE 'unreachable' END AS s,
                  COALESCE(o.sentAt, (SELECT MAX(f.sentAt) FROM Outbox f WHERE f.dedupeKey >= 'directive:' || d.directiveId || ':p:' || d.personId || ':fallback:'
                                                           AND f.dedupeKey < 'directive:' || d.directiveId || ':p:' || d.personId || ':fallback;')) AS sentAt
           FROM DirectiveDelivery d LEFT JOIN Outbox o ON o.id = d.outboxId WHERE d.directiveId = ? AND d.status = 'queued') x
     WHERE DirectiveDelivery.id = x.deliveryId AND x.s != 'queued'`,
    directiveId,
  );
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
  const rows = await db.sql.raw<[string | null, number, number]>(
    `SELECT s, COUNT(*), SUM(r) FROM (
       SELECT CASE d.status WHEN 'not_linked' THEN 'not_linked' WHEN 'sent' THEN 'sent'
                ELSE (SELECT ${effectiveDeliveryStatus} FROM Outbox o WHERE o.id = d.outboxId) END AS s,
              d.readAt IS NOT NULL AS r
       FROM DirectiveDelivery d WHERE d.directiveId = ?
     ) GROUP BY s`,
    directiveId,
  );
  const p: DirectiveProgress = { total: 0, queued: 0, sent: 0, unreachable: 0, failed: 0, notLinked: 0, read: 0, done: true };
  for (const [status, n, read] of rows) {
    p.total += n;
    p.read += read;
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
export async function markRead(db: Database, directiveId: number, personId: number, viaAccountId: number | null, now: Date): Promise<{ alreadyRead: boolean }> {
  return await db.transaction(async () => {
    const row = await db.sql.get<{ readAt: number | null }>(`SELECT readAt FROM DirectiveDelivery WHERE directiveId = ? AND personId = ?`, directiveId, personId);
    if (!row) throw new AppError("not_found", { what: "directive" });
    if (row.readAt !== null) return { alreadyRead: true };
    await db.sql.run(
      `UPDATE DirectiveDelivery SET readAt = ?, readViaAccountId = ? WHERE directiveId = ? AND personId = ?`,
      now.getTime(), viaAccountId, directiveId, personId,
    );
    return { alreadyRead: false };
  });
}

/** The directives sent to a person, newest first, with when they read each (null: not yet). */
export async function listRecentDirectives(db: Database, personId: number, limit = 5): Promise<(DirectiveRow & { readAt: number | null })[]> {
  return await db.sql.all(
    `SELECT ${directiveColumns.split(", ").map((c) => `x.${c}`).join(", ")}, d.readAt
     FROM DirectiveDelivery d JOIN Directive x ON x.id = d.directiveId
     WHERE d.personId = ? AND x.status != 'draft'
     ORDER BY x.sentAt DESC, x.id DESC LIMIT ?`,
    personId, Math.max(0, Math.floor(limit)),
  );
}
