/**
 * Tokens of the JSON API (/api/v1). An admin creates one at the command line for a unit (usually an
 * organisation's root or a province): it reads that unit's subtree and, when made read-write,
 * imports rosters there. The secret ("chk_" + 43 base64url characters, 256 random bits) is shown
 * once; only its SHA-256 is stored, so a copied database does not leak usable tokens. Lookups by
 * hash are constant-time in effect (the hash is the unique key; a guess reveals nothing).
 */
import { createHash, randomBytes } from "node:crypto";
import type { Database } from "../../storage/database.ts";
import { AppError } from "../../lib/app-error.ts";
import { assertActorCan, actorPersonId, actorSource, type Actor } from "../access/actor.ts";
import { recordAudit } from "../audit/audit-service.ts";
import { getUnit } from "../units/unit-service.ts";

export type ApiAccess = "read" | "write";

export interface ApiTokenRow {
  id: number;
  name: string;
  prefix: string;
  unitId: number;
  unitName: string;
  access: ApiAccess;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

const PREFIX = "chk_";
/** Characters of the secret kept to tell tokens apart ("chk_" and 6 more). */
const SHOWN = PREFIX.length + 6;
/** lastUsedAt is written at most this often per token (a busy client must not write on every call). */
const LAST_USED_RESOLUTION_MS = 60_000;

function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** Creates a token; returns its row and the secret, which is never shown again. Needs administer on the unit. */
export async function createApiToken(db: Database, actor: Actor, input: { unitId: number; name: string; access: ApiAccess }, now = new Date()): Promise<{ token: ApiTokenRow; secret: string }> {
  const name = input.name.trim().slice(0, 100);
  if (!name) throw new AppError("invalid_input", { field: "name" });
  if (input.access !== "read" && input.access !== "write") throw new AppError("invalid_input", { field: "access" });
  const unit = await getUnit(db, input.unitId);
  await assertActorCan(db, actor, "administer", unit.id);
  const secret = PREFIX + randomBytes(32).toString("base64url");
  const { id } = (await db.sql.get<{ id: number }>(
    `INSERT INTO ApiToken (name, tokenHash, prefix, unitId, access, createdAt) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
    name, hashSecret(secret), secret.slice(0, SHOWN), unit.id, input.access, now.getTime(),
  ))!;
  await recordAudit(db, { actorPersonId: actorPersonId(actor), source: actorSource(actor), action: "api_token.create", entityType: "Unit", entityId: unit.id, detail: { tokenId: id, access: input.access } }, now);
  return { token: await getApiToken(db, id), secret };
}

const columns = `t.id, t.name, t.prefix, t.unitId, u.name AS unitName, t.access, t.createdAt, t.lastUsedAt, t.revokedAt`;

export async function getApiToken(db: Database, id: number): Promise<ApiTokenRow> {
  const row = await db.sql.get<ApiTokenRow>(`SELECT ${columns} FROM ApiToken t JOIN Unit u ON u.id = t.unitId WHERE t.id = ?`, id);
  if (!row) throw new AppError("not_found", { what: "api_token" });
  return row;
}

/** Every token, newest first (revoked ones too, marked). */
export async function listApiTokens(db: Database): Promise<ApiTokenRow[]> {
  return await db.sql.all<ApiTokenRow>(`SELECT ${columns} FROM ApiToken t JOIN Unit u ON u.id = t.unitId ORDER BY t.id DESC`);
}

/** Revokes a token at once (idempotent). Needs administer on its unit. */
export async function revokeApiToken(db: Database, actor: Actor, id: number, now = new Date()): Promise<ApiTokenRow> {
  const token = await getApiToken(db, id);
  await assertActorCan(db, actor, "administer", token.unitId);
  if (token.revokedAt === null) {
    await db.sql.run(`UPDATE ApiToken SET revokedAt = ? WHERE id = ?`, now.getTime(), id);
    await recordAudit(db, { actorPersonId: actorPersonId(actor), source: actorSource(actor), action: "api_token.revoke", entityType: "Unit", entityId: token.unitId, detail: { tokenId: id } }, now);
  }
  return getApiToken(db, id);
}

/**
 * The actor of a presented secret, or undefined when it is unknown, malformed or revoked. Records
 * the last use (at most once a minute).
 */
export async function authenticateApiToken(db: Database, secret: string, now = new Date()): Promise<(Actor & { kind: "token" }) | undefined> {
  if (!secret.startsWith(PREFIX) || secret.length > 200) return undefined;
  const row = await db.sql.get<{ id: number; access: ApiAccess; path: string; lastUsedAt: number | null }>(
    `SELECT t.id, t.access, u.path, t.lastUsedAt FROM ApiToken t JOIN Unit u ON u.id = t.unitId WHERE t.tokenHash = ? AND t.revokedAt IS NULL`,
    hashSecret(secret),
  );
  if (!row) return undefined;
  if (row.lastUsedAt === null || now.getTime() - row.lastUsedAt >= LAST_USED_RESOLUTION_MS)
    await db.sql.run(`UPDATE ApiToken SET lastUsedAt = ? WHERE id = ?`, now.getTime(), row.id);
  return { kind: "token", tokenId: row.id, unitPath: row.path, write: row.access === "write", source: "api" };
}
