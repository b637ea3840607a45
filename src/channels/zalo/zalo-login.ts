/**
 * The admin side of the Zalo personal account: `chihoi zalo login` (QR login), `chihoi zalo import`
 * (credentials extracted from a browser, for servers where QR login fails) and `chihoi zalo status`.
 *
 * The QR comes from Zalo as a PNG only (zca-js's QRCodeGenerated event gives the picture and a
 * polling code, not the text the picture holds), so it is saved as a file, read with jsQR, and the
 * text drawn again in the terminal with half-block characters, light on dark like qrcode-terminal.
 * When the picture cannot be read, only the file path is printed.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import jsqr from "jsqr";
import { PNG } from "pngjs";
import QRCode from "qrcode";
import type { Database } from "../../storage/database.ts";
import { bilingual, type Translate } from "../../lib/i18n.ts";
import { recordAudit } from "../../domain/audit/audit-service.ts";
import {
  backedOffZaloAccounts,
  rateLimitedZaloChats,
  zaloQueueLength,
} from "../../domain/channels-state/zalo-state.ts";
import {
  CredentialStoreError,
  credentialsUpdatedAt,
  loadCredentials,
  parseCredentials,
  readZaloStatus,
  saveCredentials,
  writeZaloStatus,
  type CredentialProblem,
  type ZaloState,
} from "./credential-store.ts";
import { zca } from "./normalise-zalo-event.ts";
import type * as Zca from "../../../node_modules/zca-js/dist/index.js";

// ────────────────────────────────────────────────────────────── QR from PNG

/** The text of the QR code in a PNG picture; null when the picture is not a readable QR code. */
export function qrTextFromPng(png: Buffer): string | null {
  let image: { width: number; height: number; data: Buffer };
  try {
    image = PNG.sync.read(png);
  } catch {
    return null;
  }
  // jsqr is CommonJS: Node hands its module.exports over as the default import, the function sits on .default.
  const code = jsqr.default(
    new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length),
    image.width,
    image.height,
  );
  return code ? code.data : null;
}

/**
 * A QR code of `text` for the terminal: light modules as blocks, two rows a line (for dark
 * terminals, like qrcode-terminal), with a quiet zone of two modules.
 */
export async function terminalQr(text: string): Promise<string> {
  const drawing = await QRCode.toString(text, {
    type: "utf8",
    errorCorrectionLevel: "M",
    margin: 2,
    color: { dark: "#ffffff", light: "#000000" },
  });
  return drawing.replace(/\n+$/, "");
}

// ────────────────────────────────────────────────────────────── login

export interface ZaloLoginOptions {
  db: Database;
  /** config.zalo.credentialsKey */
  key: string;
  /** Prints one line (or block) to the terminal. */
  out: (text: string) => void;
  /** Where the QR picture is saved. */
  qrPngPath: string;
  /** Keep the user agent the cookies will be used with; default zca-js's (Firefox on Windows). */
  userAgent?: string;
  /** Messages; default bilingual `cli.zalo_login_*`. */
  t?: Translate;
  /** New QR codes after expiry before giving up. */
  maxRetries?: number;
  /** Tests: a zca-js `Zalo`-like object. */
  zalo?: Pick<Zca.Zalo, "loginQR">;
}

/** The QR login ended on the phone or by time, not by a fault: say which, in the user's words. */
export class ZaloLoginError extends Error {
  override readonly name = "ZaloLoginError";
  constructor(
    readonly reason: "declined" | "expired",
    message: string,
  ) {
    super(message);
  }
}

export interface ZaloLoginResult {
  uid: string | null;
  displayName: string | null;
}

/**
 * QR login: shows the QR code in the terminal and saves it as PNG, stores the credentials
 * (encrypted) as soon as Zalo hands them over, then logs in once to refresh and check them. A
 * running service waiting for a login picks the new credentials up by itself; the QR picture is
 * deleted after a successful login. Throws ZaloLoginError when the login was declined on the phone
 * or the QR code expired too often (zca-js itself would only say "aborted"), and zca-js's errors
 * otherwise ("Cannot get session" — QR login often fails from cloud servers: use
 * importZaloCredentials then).
 */
