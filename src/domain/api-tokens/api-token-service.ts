/**
 * Tokens of the JSON API (/api/v1). An admin creates one at the command line for a unit (usually an
 * organisation's root or a province): it reads that unit's subtree and, when made read-write,
 * imports rosters there. The secret ("chk_" + 43 base64url characters, 256 random bits) is shown
 * once; only its SHA-256 is stored, so a copied database does not leak usable tokens. Lookups by
 * hash are constant-time in effect (the hash is the unique key; a guess reveals nothing).
 * Written on the typed data layer (both engines).
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
export async function createApiToken(
  db: Database,
  actor: Actor,
  input: { unitId: number; name: string; access: ApiAccess },
  now = new Date(),
): Promise<{ token: ApiTokenRow; secret: string }> {
  const name = input.name.trim().slice(0, 100);
  if (!name) throw new AppError("invalid_input", { field: "name" });
  if (input.access !== "read" && input.access !== "write") throw new AppError("invalid_input", { field: "access" });
  const unit = await getUnit(db, input.unitId);
  await assertActorCan(db, actor, "administer", unit.id);
  const secret = PREFIX + randomBytes(32).toString("base64url");
  const { id } = await db.kysely
    .insertInto("ApiToken")
    .values({
      name,
      tokenHash: hashSecret(secret),
      prefix: secret.slice(0, SHOWN),
      unitId: unit.id,
      access: input.access,
      createdAt: now.getTime(),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  await recordAudit(
    db,
    {
      actorPersonId: actorPersonId(actor),
      source: actorSource(actor),
      action: "api_token.create",
      entityType: "Unit",
      entityId: unit.id,
      detail: { tokenId: id, access: input.access },
    },
    now,
  );
  return { token: await getApiToken(db, id), secret };
}

/** The stored access word as the type (anything but "write" reads only). */
function accessOf(stored: string): ApiAccess {
  return stored === "write" ? "write" : "read";
}

function tokenRows(db: Database) {
  return db.kysely
    .selectFrom("ApiToken as t")
    .innerJoin("Unit as u", "u.id", "t.unitId")
    .select([
      "t.id",
      "t.name",
      "t.prefix",
      "t.unitId",
      "u.name as unitName",
      "t.access",
      "t.createdAt",
      "t.lastUsedAt",
      "t.revokedAt",
    ]);
}

/** One token by id. Throws not_found. */
export async function getApiToken(db: Database, id: number): Promise<ApiTokenRow> {
  const row = await tokenRows(db).where("t.id", "=", id).executeTakeFirst();
  if (!row) throw new AppError("not_found", { what: "api_token" });
  return { ...row, access: accessOf(row.access) };
}

/** Every token, newest first (revoked ones too, marked). */
export async function listApiTokens(db: Database): Promise<ApiTokenRow[]> {
  const rows = await tokenRows(db).orderBy("t.id", "desc").execute();
  return rows.map((row) => ({ ...row, access: accessOf(row.access) }));
}

/** Revokes a token at once (idempotent). Needs administer on its unit. */
export async function revokeApiToken(db: Database, actor: Actor, id: number, now = new Date()): Promise<ApiTokenRow> {
  const token = await getApiToken(db, id);
  await assertActorCan(db, actor, "administer", token.unitId);
  if (token.revokedAt === null) {
    await db.kysely.updateTable("ApiToken").set({ revokedAt: now.getTime() }).where("id", "=", id).execute();
    await recordAudit(
      db,
      {
        actorPersonId: actorPersonId(actor),
        source: actorSource(actor),
        action: "api_token.revoke",
        entityType: "Unit",
        entityId: token.unitId,
        detail: { tokenId: id },
      },
      now,
    );
  }
  return getApiToken(db, id);
}

/**
 * The actor of a presented secret, or undefined when it is unknown, malformed or revoked. Records
 * the last use (at most once a minute).
 */
export async function authenticateApiToken(
  db: Database,
  secret: string,
  now = new Date(),
): Promise<(Actor & { kind: "token" }) | undefined> {
  if (!secret.startsWith(PREFIX) || secret.length > 200) return undefined;
  const row = await db.kysely
    .selectFrom("ApiToken as t")
    .innerJoin("Unit as u", "u.id", "t.unitId")
    .select(["t.id", "t.access", "u.path", "t.lastUsedAt"])
    .where("t.tokenHash", "=", hashSecret(secret))
    .where("t.revokedAt", "is", null)
    .executeTakeFirst();
  if (!row) return undefined;
  if (row.lastUsedAt === null || now.getTime() - row.lastUsedAt >= LAST_USED_RESOLUTION_MS)
    await db.kysely.updateTable("ApiToken").set({ lastUsedAt: now.getTime() }).where("id", "=", row.id).execute();
  return { kind: "token", tokenId: row.id, unitPath: row.path, write: row.access === "write", source: "api" };
}
