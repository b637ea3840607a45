/**
 * Linking a chat account to a person of the roster: by a one-time code (random, single use,
 * expiring) or by a shared phone contact that matches exactly one person.
 *
 * Codes are 12 digits (16 for people holding cadre, official or admin rights), printed in groups of
 * four and accepted with or without spaces, dots or dashes. Wrong guesses are limited per chat
 * account, per network address (web chat) and across the whole deployment, all counted in the
 * database (LinkAttempt) so that restarts and new sessions change nothing. A code is checked against
 * every organisation's codes, and a sender who is not linked belongs to no organisation yet, so
 * the global budget is per deployment: it is the only budget that bounds an attacker's chance
 * (see `guessRisk` and the README's "Security" section). No answer tells a live code from a wrong
 * one: used, expired, revoked, someone else's and wrong codes all get `code_invalid`.
 */
import { assertActorCan, type Actor } from "../access/actor.ts";
import { randomInt } from "node:crypto";
import type { Database } from "../../storage/database.ts";
import { AppError } from "../../lib/app-error.ts";
import { normalisePhone } from "../../lib/phone.ts";
import { rootLogger } from "../../lib/logger.ts";
import { getAccount } from "../accounts/account-service.ts";
import { listMembers } from "../people/people-service.ts";
import { notifyAdminsOfGuessLimit } from "./link-alerts.ts";
import { clearPendingQuestion } from "../conversation-state.ts";

/** Digits of a member's code, of a privileged person's code, and of the codes printed before. */
export const linkCodeDigits = 12;
export const privilegedLinkCodeDigits = 16;
export const legacyLinkCodeDigits = 6;

/** Roles whose accounts get the longer code and whose links are announced. */
export const privilegedRoles = ["cadre", "official", "admin"] as const;

export interface GuessLimits {
  /** Wrong guesses one chat account may make in an hour. */
  perAccountPerHour: number;
  /** Wrong guesses from one network address (web chat) in an hour, whatever the session. */
  perAddressPerHour: number;
  /** Wrong guesses across the whole deployment in any 24 hours; past it, codes are paused. */
  globalPerDay: number;
}

export const defaultGuessLimits: GuessLimits = { perAccountPerHour: 5, perAddressPerHour: 20, globalPerDay: 3000 };

const hour = 3_600_000;
const day = 86_400_000;

/**
 * An attacker's chance of hitting some live code within `days`, at the most the limits allow:
 * every wrong guess of the global budget is spent, each hits one of `outstanding` codes with
 * probability outstanding / code space (a union bound, so an upper bound). `privileged` assumes all
 * outstanding codes are privileged ones, also an upper bound.
 */
export function guessRisk(
  limits: GuessLimits,
  outstanding: number,
  days = 30,
): { guesses: number; any: number; privileged: number } {
  const guesses = limits.globalPerDay * days;
  return {
    guesses,
    any: Math.min(1, (guesses * outstanding) / 10 ** linkCodeDigits),
    privileged: Math.min(1, (guesses * outstanding) / 10 ** privilegedLinkCodeDigits),
  };
}

/** "123456789012" → "1234 5678 9012": how codes are printed and shown. */
export function formatLinkCode(code: string): string {
  return code.replace(/(\d{4})(?=\d)/g, "$1 ");
}

export interface LinkCodeRow {
  personId: number;
  code: string;
  expiresAt: number;
}

/** True when the person holds cadre, official or admin rights somewhere. */
export async function isPrivileged(db: Database, personId: number): Promise<boolean> {
  return Boolean(
    await db.kysely
      .selectFrom("Membership")
      .select("id")
      .where("personId", "=", personId)
      .where("role", "in", privilegedRoles)
      .limit(1)
      .executeTakeFirst(),
  );
}

async function digitsFor(db: Database, personId: number): Promise<number> {
  return (await isPrivileged(db, personId)) ? privilegedLinkCodeDigits : linkCodeDigits;
}

async function activeCode(db: Database, personId: number, now: Date): Promise<LinkCodeRow | undefined> {
  // A code shorter than the person now needs (a member who became a cadre) is not reused.
  const digits = await digitsFor(db, personId);
  return await db.kysely
    .selectFrom("LinkCode")
    .select(["personId", "code", "expiresAt"])
    .where("personId", "=", personId)
    .where("usedAt", "is", null)
    .where("revokedAt", "is", null)
    .where("expiresAt", ">", now.getTime())
    .where((eb) => eb(eb.fn<number>("length", ["code"]), ">=", digits))
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();
}

function randomDigits(n: number): string {
  let out = "";
  // randomInt takes ranges below 2^48: draw 8 digits at a time.
  while (out.length < n) out += String(randomInt(0, 100_000_000)).padStart(8, "0");
  return out.slice(0, n);
}

