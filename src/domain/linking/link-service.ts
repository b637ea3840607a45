/**
 * Linking a chat account to a person of the roster: by a one-time 6-digit code (random, single use,
 * expiring, at most 5 wrong guesses per chat account per hour) or by a shared phone contact that
 * matches exactly one person.
 */
import { assertActorCan, type Actor } from "../access/actor.ts";
import { randomInt } from "node:crypto";
import type { Database } from "../../storage/database.ts";
import { AppError } from "../../lib/app-error.ts";
import { normalisePhone } from "../../lib/phone.ts";
import { getAccount } from "../accounts/account-service.ts";
import { listMembers } from "../people/people-service.ts";

export const maxWrongGuessesPerHour = 5;
const hour = 3_600_000;
const day = 86_400_000;

export interface LinkCodeRow {
  personId: number;
  code: string;
  expiresAt: number;
}

function activeCode(db: Database, personId: number, now: Date): LinkCodeRow | undefined {
  return db.sql.get<LinkCodeRow>(
    `SELECT personId, code, expiresAt FROM LinkCode
     WHERE personId = ? AND usedAt IS NULL AND revokedAt IS NULL AND expiresAt > ? ORDER BY id DESC LIMIT 1`,
    personId, now.getTime(),
  );
}

function freshCode(db: Database, now: Date): string {
  for (let i = 0; i < 50; i++) {
    const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
    const clash = db.sql.get(
      `SELECT 1 FROM LinkCode WHERE code = ? AND usedAt IS NULL AND revokedAt IS NULL AND expiresAt > ?`,
      code, now.getTime(),
    );
    if (!clash) return code;
  }
  throw new AppError("conflict", { what: "link code space" });
}

/**
 * Issues a new code for a person, revoking the previous one. `ttlDays` defaults to 30.
 */
