/**
 * Signing in to the officials' web workplace (/admin) without passwords: a one-time 6-digit code
 * sent by the bot to the person's linked chat accounts, or a one-time sign-in link made on the
 * command line for the first admin (who has no linked account yet).
 *
 * Only people with a cadre, official or admin role may sign in. The answer to a code request never
 * says whether a phone (or a name in a unit: sign-in-by-name.ts) is registered or has rights: the
 * caller shows the same page either way.
 * Written on the typed data layer (both engines).
 * Codes are single-use, expire after 10 minutes, are stored hashed, and are limited per person,
 * per source address and overall; wrong guesses are limited per code and per source address.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import type { Database } from "../../storage/database.ts";
import { AppError } from "../../lib/app-error.ts";
import { normalisePhone } from "../../lib/phone.ts";
import { translator } from "../../lib/i18n.ts";
import { enqueue, priorities } from "../deliveries/outbox-service.ts";
import { recordAudit } from "../audit/audit-service.ts";

export const signInCodeTtlMs = 10 * 60_000;
export const signInLinkTtlMs = 24 * 60 * 60_000;
/** Limits (per window): codes sent to one person, requests from one address, requests overall. */
export const signInLimits = {
  perPersonPerHour: 5,
  perAddressPer15Min: 10,
  globalPerMinute: 120,
  /** Wrong codes for one code before it is burnt, and from one address per hour. */
  guessesPerCode: 5,
  failuresPerAddressPerHour: 20,
} as const;

const workplaceRoles = ["cadre", "official", "admin"] as const;