export async function runZaloLogin(options: ZaloLoginOptions): Promise<ZaloLoginResult> {
  const { db, key, out, qrPngPath } = options;
  const t = options.t ?? ((k: string, p?: Record<string, string | number>) => bilingual(k, p));
  const zalo = options.zalo ?? new zca.Zalo({ checkUpdate: false, logging: false, selfListen: false });
  const maxRetries = options.maxRetries ?? 2;
  let retries = 0;
  let stored = false;
  let ended: "declined" | "expired" | null = null;
  const api = await zalo
    .loginQR({ qrPath: qrPngPath, userAgent: options.userAgent, language: "vi" }, async (event) => {
      switch (event.type) {
        case zca.LoginQRCallbackEventType.QRCodeGenerated: {
          const png = Buffer.from(event.data.image, "base64");
          writeFileSync(qrPngPath, png);
          const text = qrTextFromPng(png);
          out(t("cli.zalo_login_scan"));
          if (text) out(await terminalQr(text));
          out(t("cli.zalo_login_qr_saved", { path: qrPngPath }));
          return;
        }
        case zca.LoginQRCallbackEventType.QRCodeExpired:
          if (retries++ < maxRetries) {
            out(t("cli.zalo_login_expired"));
            event.actions.retry();
          } else {
            ended = "expired";
            event.actions.abort();
          }
          return;
        case zca.LoginQRCallbackEventType.QRCodeScanned:
          out(t("cli.zalo_login_scanned", { name: event.data?.display_name ?? "" }));
          return;
        case zca.LoginQRCallbackEventType.QRCodeDeclined:
          ended = "declined";
          event.actions.abort();
          return;
        case zca.LoginQRCallbackEventType.GotLoginInfo:
          await saveCredentials(db, key, {
            cookie: event.data.cookie,
            imei: event.data.imei,
            userAgent: event.data.userAgent,
            language: "vi",
          });
          stored = true;
          return;
      }
    })
    .catch((error: unknown) => {
      // Our own abort() makes zca-js reject with "Operation aborted": name the real reason.
      if (ended === "declined") throw new ZaloLoginError("declined", t("cli.zalo_login_declined"));
      if (ended === "expired") throw new ZaloLoginError("expired", t("zalo.login_expired", { times: retries }));
      throw error;
    });
  // The cookie login that follows may have renewed cookies: keep the newest.
  const ctx = api.getContext();
  const cookies = ctx.cookie?.toJSON()?.cookies;
  if (cookies?.length) {
    await saveCredentials(db, key, {
      cookie: cookies,
      imei: ctx.imei,
      userAgent: ctx.userAgent,
      language: ctx.language,
    });
    stored = true;
  }
  if (!stored) throw new CredentialStoreError("invalid", "Zalo returned no credentials");
  let displayName: string | null = null;
  try {
    const info = await api.fetchAccountInfo();
    displayName = info?.profile?.displayName || info?.profile?.zaloName || null;
  } catch {
    /* the name is only for the confirmation line */
  }
  const uid = ctx.uid ? String(ctx.uid) : null;
  // The picture is a one-time login token: no use keeping it.
  rmSync(qrPngPath, { force: true });
  await afterNewCredentials(db);
  await recordAudit(db, { source: "cli", action: "zalo.login", detail: { uid } });
  out(t("cli.zalo_login_done", { name: displayName ?? uid ?? "" }));
  return { uid, displayName };
}

/** A halted status no longer applies once new credentials are stored. */
async function afterNewCredentials(db: Database): Promise<void> {
  const status = await readZaloStatus(db);
  if (status.state === "needs_login" || status.state === "taken_over")
    await writeZaloStatus(db, { state: "stopped", lastError: null });
}

export interface ImportResult {
  /** False when the same credentials were already stored. */
  written: boolean;
  cookieCount: number;
}

/**
 * Stores credentials exported from a browser (ZaloDataExtractor and similar: `{ imei, cookie,
 * userAgent }`, cookies as a list or as `{ url, cookies }`). Throws CredentialStoreError("invalid")
 * naming what is missing; never echoes the file's content.
 */
export async function importZaloCredentials(db: Database, key: string, jsonFile: string): Promise<ImportResult> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(jsonFile, "utf8"));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : "not valid JSON";
    throw new CredentialStoreError("invalid", `cannot read Zalo credentials from ${jsonFile}: ${reason}`);
  }
  if (value && typeof value === "object" && !("cookie" in value) && "cookies" in value)
    value = { ...value, cookie: (value as { cookies: unknown }).cookies };
  const creds = parseCredentials(value);
  const written = await saveCredentials(db, key, creds);
  const cookieCount = Array.isArray(creds.cookie) ? creds.cookie.length : creds.cookie.cookies.length;
  await afterNewCredentials(db);
  await recordAudit(db, { source: "cli", action: "zalo.import", detail: { cookieCount, written } });
  return { written, cookieCount };
}

// ────────────────────────────────────────────────────────────── status

export interface ZaloBackoff {
  chatId: string;
  until: Date;
  /** "account": ChatAccount.backoffUntil; "outbox": a message waiting after a rate limit (code 123). */
  source: "account" | "outbox";
}

export interface ZaloStatusReport {
  state: ZaloState;
  /** When the state was entered; null when the channel never ran. */
  since: Date | null;
  lastEventAt: Date | null;
  lastError: string | null;
  credentials: "ok" | "missing" | CredentialProblem;
  credentialsSavedAt: Date | null;
  /** Outbox messages for Zalo not yet sent (pending or being sent). */
  queueLength: number;
  backedOff: ZaloBackoff[];
}

/** What `chihoi zalo status` shows. Data only; the CLI words it. Never throws for bad credentials. */
export async function zaloStatusReport(db: Database, key: string, now = new Date()): Promise<ZaloStatusReport> {
  const status = await readZaloStatus(db);
  let credentials: ZaloStatusReport["credentials"] = "ok";
  try {
    if (!(await loadCredentials(db, key))) credentials = "missing";
  } catch (error) {
    credentials = error instanceof CredentialStoreError ? error.problem : "corrupted";
  }
  const savedAt = await credentialsUpdatedAt(db);
  const queueLength = await zaloQueueLength(db);
  const t = now.getTime();
  const accounts = await backedOffZaloAccounts(db, t);
  const outbox = await rateLimitedZaloChats(db, t);
  const backedOff: ZaloBackoff[] = [
    ...accounts.map((a) => ({ chatId: a.externalId, until: new Date(a.backoffUntil), source: "account" as const })),
    ...outbox.map((o) => ({ chatId: o.chatId, until: new Date(o.until), source: "outbox" as const })),
  ];
  return {
    state: status.state,
    since: status.since ? new Date(status.since) : null,
    lastEventAt: status.lastEventAt ? new Date(status.lastEventAt) : null,
    lastError: status.lastError,
    credentials,
    credentialsSavedAt: savedAt ? new Date(savedAt) : null,
    queueLength,
    backedOff,
  };
}