async function freshCode(db: Database, digits: number, now: Date): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const code = randomDigits(digits);
    const clash = await db.kysely
      .selectFrom("LinkCode")
      .select("id")
      .where("code", "=", code)
      .where("usedAt", "is", null)
      .where("revokedAt", "is", null)
      .where("expiresAt", ">", now.getTime())
      .executeTakeFirst();
    if (!clash) return code;
  }
  throw new AppError("conflict", { what: "link code space" });
}

/**
 * Issues a new code for a person, revoking the previous one: 16 digits for a person holding cadre,
 * official or admin rights, 12 otherwise. `ttlDays` defaults to 30.
 */
export async function issueLinkCode(
  db: Database,
  personId: number,
  options: { ttlDays?: number; now?: Date } = {},
): Promise<LinkCodeRow> {
  const now = options.now ?? new Date();
  const ttl = (options.ttlDays ?? 30) * day;
  return await db.transaction(async () => {
    await db.kysely
      .updateTable("LinkCode")
      .set({ revokedAt: now.getTime() })
      .where("personId", "=", personId)
      .where("usedAt", "is", null)
      .where("revokedAt", "is", null)
      .execute();
    const code = await freshCode(db, await digitsFor(db, personId), now);
    await db.kysely
      .insertInto("LinkCode")
      .values({ code, personId, createdAt: now.getTime(), expiresAt: now.getTime() + ttl })
      .execute();
    return { personId, code, expiresAt: now.getTime() + ttl };
  });
}

/** How many people still hold only a revoked pre-upgrade (6-digit) code and are not linked. */
export async function legacyCodeHolders(db: Database): Promise<number> {
  const row = await db.kysely
    .selectFrom("LinkCode as c")
    .innerJoin("Person as p", "p.id", "c.personId")
    .select((eb) => eb.fn.count<number>("c.personId").distinct().as("n"))
    .where((eb) => eb(eb.fn<number>("length", ["c.code"]), "=", legacyLinkCodeDigits))
    .where("c.usedAt", "is", null)
    .where("p.linkedAccounts", "=", 0)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom("LinkCode as n")
            .select("n.id")
            .whereRef("n.personId", "=", "c.personId")
            .where((eb2) => eb2(eb2.fn<number>("length", ["n.code"]), ">", legacyLinkCodeDigits)),
        ),
      ),
    )
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface UnitCodeRow {
  personId: number;
  fullName: string;
  unitName: string;
  code: string;
  expiresAt: number;
  linked: boolean;
}

/**
 * Link codes of every person of a unit's subtree, for printing. Reuses a person's valid code (so a
 * sheet printed earlier stays valid) and issues one where there is none; `renew` issues new codes
 * for everyone. People already linked are listed with their code too, unless `unlinkedOnly`.
 * Codes open accounts: the actor needs manage_people on the unit. Throws forbidden.
 */
export async function ensureLinkCodes(
  db: Database,
  actor: Actor,
  unitId: number,
  options: { ttlDays?: number; now?: Date; renew?: boolean; unlinkedOnly?: boolean } = {},
): Promise<UnitCodeRow[]> {
  await assertActorCan(db, actor, "manage_people", unitId);
  const now = options.now ?? new Date();
  const people = await listMembers(db, unitId, { subtree: true });
  const seen = new Set<number>();
  return db.transaction(async () => {
    const out: UnitCodeRow[] = [];
    for (const p of people) {
      if (seen.has(p.id)) continue;
      seen.add(p.id);
      if (options.unlinkedOnly && p.linkedAccounts > 0) continue;
      const existing = options.renew ? undefined : await activeCode(db, p.id, now);
      const code = existing ?? (await issueLinkCode(db, p.id, { ttlDays: options.ttlDays, now }));
      out.push({
        personId: p.id,
        fullName: p.fullName,
        unitName: p.unitName,
        code: code.code,
        expiresAt: code.expiresAt,
        linked: p.linkedAccounts > 0,
      });
    }
    return out;
  });
}

/** The person's valid code, or a new one when there is none (never revokes a printed code). */
export async function currentLinkCode(
  db: Database,
  personId: number,
  options: { ttlDays?: number; now?: Date } = {},
): Promise<LinkCodeRow> {
  return (await activeCode(db, personId, options.now ?? new Date())) ?? (await issueLinkCode(db, personId, options));
}

/** Wrong guesses by this chat account in the last hour. */
export async function recentWrongGuesses(
  db: Database,
  platform: string,
  externalId: string,
  now = new Date(),
): Promise<number> {
  return await wrongGuesses(db, now.getTime() - hour, { platform, externalId });
}

async function wrongGuessesFrom(db: Database, source: string, now: Date): Promise<number> {
  return await wrongGuesses(db, now.getTime() - hour, { source });
}