function hash(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

/** True when the person holds a cadre, official or admin role somewhere (may use the workplace). */
export async function hasWorkplaceRights(db: Database, personId: number): Promise<boolean> {
  const row = await db.kysely
    .selectFrom("Membership")
    .select("id")
    .where("personId", "=", personId)
    .where("role", "in", workplaceRoles)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

async function noteAttempt(
  db: Database,
  {
    kind,
    ip,
    personId,
    now,
  }: { kind: "request" | "verify_fail" | "verify_ok"; ip: string | null; personId: number | null; now: Date },
): Promise<void> {
  await db.kysely.insertInto("WebSignInAttempt").values({ kind, ip, personId, createdAt: now.getTime() }).execute();
}

async function countAttempts(db: Database, kind: string, since: number, ip?: string | null): Promise<number> {
  let q = db.kysely
    .selectFrom("WebSignInAttempt")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("kind", "=", kind)
    .where("createdAt", ">", since);
  // A missing address counts with the other missing ones (IS NULL, not = NULL).
  if (ip !== undefined) q = ip === null ? q.where("ip", "is", null) : q.where("ip", "=", ip);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

/** What a code request did; the web page shows the same text whatever happened (no enumeration). */
export type SignInRequestOutcome = "sent" | "unknown" | "no_rights" | "not_linked" | "person_limited" | "ambiguous";

/** Who a code request or a typed code is for: a person, several people ("ambiguous": nobody), or nobody. */
export type SignInTarget = { id: number; locale: string } | "ambiguous" | undefined;

/**
 * Sends a sign-in code to the linked chat accounts of the person with this phone, when they have
 * workplace rights. The outcome is for tests and logs, never for the page. Throws
 * code_throttled when the source address or the whole service asked too often (said openly: it
 * reveals nothing about the phone), invalid_input for a phone that cannot be read.
 */
export async function requestSignInCode(
  db: Database,
  input: { phone: string; ip: string | null },
  now: Date,
): Promise<{ outcome: SignInRequestOutcome; accounts: number }> {
  const phone = normalisePhone(input.phone ?? "");
  if (!phone) throw new AppError("invalid_input", { field: "phone" });
  return await sendSignInCode(
    db,
    () => db.kysely.selectFrom("Person").select(["id", "locale"]).where("phone", "=", phone).executeTakeFirst(),
    input.ip,
    now,
  );
}

/**
 * A code request for whoever `find` names (called after the per-address and overall limits, inside
 * the request's transaction), with every limit of `requestSignInCode`; "ambiguous" sends nothing.
 */
export async function sendSignInCode(
  db: Database,
  find: () => SignInTarget | Promise<SignInTarget>,
  ip: string | null,
  now: Date,
): Promise<{ outcome: SignInRequestOutcome; accounts: number }> {
  const at = now.getTime();
  return await db.transaction(async () => {
    if ((await countAttempts(db, "request", at - 15 * 60_000, ip)) >= signInLimits.perAddressPer15Min)
      throw new AppError("code_throttled", {});
    if ((await countAttempts(db, "request", at - 60_000)) >= signInLimits.globalPerMinute)
      throw new AppError("code_throttled", {});
    const found = await find();
    const person = typeof found === "object" ? found : undefined;
    await noteAttempt(db, { kind: "request", ip, personId: person?.id ?? null, now });
    if (found === "ambiguous") return { outcome: "ambiguous", accounts: 0 };
    if (!person) return { outcome: "unknown", accounts: 0 };
    if (!(await hasWorkplaceRights(db, person.id))) return { outcome: "no_rights", accounts: 0 };
    const { recent } = await db.kysely
      .selectFrom("WebSignInCode")
      .select((eb) => eb.fn.countAll<number>().as("recent"))
      .where("personId", "=", person.id)
      .where("kind", "=", "code")
      .where("createdAt", ">", at - 3_600_000)
      .executeTakeFirstOrThrow();
    if (recent >= signInLimits.perPersonPerHour) return { outcome: "person_limited", accounts: 0 };
    const accounts = await db.kysely
      .selectFrom("ChatAccount")
      .select(["id", "platform", "externalId"])
      .where("personId", "=", person.id)
      .where("unreachable", "=", false)
      .orderBy("preferred", "desc")
      .orderBy("id")
      .execute();
    if (!accounts.length) return { outcome: "not_linked", accounts: 0 };
    // A new code replaces the person's earlier unused ones.
    await db.kysely
      .updateTable("WebSignInCode")
      .set({ usedAt: at })
      .where("personId", "=", person.id)
      .where("kind", "=", "code")
      .where("usedAt", "is", null)
      .execute();
    const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
    const { id: codeId } = await db.kysely
      .insertInto("WebSignInCode")
      .values({
        personId: person.id,
        kind: "code",
        codeHash: hash(code),
        requestIp: ip,
        attempts: 0,
        createdAt: at,
        expiresAt: at + signInCodeTtlMs,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const locale = person.locale === "en" ? "en" : "vi";
    const text = translator(locale)("admin.signin_code_message", { code, minutes: signInCodeTtlMs / 60_000 });
    for (const account of accounts)
      await enqueue(
        db,
        {
          platform: account.platform,
          chatId: account.externalId,
          chatAccountId: account.id,
          personId: person.id,
          priority: priorities.reply,
          body: { text, locale },
          dedupeKey: `web-signin:${codeId}:${account.id}`,
        },
        now,
      );
    return { outcome: "sent", accounts: accounts.length };
  });
}

/**
 * Checks a code typed in the browser for the person with this phone and uses it up. Returns the
 * person's id. Throws code_throttled (too many wrong codes from this address), code_invalid (wrong,
 * unknown phone, no rights, or burnt after too many guesses), code_expired.
 */
export async function verifySignInCode(
  db: Database,
  input: { phone: string; code: string; ip: string | null },
  now: Date,
): Promise<number> {
  const phone = normalisePhone(input.phone ?? "");
  return await checkSignInCode(db, {
    find: async () =>
      phone
        ? await db.kysely.selectFrom("Person").select("id").where("phone", "=", phone).executeTakeFirst()
        : undefined,
    code: input.code,
    ip: input.ip,
    now,
  });
}

/** `verifySignInCode` for whoever `find` names (called inside the check's transaction; undefined: nobody). */
export async function checkSignInCode(
  db: Database,
  {
    find,
    code,
    ip,
    now,
  }: {
    find: () => { id: number } | undefined | Promise<{ id: number } | undefined>;
    code: string;
    ip: string | null;
    now: Date;
  },
): Promise<number> {
  const input = { code, ip };
  const at = now.getTime();
  // The transaction returns failures instead of throwing them, so that the failed attempt and the
  // guess count are committed.
  const result = await db.transaction(
    async (): Promise<number | "code_invalid" | "code_expired" | "code_throttled"> => {
      if ((await countAttempts(db, "verify_fail", at - 3_600_000, input.ip)) >= signInLimits.failuresPerAddressPerHour)
        return "code_throttled";
      const typed = String(input.code ?? "").replace(/\D/g, "");
      const person = await find();
      const row = person
        ? await db.kysely
            .selectFrom("WebSignInCode")
            .select(["id", "codeHash", "attempts", "expiresAt"])
            .where("personId", "=", person.id)
            .where("kind", "=", "code")
            .where("usedAt", "is", null)
            .orderBy("id", "desc")
            .limit(1)
            .executeTakeFirst()
        : undefined;
      const fail = async (code: "code_invalid" | "code_expired") => {
        await noteAttempt(db, { kind: "verify_fail", ip: input.ip, personId: person?.id ?? null, now });
        return code;
      };
      if (!person || !row || typed.length !== 6) return fail("code_invalid");
      if (row.expiresAt <= at) return fail("code_expired");
      const matches = timingSafeEqual(Buffer.from(hash(typed), "hex"), Buffer.from(row.codeHash, "hex"));
      if (!matches) {
        const attempts = row.attempts + 1;
        // Burnt (used up) once the guesses for this code run out.
        await db.kysely
          .updateTable("WebSignInCode")
          .set(attempts >= signInLimits.guessesPerCode ? { attempts, usedAt: at } : { attempts })
          .where("id", "=", row.id)
          .execute();
        return fail("code_invalid");
      }
      if (!(await hasWorkplaceRights(db, person.id))) return fail("code_invalid");
      await db.kysely.updateTable("WebSignInCode").set({ usedAt: at }).where("id", "=", row.id).execute();
      await noteAttempt(db, { kind: "verify_ok", ip: input.ip, personId: person.id, now });
      await recordAudit(
        db,
        {
          actorPersonId: person.id,
          source: "web",
          action: "web.sign_in",
          entityType: "Person",
          entityId: person.id,
          detail: { by: "code" },
        },
        now,
      );
      return person.id;
    },
  );
  if (typeof result === "string") throw new AppError(result, {});
  return result;
}

/**
 * A one-time sign-in link token for a person with workplace rights (the first admin, before they
 * have linked a chat account). Valid 24 hours. Throws person_not_found, forbidden (no rights).
 */
export async function createSignInLink(
  db: Database,
  personId: number,
  now: Date,
  source: "cli" | "web" = "cli",
): Promise<{ token: string; expiresAt: number }> {
  if (!(await db.kysely.selectFrom("Person").select("id").where("id", "=", personId).executeTakeFirst()))
    throw new AppError("person_not_found", {});
  if (!(await hasWorkplaceRights(db, personId))) throw new AppError("forbidden", { permission: "read" });
  const token = randomBytes(24).toString("base64url");
  const at = now.getTime();
  await db.kysely
    .insertInto("WebSignInCode")
    .values({
      personId,
      kind: "link",
      codeHash: hash(token),
      attempts: 0,
      createdAt: at,
      expiresAt: at + signInLinkTtlMs,
    })
    .execute();
  await recordAudit(db, { source, action: "web.sign_in_link", entityType: "Person", entityId: personId }, now);
  return { token, expiresAt: at + signInLinkTtlMs };
}

/** The person a sign-in link is for, without using it up (for the confirmation page), or undefined. */
export async function peekSignInLink(
  db: Database,
  token: string,
  now: Date,
): Promise<{ personId: number; fullName: string } | undefined> {
  if (!/^[A-Za-z0-9_-]{20,64}$/.test(token ?? "")) return undefined;
  return await db.kysely
    .selectFrom("WebSignInCode as c")
    .innerJoin("Person as p", "p.id", "c.personId")
    .select(["c.personId", "p.fullName"])
    .where("c.codeHash", "=", hash(token))
    .where("c.kind", "=", "link")
    .where("c.usedAt", "is", null)
    .where("c.expiresAt", ">", now.getTime())
    .executeTakeFirst();
}

/** Uses up a sign-in link. Returns the person's id. Throws code_invalid (unknown, used, expired, no rights). */
export async function redeemSignInLink(db: Database, token: string, ip: string | null, now: Date): Promise<number> {
  const result = await db.transaction(async (): Promise<number | "code_invalid" | "code_throttled"> => {
    if (
      (await countAttempts(db, "verify_fail", now.getTime() - 3_600_000, ip)) >= signInLimits.failuresPerAddressPerHour
    )
      return "code_throttled";
    const found = await peekSignInLink(db, token, now);
    if (!found || !(await hasWorkplaceRights(db, found.personId))) {
      await noteAttempt(db, { kind: "verify_fail", ip, personId: null, now });
      return "code_invalid";
    }
    await db.kysely
      .updateTable("WebSignInCode")
      .set({ usedAt: now.getTime() })
      .where("codeHash", "=", hash(token))
      .where("kind", "=", "link")
      .execute();
    await noteAttempt(db, { kind: "verify_ok", ip, personId: found.personId, now });
    await recordAudit(
      db,
      {
        actorPersonId: found.personId,
        source: "web",
        action: "web.sign_in",
        entityType: "Person",
        entityId: found.personId,
        detail: { by: "link" },
      },
      now,
    );
    return found.personId;
  });
  if (typeof result === "string") throw new AppError(result, {});
  return result;
}
