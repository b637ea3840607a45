/**
 * Server-side sessions of the web workplace. The browser's cookie holds a random token; only its
 * SHA-256 is stored, so a copy of the database cannot be used to sign in. A session ends after
 * `idleMs` without a request, `absoluteMs` after sign-in whatever happens, on sign out, and on
 * "sign out everywhere" (all sessions of the person). Losing workplace rights ends it too.
 * Written on the typed data layer (both engines).
 */
import { createHash, randomBytes } from "node:crypto";
import type { Database } from "../../storage/database.ts";
import { recordAudit } from "../audit/audit-service.ts";
import { hasWorkplaceRights } from "./sign-in-service.ts";

export const sessionIdleMs = 2 * 60 * 60_000;
export const sessionAbsoluteMs = 12 * 60 * 60_000;
/** lastSeenAt is written at most this often (a page with polling would otherwise write every few seconds). */
const touchEveryMs = 60_000;

export interface WebSession {
  id: number;
  personId: number;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

function hash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Starts a session for a person who just signed in. Returns the cookie token (shown once) and the session. */
export async function createWebSession(
  db: Database,
  personId: number,
  now: Date,
  userAgent: string | null = null,
): Promise<{ token: string; session: WebSession }> {
  const token = randomBytes(32).toString("base64url");
  const csrfToken = randomBytes(24).toString("base64url");
  const at = now.getTime();
  const { id } = await db.kysely
    .insertInto("AdminSession")
    .values({
      tokenHash: hash(token),
      personId,
      csrfToken,
      createdAt: at,
      lastSeenAt: at,
      expiresAt: at + sessionAbsoluteMs,
      userAgent: userAgent?.slice(0, 200) ?? null,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return {
    token,
    session: { id, personId, csrfToken, createdAt: at, lastSeenAt: at, expiresAt: at + sessionAbsoluteMs },
  };
}

/**
 * The live session of a cookie token, its last-seen time moved on; undefined when unknown, ended,
 * idle too long, past its absolute expiry, or when the person no longer has workplace rights.
 */
export async function resumeWebSession(
  db: Database,
  token: string | undefined,
  now: Date,
): Promise<WebSession | undefined> {
  if (!token || !/^[A-Za-z0-9_-]{20,64}$/.test(token)) return undefined;
  const at = now.getTime();
  const row = await db.kysely
    .selectFrom("AdminSession")
    .select(["id", "personId", "csrfToken", "createdAt", "lastSeenAt", "expiresAt", "endedAt"])
    .where("tokenHash", "=", hash(token))
    .executeTakeFirst();
  if (!row || row.endedAt !== null || row.expiresAt <= at || row.lastSeenAt + sessionIdleMs <= at) return undefined;
  if (!(await hasWorkplaceRights(db, row.personId))) return undefined;
  if (at - row.lastSeenAt >= touchEveryMs)
    await db.kysely.updateTable("AdminSession").set({ lastSeenAt: at }).where("id", "=", row.id).execute();
  const { endedAt: _ended, ...session } = row;
  return { ...session, lastSeenAt: Math.max(row.lastSeenAt, at) };
}

/** Ends one session (sign out). */
export async function endWebSession(db: Database, sessionId: number, now: Date): Promise<void> {
  await db.kysely
    .updateTable("AdminSession")
    .set({ endedAt: now.getTime() })
    .where("id", "=", sessionId)
    .where("endedAt", "is", null)
    .execute();
}

/** Ends every session of a person (sign out everywhere). Returns how many it ended (expired ones included). */
export async function endAllWebSessions(db: Database, personId: number, now: Date): Promise<number> {
  const result = await db.kysely
    .updateTable("AdminSession")
    .set({ endedAt: now.getTime() })
    .where("personId", "=", personId)
    .where("endedAt", "is", null)
    .executeTakeFirst();
  const ended = Number(result.numUpdatedRows);
  await recordAudit(
    db,
    {
      actorPersonId: personId,
      source: "web",
      action: "web.sign_out_everywhere",
      entityType: "Person",
      entityId: personId,
      detail: { sessions: ended },
    },
    now,
  );
  return ended;
}

/** How many sessions of a person are open (not ended, not past their absolute expiry), for the account page. */
export async function countOpenWebSessions(db: Database, personId: number, now: Date): Promise<number> {
  const { n } = await db.kysely
    .selectFrom("AdminSession")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("personId", "=", personId)
    .where("endedAt", "is", null)
    .where("expiresAt", ">", now.getTime())
    .executeTakeFirstOrThrow();
  return Number(n);
}

/** The name and language of a signed-in person (for the workplace's pages), or undefined. */
export async function workplacePerson(
  db: Database,
  personId: number,
): Promise<{ fullName: string; locale: string } | undefined> {
  return await db.kysely
    .selectFrom("Person")
    .select(["fullName", "locale"])
    .where("id", "=", personId)
    .executeTakeFirst();
}
