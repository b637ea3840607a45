/**
 * The Zalo personal-account login (cookie, imei, user agent), encrypted at rest, and the channel's
 * status, both in the Setting table.
 *
 * Credentials are AES-256-GCM encrypted with a key derived by scrypt from ZALO_CREDENTIALS_KEY and
 * a random salt kept beside the ciphertext. A key check value (an HMAC of a constant) tells a wrong
 * key apart from a damaged record. Cookies are re-snapshotted after every API call, so a save only
 * writes when a keyed signature of the meaningful cookie fields changed (tough-cookie's
 * `lastAccessed`/`creation` change on every read and are left out).
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type { Database } from "../../storage/database.ts";
import {
  deleteChannelSetting,
  readChannelSetting,
  replaceChannelSetting,
  writeChannelSetting,
} from "../../domain/channels-state/channel-settings.ts";

export const credentialsSettingKey = "zalo.credentials";
export const statusSettingKey = "zalo.status";

/** What zca-js needs to log in again (its `Credentials` type). Secret: never log any of it. */
export interface ZaloCredentials {
  /** Cookies as tough-cookie JSON, browser-extension JSON, or `{ url, cookies }`. */
  cookie: unknown[] | { url: string; cookies: unknown[] };
  imei: string;
  userAgent: string;
  language?: string;
}

export type CredentialProblem = "wrong_key" | "corrupted" | "invalid";

/** A stored login that cannot be used. `problem` says why; the message never contains secrets. */
export class CredentialStoreError extends Error {
  override readonly name = "CredentialStoreError";
  constructor(
    readonly problem: CredentialProblem,
    message: string,
  ) {
    super(message);
  }
}

const cookieEntry = z.looseObject({});
export const zaloCredentialsSchema = z.object({
  cookie: z.union([
    z.array(cookieEntry).min(1, "no cookies"),
    z.object({ url: z.string(), cookies: z.array(cookieEntry).min(1, "no cookies") }),
  ]),
  imei: z.string().min(1, "imei is missing"),
  userAgent: z.string().min(1, "userAgent is missing"),
  language: z.string().min(1).optional(),
});

/** Checks the shape of credentials; throws CredentialStoreError("invalid") naming the missing part. */
export function parseCredentials(value: unknown): ZaloCredentials {
  const parsed = zaloCredentialsSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join(".") : "credentials";
    throw new CredentialStoreError(
      "invalid",
      `Zalo credentials are incomplete: ${where}: ${issue?.message ?? "invalid"}`,
    );
  }
  return parsed.data as ZaloCredentials;
}

interface StoredRecord {
  v: 1;
  kdf: "scrypt";
  salt: string;
  iv: string;
  tag: string;
  data: string;
  /** Key check value: HMAC(derived key, "chihoi.zalo.kcv"), truncated. */
  kcv: string;
  /** Keyed signature of the credentials' meaningful content, for write-if-changed. */
  sig: string;
}

// scrypt is deliberately slow; keep derived keys for the life of the process.
const derivedKeys = new Map<string, Buffer>();

function deriveKey(secret: string, salt: Buffer): Buffer {
  const id = createHmac("sha256", salt).update(secret).digest("base64");
  let key = derivedKeys.get(id);
  if (!key) {
    key = scryptSync(secret, salt, 32, { N: 16384, r: 8, p: 1 });
    if (derivedKeys.size > 16) derivedKeys.clear();
    derivedKeys.set(id, key);
  }
  return key;
}

function keyCheck(key: Buffer): string {
  return createHmac("sha256", key).update("chihoi.zalo.kcv").digest("base64").slice(0, 16);
}

function canonicalCookie(cookie: unknown): Record<string, unknown> {
  if (!cookie || typeof cookie !== "object") return { raw: String(cookie) };
  const c = cookie as Record<string, unknown>;
  const pick = (k: string) => (c[k] === undefined || c[k] === null ? null : c[k]);
  return {
    key: pick("key") ?? pick("name"),
    value: pick("value"),
    domain: typeof c.domain === "string" ? c.domain.replace(/^\./, "") : null,
    path: pick("path"),
    expires: pick("expires") ?? pick("expirationDate"),
    maxAge: pick("maxAge"),
  };
}