export function issueLinkCode(db: Database, personId: number, options: { ttlDays?: number; now?: Date } = {}): LinkCodeRow {
  const now = options.now ?? new Date();
  const ttl = (options.ttlDays ?? 30) * day;
  return db.sql.transaction(() => {
    db.sql.run(`UPDATE LinkCode SET revokedAt = ? WHERE personId = ? AND usedAt IS NULL AND revokedAt IS NULL`, now.getTime(), personId);
    const code = freshCode(db, now);
    db.sql.run(
      `INSERT INTO LinkCode (code, personId, createdAt, expiresAt) VALUES (?, ?, ?, ?)`,
      code, personId, now.getTime(), now.getTime() + ttl,
    );
    return { personId, code, expiresAt: now.getTime() + ttl };
  });
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
export function ensureLinkCodes(
  db: Database,
  actor: Actor,
  unitId: number,
  options: { ttlDays?: number; now?: Date; renew?: boolean; unlinkedOnly?: boolean } = {},
): UnitCodeRow[] {
  assertActorCan(db, actor, "manage_people", unitId);
  const now = options.now ?? new Date();
  const people = listMembers(db, unitId, { subtree: true });
  const seen = new Set<number>();
  return db.sql.transaction(() => {
    const out: UnitCodeRow[] = [];
    for (const p of people) {
      if (seen.has(p.id)) continue;
      seen.add(p.id);
      if (options.unlinkedOnly && p.linkedAccounts > 0) continue;
      const existing = options.renew ? undefined : activeCode(db, p.id, now);
      const code = existing ?? issueLinkCode(db, p.id, { ttlDays: options.ttlDays, now });
      out.push({ personId: p.id, fullName: p.fullName, unitName: p.unitName, code: code.code, expiresAt: code.expiresAt, linked: p.linkedAccounts > 0 });
    }
    return out;
  });
}

/** The person's valid code, or a new one when there is none (never revokes a printed code). */
export function currentLinkCode(db: Database, personId: number, options: { ttlDays?: number; now?: Date } = {}): LinkCodeRow {
  return activeCode(db, personId, options.now ?? new Date()) ?? issueLinkCode(db, personId, options);
}

/** Wrong guesses by this chat account in the last hour. */
export function recentWrongGuesses(db: Database, platform: string, externalId: string, now = new Date()): number {
  return db.sql.get<{ n: number }>(
    `SELECT COUNT(*) AS n FROM LinkAttempt WHERE platform = ? AND externalId = ? AND success = 0 AND createdAt > ?`,
    platform, externalId, now.getTime() - hour,
  )!.n;
}

export interface LinkResult {
  personId: number;
  fullName: string;
  /** False when the account was already linked to this person. */
  newlyLinked: boolean;
}

function attachAccount(db: Database, accountId: number, personId: number, now: Date): boolean {
  const account = getAccount(db, accountId);
  if (account.personId === personId) return false;
  if (account.personId !== null) throw new AppError("account_linked_elsewhere", {});
  const hasPreferred = db.sql.get(`SELECT 1 FROM ChatAccount WHERE personId = ? AND preferred = 1`, personId);
  db.sql.run(
    `UPDATE ChatAccount SET personId = ?, linkedAt = ?, preferred = ?, unreachable = 0 WHERE id = ?`,
    personId, now.getTime(), hasPreferred ? 0 : 1, accountId,
  );
  db.sql.run(`UPDATE Person SET linkedAccounts = linkedAccounts + 1, updatedAt = ? WHERE id = ?`, now.getTime(), personId);
  return true;
}

/**
 * Redeems a link code for a chat account. Throws code_throttled after 5 wrong guesses within an
 * hour (checked before the code), code_invalid / code_expired / code_used for a wrong code (each
 * counts as a wrong guess), account_linked_elsewhere when the account belongs to someone else.
 */
export function redeemLinkCode(db: Database, accountId: number, code: string, now = new Date()): LinkResult {
  const account = getAccount(db, accountId);
  const digits = code.replace(/\D/g, "");
  const recordAttempt = (success: boolean) =>
    db.sql.run(
      `INSERT INTO LinkAttempt (platform, externalId, success, createdAt) VALUES (?, ?, ?, ?)`,
      account.platform, account.externalId, success ? 1 : 0, now.getTime(),
    );
  // The transaction returns a wrong-guess error instead of throwing it, so that the attempt is
  // recorded outside it (a throw would roll the record back).
  const outcome = db.sql.transaction((): LinkResult | AppError => {
    if (recentWrongGuesses(db, account.platform, account.externalId, now) >= maxWrongGuessesPerHour)
      throw new AppError("code_throttled", {});
    if (!/^\d{6}$/.test(digits)) return new AppError("code_invalid", {});
    const row = db.sql.get<{ id: number; personId: number; expiresAt: number; usedAt: number | null; revokedAt: number | null; usedByAccountId: number | null }>(
      `SELECT id, personId, expiresAt, usedAt, revokedAt, usedByAccountId FROM LinkCode WHERE code = ?
       ORDER BY (usedAt IS NULL AND revokedAt IS NULL) DESC, id DESC LIMIT 1`,
      digits,
    );
    if (!row || row.revokedAt) return new AppError("code_invalid", {});
    if (row.usedAt) {
      // The same account sending its own used code again is not a guess: it is already linked.
      if (row.usedByAccountId === accountId && account.personId === row.personId)
        return { personId: row.personId, fullName: personName(db, row.personId), newlyLinked: false };
      return new AppError("code_used", {});
    }
    if (row.expiresAt <= now.getTime()) return new AppError("code_expired", {});
    if (account.personId !== null && account.personId !== row.personId) throw new AppError("account_linked_elsewhere", {});
    const newlyLinked = attachAccount(db, accountId, row.personId, now);
    db.sql.run(`UPDATE LinkCode SET usedAt = ?, usedByAccountId = ? WHERE id = ?`, now.getTime(), accountId, row.id);
    recordAttempt(true);
    return { personId: row.personId, fullName: personName(db, row.personId), newlyLinked };
  });
  if (outcome instanceof AppError) {
    recordAttempt(false);
    throw outcome;
  }
  return outcome;
}

function personName(db: Database, personId: number): string {
  return db.sql.get<{ fullName: string }>(`SELECT fullName FROM Person WHERE id = ?`, personId)!.fullName;
}

/**
 * Links an account by a phone number the platform vouches for (a Telegram contact whose user_id is
 * the sender). Throws person_not_found when no person has that phone (phones are unique, so at most
 * one matches), account_linked_elsewhere.
 */
export function linkByPhone(db: Database, accountId: number, phone: string, now = new Date()): LinkResult {
  const normal = normalisePhone(phone);
  if (!normal) throw new AppError("person_not_found", {});
  return db.sql.transaction(() => {
    const matches = db.sql.all<{ id: number; fullName: string }>(`SELECT id, fullName FROM Person WHERE phone = ?`, normal);
    if (matches.length !== 1) throw new AppError("person_not_found", {});
    const person = matches[0]!;
    const newlyLinked = attachAccount(db, accountId, person.id, now);
    return { personId: person.id, fullName: person.fullName, newlyLinked };
  });
}

/** Unlinks an account from its person; another account of theirs becomes preferred. */
export function unlinkAccount(db: Database, accountId: number, now = new Date()): { personId: number } | null {
  return db.sql.transaction(() => {
    const account = getAccount(db, accountId);
    if (account.personId === null) return null;
    const personId = account.personId;
    db.sql.run(`UPDATE ChatAccount SET personId = NULL, linkedAt = NULL, preferred = 0 WHERE id = ?`, accountId);
    db.sql.run(`UPDATE Person SET linkedAccounts = MAX(linkedAccounts - 1, 0), updatedAt = ? WHERE id = ?`, now.getTime(), personId);
    db.sql.run(`DELETE FROM ConversationState WHERE chatAccountId = ?`, accountId);
    if (account.preferred) {
      db.sql.run(
        `UPDATE ChatAccount SET preferred = 1 WHERE id = (SELECT id FROM ChatAccount WHERE personId = ? ORDER BY unreachable, linkedAt LIMIT 1)`,
        personId,
      );
    }
    return { personId };
  });
}
