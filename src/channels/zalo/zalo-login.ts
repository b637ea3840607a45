/**
 * The admin side of the Zalo personal account: `chihoi zalo login` (QR login), `chihoi zalo import`
 * (credentials extracted from a browser, for servers where QR login fails) and `chihoi zalo status`.
 *
 * The QR comes from Zalo as a PNG only (its payload is not given), so it is saved as a file and
 * drawn in the terminal from the PNG's own pixels: a small PNG decoder finds the modules through
 * the finder patterns and prints them with half-block characters, light on dark like
 * qrcode-terminal. When the picture cannot be read that way, only the file path is printed.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { inflateSync } from "node:zlib";
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

interface Gray {
  width: number;
  height: number;
  /** Luminance 0–255 per pixel, alpha composited over white. */
  lum: Uint8Array;
}

const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Decodes a non-interlaced PNG (any colour type, 1–16 bits) to luminance; null when it cannot. */
export function decodePngGray(png: Buffer): Gray | null {
  if (png.length < 33 || !png.subarray(0, 8).equals(pngSignature)) return null;
  let width = 0,
    height = 0,
    depth = 0,
    colour = 0,
    interlace = 0;
  let palette: Buffer | undefined;
  let paletteAlpha: Buffer | undefined;
  const idat: Buffer[] = [];
  for (let at = 8; at + 8 <= png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString("latin1", at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    at += 12 + length;
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      depth = data[8]!;
      colour = data[9]!;
      interlace = data[12]!;
    } else if (type === "PLTE") palette = data;
    else if (type === "tRNS") paletteAlpha = data;
    else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
  }
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colour];
  if (
    !width ||
    !height ||
    !channels ||
    interlace !== 0 ||
    ![1, 2, 4, 8, 16].includes(depth) ||
    width * height > 25_000_000
  )
    return null;
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat));
  } catch {
    return null;
  }
  const bitsPerPixel = channels * depth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  if (raw.length < height * (stride + 1)) return null;
  const lines = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    for (let i = 0; i < stride; i++) {
      const x = raw[src + i]!;
      const a = i >= bpp ? lines[row + i - bpp]! : 0;
      const b = y > 0 ? lines[row - stride + i]! : 0;
      const c = i >= bpp && y > 0 ? lines[row - stride + i - bpp]! : 0;
      let v: number;
      switch (filter) {
        case 0:
          v = x;
          break;
        case 1:
          v = x + a;
          break;
        case 2:
          v = x + b;
          break;
        case 3:
          v = x + ((a + b) >> 1);
          break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a),
            pb = Math.abs(p - b),
            pc = Math.abs(p - c);
          v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
          break;
        }
        default:
          return null;
      }
      lines[row + i] = v & 0xff;
    }
  }
  const max = (1 << Math.min(depth, 8)) - 1;
  const sample = (row: number, index: number): number => {
    if (depth === 16) return lines[row + index * 2]!;
    if (depth === 8) return lines[row + index]!;
    const bit = index * depth;
    return (lines[row + (bit >> 3)]! >> (8 - depth - (bit & 7))) & max;
  };
  const lum = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    for (let x = 0; x < width; x++) {
      let r: number,
        g: number,
        b: number,
        alpha = 255;
      const s = (k: number) => sample(row, x * channels + k);
      if (colour === 3) {
        const index = s(0);
        if (!palette || index * 3 + 2 >= palette.length) return null;
        r = palette[index * 3]!;
        g = palette[index * 3 + 1]!;
        b = palette[index * 3 + 2]!;
        if (paletteAlpha && index < paletteAlpha.length) alpha = paletteAlpha[index]!;
      } else if (colour === 0 || colour === 4) {
        r = g = b = depth >= 8 ? s(0) : Math.round((s(0) * 255) / max);
        if (colour === 4) alpha = s(1);
      } else {
        r = s(0);
        g = s(1);
        b = s(2);
        if (colour === 6) alpha = s(3);
      }
      const l = 0.299 * r + 0.587 * g + 0.114 * b;
      lum[y * width + x] = Math.round((l * alpha + 255 * (255 - alpha)) / 255);
    }
  }
  return { width, height, lum };
}

function isFinder(m: boolean[][], top: number, left: number): boolean {
  for (let r = 0; r < 7; r++)
    for (let c = 0; c < 7; c++) {
      const ring = Math.max(Math.abs(r - 3), Math.abs(c - 3));
      if (m[top + r]?.[left + c] !== (ring !== 2)) return false;
    }
  return true;
}

/** The module matrix (true = dark) of the QR code in an image, found through its finder patterns. */
export function qrMatrixFromPng(png: Buffer): boolean[][] | null {
  const img = decodePngGray(png);
  if (!img) return null;
  const dark = (x: number, y: number) => img.lum[Math.floor(y) * img.width + Math.floor(x)]! < 128;
  let y0 = -1,
    x0 = -1;
  for (let y = 0; y < img.height && y0 < 0; y++)
    for (let x = 0; x < img.width; x++)
      if (dark(x, y)) {
        y0 = y;
        x0 = x;
        break;
      }
  if (y0 < 0) return null;
  let run = 0;
  while (x0 + run < img.width && dark(x0 + run, y0)) run++;
  let x1 = img.width - 1;
  while (x1 > x0 && !dark(x1, y0)) x1--;
  const approx = (x1 - x0 + 1) / (run / 7);
  const size = 21 + 4 * Math.round((approx - 21) / 4);
  if (size < 21 || size > 177 || Math.abs(size - approx) > 1.5) return null;
  const step = (x1 - x0 + 1) / size;
  if (y0 + size * step > img.height + 1) return null;
  const m: boolean[][] = [];
  for (let r = 0; r < size; r++) {
    const row: boolean[] = [];
    for (let c = 0; c < size; c++)
      row.push(dark(Math.min(img.width - 1, x0 + (c + 0.5) * step), Math.min(img.height - 1, y0 + (r + 0.5) * step)));
    m.push(row);
  }
  if (!isFinder(m, 0, 0) || !isFinder(m, 0, size - 7) || !isFinder(m, size - 7, 0)) return null;
  return m;
}

/** Terminal drawing of a QR matrix: light modules as blocks (for dark terminals), two rows a line. */
export function renderQrMatrix(m: boolean[][], quiet = 2): string {
  const size = m.length;
  const light = (r: number, c: number) => r < 0 || c < 0 || r >= size || c >= size || !m[r]![c];
  const lines: string[] = [];
  for (let r = -quiet; r < size + quiet; r += 2) {
    let line = "";
    for (let c = -quiet; c < size + quiet; c++) {
      const top = light(r, c);
      const bottom = light(r + 1, c);
      line += top && bottom ? "█" : top ? "▀" : bottom ? "▄" : " ";
    }
    lines.push(line);
  }
  return lines.join("\n");
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
          const matrix = qrMatrixFromPng(png);
          out(t("cli.zalo_login_scan"));
          if (matrix) out(renderQrMatrix(matrix));
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