/** A stable text form of what matters in the credentials (not access times, not cookie order). */
function canonicalForm(creds: ZaloCredentials): string {
  const list = Array.isArray(creds.cookie) ? creds.cookie : creds.cookie.cookies;
  const cookies = list.map(canonicalCookie).sort((a, b) => {
    const ka = `${a.domain}|${a.path}|${a.key}`;
    const kb = `${b.domain}|${b.path}|${b.key}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  return JSON.stringify({ cookies, imei: creds.imei, userAgent: creds.userAgent, language: creds.language ?? null });
}

function signature(key: Buffer, creds: ZaloCredentials): string {
  return createHmac("sha256", key).update("sig:").update(canonicalForm(creds)).digest("base64");
}

async function readRecord(db: Database): Promise<StoredRecord | null> {
  const row = await readChannelSetting(db, credentialsSettingKey);
  if (!row) return null;
  let record: unknown;
  try {
    record = JSON.parse(row.value);
  } catch {
    throw new CredentialStoreError(
      "corrupted",
      "the stored Zalo login is damaged (not JSON); log in again with `chihoi zalo login`",
    );
  }
  const r = record as Partial<StoredRecord> | null;
  if (
    r?.v !== 1 ||
    typeof r.salt !== "string" ||
    typeof r.iv !== "string" ||
    typeof r.tag !== "string" ||
    typeof r.data !== "string" ||
    typeof r.kcv !== "string"
  )
    throw new CredentialStoreError(
      "corrupted",
      "the stored Zalo login is damaged (unknown format); log in again with `chihoi zalo login`",
    );
  return r as StoredRecord;
}

/** The key derived for an existing record, after checking it is the right one. */
function keyFor(record: StoredRecord, secret: string): Buffer {
  const key = deriveKey(secret, Buffer.from(record.salt, "base64"));
  const expected = Buffer.from(keyCheck(key));
  const given = Buffer.from(record.kcv);
  if (expected.length !== given.length || !timingSafeEqual(expected, given))
    throw new CredentialStoreError(
      "wrong_key",
      "the stored Zalo login was encrypted with another ZALO_CREDENTIALS_KEY; restore that key or log in again",
    );
  return key;
}

/**
 * Encrypts and stores the credentials, unless they are unchanged (same signature). Returns true
 * when it wrote. A record under another key or a damaged one is replaced. Throws
 * CredentialStoreError("invalid") for incomplete credentials. With `expectedUpdatedAt` (a time
 * from `credentialsUpdatedAt`, or null for "none stored") it writes only if nobody else wrote
 * since: a running channel's refreshed cookies never overwrite a newer login.
 */
export async function saveCredentials(
  db: Database,
  secret: string,
  creds: ZaloCredentials,
  now = new Date(),
  expectedUpdatedAt?: number | null,
): Promise<boolean> {
  const clean = parseCredentials(creds);
  let existing: StoredRecord | null = null;
  let key: Buffer | undefined;
  try {
    existing = await readRecord(db);
    if (existing) key = keyFor(existing, secret);
  } catch (error) {
    if (!(error instanceof CredentialStoreError)) throw error;
    existing = null;
    key = undefined;
  }
  // Reuse the record's salt: one scrypt per process, new IV on every write.
  const salt = existing && key ? Buffer.from(existing.salt, "base64") : randomBytes(16);
  key ??= deriveKey(secret, salt);
  const sig = signature(key, clean);
  if (existing && existing.sig === sig) return false;
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(credentialsSettingKey));
  const data = Buffer.concat([cipher.update(JSON.stringify(clean), "utf8"), cipher.final()]);
  const record: StoredRecord = {
    v: 1,
    kdf: "scrypt",
    salt: salt.toString("base64"),
    iv: iv.toString("base64"),
    tag: cipher.getAuthTag().toString("base64"),
    data: data.toString("base64"),
    kcv: keyCheck(key),
    sig,
  };
  if (expectedUpdatedAt !== undefined)
    return await replaceChannelSetting(db, {
      key: credentialsSettingKey,
      value: JSON.stringify(record),
      now,
      expectedUpdatedAt,
    });
  await writeChannelSetting(db, credentialsSettingKey, JSON.stringify(record), now);
  return true;
}

/**
 * Loads and decrypts the stored credentials; null when none are stored. Throws
 * CredentialStoreError: "wrong_key" (another ZALO_CREDENTIALS_KEY), "corrupted" (damaged record),
 * "invalid" (decrypted but incomplete).
 */
export async function loadCredentials(db: Database, secret: string): Promise<ZaloCredentials | null> {
  const record = await readRecord(db);
  if (!record) return null;
  const key = keyFor(record, secret);
  let plain: string;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(record.iv, "base64"));
    decipher.setAAD(Buffer.from(credentialsSettingKey));
    decipher.setAuthTag(Buffer.from(record.tag, "base64"));
    plain = Buffer.concat([decipher.update(Buffer.from(record.data, "base64")), decipher.final()]).toString("utf8");
  } catch {
    throw new CredentialStoreError(
      "corrupted",
      "the stored Zalo login is damaged (it does not decrypt); log in again with `chihoi zalo login`",
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(plain);
  } catch {
    throw new CredentialStoreError(
      "corrupted",
      "the stored Zalo login is damaged (not JSON); log in again with `chihoi zalo login`",
    );
  }
  return parseCredentials(value);
}

/** When the stored credentials were last written (ms), or null. Cheap: no decryption. */
export async function credentialsUpdatedAt(db: Database): Promise<number | null> {
  return (await readChannelSetting(db, credentialsSettingKey))?.updatedAt ?? null;
}

/** Removes the stored credentials (log out). */
export async function clearCredentials(db: Database): Promise<void> {
  await deleteChannelSetting(db, credentialsSettingKey);
}

// ────────────────────────────────────────────────────────────── status

export type ZaloState = "stopped" | "connecting" | "online" | "needs_login" | "taken_over";

export interface ZaloStatus {
  state: ZaloState;
  /** Last inbound event (ms), or null. */
  lastEventAt: number | null;
  /** Short description of the last problem; never contains secrets. */
  lastError: string | null;
  /** When `state` was entered (ms). */
  since: number;
}

const zaloStates: readonly ZaloState[] = ["stopped", "connecting", "online", "needs_login", "taken_over"];

/** The stored channel status; "stopped" since 0 when none was written yet. */
export async function readZaloStatus(db: Database): Promise<ZaloStatus> {
  const row = await readChannelSetting(db, statusSettingKey);
  const fallback: ZaloStatus = { state: "stopped", lastEventAt: null, lastError: null, since: 0 };
  if (!row) return fallback;
  try {
    const v = JSON.parse(row.value) as Partial<ZaloStatus>;
    return {
      state: zaloStates.includes(v.state as ZaloState) ? (v.state as ZaloState) : "stopped",
      lastEventAt: typeof v.lastEventAt === "number" ? v.lastEventAt : null,
      lastError: typeof v.lastError === "string" ? v.lastError : null,
      since: typeof v.since === "number" ? v.since : 0,
    };
  } catch {
    return fallback;
  }
}

/**
 * Updates the stored status. A change of `state` moves `since` to `now` (unless given); the same
 * state keeps it. Returns the new status.
 */
export async function writeZaloStatus(db: Database, patch: Partial<ZaloStatus>, now = new Date()): Promise<ZaloStatus> {
  // Read and write in one transaction: another writer in this process must not slip in between.
  return db.transaction(async () => {
    const current = await readZaloStatus(db);
    const next: ZaloStatus = { ...current, ...patch };
    if (patch.state !== undefined && patch.state !== current.state && patch.since === undefined)
      next.since = now.getTime();
    await writeChannelSetting(db, statusSettingKey, JSON.stringify(next), now);
    return next;
  });
}