/** Wrong guesses across the deployment in the last 24 hours. */
export async function wrongGuessesToday(db: Database, now = new Date()): Promise<number> {
  return await wrongGuesses(db, now.getTime() - day, {});
}

/** Wrong guesses since `after` (epoch ms), of one account or one address when given. */
async function wrongGuesses(
  db: Database,
  after: number,
  of: { platform?: string; externalId?: string; source?: string },
): Promise<number> {
  let q = db.kysely
    .selectFrom("LinkAttempt")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("success", "=", false)
    .where("createdAt", ">", after);
  if (of.platform !== undefined) q = q.where("platform", "=", of.platform);
  if (of.externalId !== undefined) q = q.where("externalId", "=", of.externalId);
  if (of.source !== undefined) q = q.where("source", "=", of.source);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

export interface LinkResult {
  personId: number;
  fullName: string;
  /** False when the account was already linked to this person. */
  newlyLinked: boolean;
}

async function attachAccount(db: Database, accountId: number, personId: number, now: Date): Promise<boolean> {
  const account = await getAccount(db, accountId);
  if (account.personId === personId) return false;
  if (account.personId !== null) throw new AppError("account_linked_elsewhere", {});
  const hasPreferred = await db.kysely
    .selectFrom("ChatAccount")
    .select("id")
    .where("personId", "=", personId)
    .where("preferred", "=", true)
    .executeTakeFirst();
  await db.kysely
    .updateTable("ChatAccount")
    .set({ personId, linkedAt: now.getTime(), preferred: !hasPreferred, unreachable: false })
    .where("id", "=", accountId)
    .execute();
  await db.kysely
    .updateTable("Person")
    .set((eb) => ({ linkedAccounts: eb("linkedAccounts", "+", 1), updatedAt: now.getTime() }))
    .where("id", "=", personId)
    .execute();
  return true;
}

/** The digits of a code as typed: "1234 5678-9012" → "123456789012"; undefined when not a code. */
export function normaliseLinkCode(typed: string): string | undefined {
  const trimmed = typed.trim();
  if (!/^[\d\s.-]+$/.test(trimmed)) return undefined;
  return trimmed.replace(/\D/g, "");
}

export interface RedeemOptions {
  /** Network address of the sender (web chat), for the per-address limit. */
  source?: string | null;
  limits?: GuessLimits;
}

/**
 * Redeems a link code for a chat account. Throws:
 * - code_legacy for a 6-digit code of the kind printed before codes grew (not a guess: nothing is
 *   looked up);
 * - code_throttled past the per-account or per-address limit, code_paused past the deployment's
 *   daily budget (both checked before the code is looked at, so a throttled guess reveals nothing);
 * - code_invalid for any code that does not link (wrong, used, expired, revoked, or a 12-digit code
 *   of a person who now holds rights), counted as a wrong guess;
 * - account_linked_elsewhere when the account belongs to someone else, whatever the code (counted
 *   as a wrong guess, so the answer does not depend on whether the code is live).
 */
export async function redeemLinkCode(
  db: Database,
  { accountId, code, now = new Date(), ...options }: { accountId: number; code: string; now?: Date } & RedeemOptions,
): Promise<LinkResult> {
  const limits = options.limits ?? defaultGuessLimits;
  const source = options.source ?? null;
  const account = await getAccount(db, accountId);
  const digits = normaliseLinkCode(code) ?? "";
  if (digits.length === legacyLinkCodeDigits) throw new AppError("code_legacy", {});
  const recordAttempt = (success: boolean) =>
    db.kysely
      .insertInto("LinkAttempt")
      .values({ platform: account.platform, externalId: account.externalId, source, success, createdAt: now.getTime() })
      .execute();
  // The transaction returns a wrong-guess error instead of throwing it, so that the attempt is
  // recorded outside it (a throw would roll the record back).
  const outcome = await db.transaction(async (): Promise<LinkResult | AppError> => {
    if ((await recentWrongGuesses(db, account.platform, account.externalId, now)) >= limits.perAccountPerHour)
      throw new AppError("code_throttled", {});
    if (source !== null && (await wrongGuessesFrom(db, source, now)) >= limits.perAddressPerHour)
      throw new AppError("code_throttled", {});
    if ((await wrongGuessesToday(db, now)) >= limits.globalPerDay) throw new AppError("code_paused", {});
    if (digits.length !== linkCodeDigits && digits.length !== privilegedLinkCodeDigits)
      return new AppError("code_invalid", {});
    // The live code first, if several people's codes were ever the same digits.
    const row = await db.kysely
      .selectFrom("LinkCode")
      .select(["id", "personId", "expiresAt", "usedAt", "revokedAt", "usedByAccountId"])
      .where("code", "=", digits)
      .orderBy(
        (eb) =>
          eb
            .case()
            .when(eb.and([eb("usedAt", "is", null), eb("revokedAt", "is", null)]))
            .then(eb.lit(1))
            .else(eb.lit(0))
            .end(),
        "desc",
      )
      .orderBy("id", "desc")
      .limit(1)
      .executeTakeFirst();
    // The account's own person's code (used or not) only says what the member already knows.
    if (row && account.personId !== null && account.personId === row.personId)
      return { personId: row.personId, fullName: await personName(db, row.personId), newlyLinked: false };
    if (account.personId !== null) return new AppError("account_linked_elsewhere", {});
    if (!row || row.revokedAt || row.usedAt || row.expiresAt <= now.getTime()) return new AppError("code_invalid", {});
    if (digits.length < (await digitsFor(db, row.personId))) {
      rootLogger()
        .child({ module: "linking" })
        .warn(
          { personId: row.personId },
          "a 12-digit code of a person who now holds rights was refused; print a new code for them",
        );
      return new AppError("code_invalid", {});
    }
    const newlyLinked = await attachAccount(db, accountId, row.personId, now);
    await db.kysely
      .updateTable("LinkCode")
      .set({ usedAt: now.getTime(), usedByAccountId: accountId })
      .where("id", "=", row.id)
      .execute();
    await recordAttempt(true);
    return { personId: row.personId, fullName: await personName(db, row.personId), newlyLinked };
  });
  if (outcome instanceof AppError) {
    await recordAttempt(false);
    if ((await wrongGuessesToday(db, now)) === limits.globalPerDay) {
      rootLogger()
        .child({ module: "linking" })
        .warn(
          { limit: limits.globalPerDay },
          "link code guess limit of the deployment reached: linking by code is paused until wrong guesses of the last 24 hours fall below it; someone may be guessing codes",
        );
      await notifyAdminsOfGuessLimit(db, limits.globalPerDay, now);
    }
    throw outcome;
  }
  return outcome;
}

async function personName(db: Database, personId: number): Promise<string> {
  return (await db.kysely.selectFrom("Person").select("fullName").where("id", "=", personId).executeTakeFirstOrThrow())
    .fullName;
}

/**
 * Links an account by a phone number the platform vouches for (a Telegram contact whose user_id is
 * the sender). Throws person_not_found when no person has that phone (phones are unique, so at most
 * one matches), account_linked_elsewhere.
 */
export async function linkByPhone(
  db: Database,
  accountId: number,
  phone: string,
  now = new Date(),
): Promise<LinkResult> {
  const normal = normalisePhone(phone);
  if (!normal) throw new AppError("person_not_found", {});
  return await db.transaction(async () => {
    const matches = await db.kysely
      .selectFrom("Person")
      .select(["id", "fullName"])
      .where("phone", "=", normal)
      .execute();
    if (matches.length !== 1) throw new AppError("person_not_found", {});
    const person = matches[0]!;
    const newlyLinked = await attachAccount(db, accountId, person.id, now);
    return { personId: person.id, fullName: person.fullName, newlyLinked };
  });
}

/** Unlinks an account from its person; another account of theirs becomes preferred. */
export async function unlinkAccount(
  db: Database,
  accountId: number,
  now = new Date(),
): Promise<{ personId: number } | null> {
  return await db.transaction(async () => {
    const account = await getAccount(db, accountId);
    if (account.personId === null) return null;
    const personId = account.personId;
    await db.kysely
      .updateTable("ChatAccount")
      .set({ personId: null, linkedAt: null, preferred: false })
      .where("id", "=", accountId)
      .execute();
    await db.kysely
      .updateTable("Person")
      .set((eb) => ({
        linkedAccounts: eb
          .case()
          .when("linkedAccounts", ">", 0)
          .then(eb("linkedAccounts", "-", 1))
          .else(eb.lit(0))
          .end(),
        updatedAt: now.getTime(),
      }))
      .where("id", "=", personId)
      .execute();
    await clearPendingQuestion(db, accountId);
    if (account.preferred) {
      // A reachable account first, then the one linked first (never-linked, NULL, first as before).
      const next = await db.kysely
        .selectFrom("ChatAccount")
        .select("id")
        .where("personId", "=", personId)
        .orderBy("unreachable")
        .orderBy((eb) => eb.case().when("linkedAt", "is", null).then(eb.lit(0)).else(eb.lit(1)).end())
        .orderBy("linkedAt")
        .orderBy("id")
        .limit(1)
        .executeTakeFirst();
      if (next) await db.kysely.updateTable("ChatAccount").set({ preferred: true }).where("id", "=", next.id).execute();
    }
    return { personId };
  });
}
