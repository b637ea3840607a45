import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PNG } from "pngjs";
import QRCode from "qrcode";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ZaloLoginError,
  importZaloCredentials,
  qrTextFromPng,
  runZaloLogin,
  terminalQr,
  zaloStatusReport,
  type ZaloLoginOptions,
} from "../../../src/channels/zalo/zalo-login.ts";
import {
  CredentialStoreError,
  loadCredentials,
  saveCredentials,
  writeZaloStatus,
} from "../../../src/channels/zalo/credential-store.ts";
import { zca } from "../../../src/channels/zalo/normalise-zalo-event.ts";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";

const key = "login-test-key-0123456789abc";
let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await db.destroy();
});

/** A minimal 8-bit greyscale PNG. */
function grayPng(width: number, height: number, pixel: (x: number, y: number) => number): Buffer {
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0 });
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      png.data[i] = png.data[i + 1] = png.data[i + 2] = pixel(x, y);
      png.data[i + 3] = 255;
    }
  return PNG.sync.write(png, { colorType: 0 });
}

function modulesOf(text: string): boolean[][] {
  const qr = QRCode.create(text, { errorCorrectionLevel: "M" });
  const size = qr.modules.size;
  return Array.from({ length: size }, (_, r) => Array.from({ length: size }, (_, c) => Boolean(qr.modules.get(r, c))));
}

describe("qrTextFromPng", () => {
  it("should read back the text of a QR code picture at several scales and margins", async () => {
    for (const [text, scale, margin] of [
      ["https://id.zalo.me/account?qr=abc123", 4, 4],
      ["x".repeat(120), 3, 1],
      ["ZALO", 7, 2],
    ] as const) {
      const png = await QRCode.toBuffer(text, { errorCorrectionLevel: "M", scale, margin });
      expect(qrTextFromPng(png)).toBe(text);
    }
  });

  it("should read greyscale and dark-on-colour pictures", async () => {
    const png = await QRCode.toBuffer("chihoi", {
      errorCorrectionLevel: "M",
      scale: 5,
      color: { dark: "#0068ffff", light: "#ffffffff" },
    });
    expect(qrTextFromPng(png)).toBe("chihoi");
    const matrix = modulesOf("chihoi");
    const gray = grayPng((matrix.length + 8) * 4, (matrix.length + 8) * 4, (x, y) =>
      matrix[Math.floor(y / 4) - 4]?.[Math.floor(x / 4) - 4] ? 30 : 230,
    );
    expect(qrTextFromPng(gray)).toBe("chihoi");
  });

  it("should give up on pictures that are not a QR code", async () => {
    expect(qrTextFromPng(Buffer.from("not a png"))).toBeNull();
    const png = await QRCode.toBuffer("abc", { scale: 4 });
    expect(qrTextFromPng(png.subarray(0, 60))).toBeNull();
    // A 30×30 greyscale picture with one black square: a picture, but no QR code.
    expect(qrTextFromPng(grayPng(30, 30, (x, y) => (x >= 5 && x < 15 && y >= 5 && y < 15 ? 0 : 255)))).toBeNull();
    expect(qrTextFromPng(grayPng(30, 30, () => 255))).toBeNull();
  });
});

describe("terminalQr", () => {
  it("should draw two rows per line with a quiet zone, light modules as blocks", async () => {
    const m = modulesOf("ZALO");
    const lines = (await terminalQr("ZALO")).split("\n");
    expect(lines).toHaveLength(Math.ceil((m.length + 4) / 2));
    expect(lines.every((l) => [...l].length === m.length + 4)).toBe(true);
    expect(lines[0]).toBe("█".repeat(m.length + 4));
    // Line 2 holds module rows 0–1: the finder's dark top edge over its light inner ring.
    expect([...lines[1]!].slice(2, 9).join("")).toBe(" ▄▄▄▄▄ ");
  });
});

describe("runZaloLogin", () => {
  it("should show the QR, save it as PNG while it is needed and store the credentials encrypted", async () => {
    const png = await QRCode.toBuffer("https://id.zalo.me/qr/test", { scale: 4 });
    const qrPngPath = path.join(db.dir, "qr.png");
    const lines: string[] = [];
    let savedPicture: Buffer | undefined;
    const cookies = [{ key: "zpw_sek", value: "SECRET-new", domain: "chat.zalo.me", path: "/" }];
    const fakeZalo = {
      async loginQR(_options: unknown, callback: (event: unknown) => void) {
        callback({
          type: zca.LoginQRCallbackEventType.QRCodeGenerated,
          data: { image: png.toString("base64"), code: "c", token: "t", options: {} },
          actions: { saveToFile: async () => {}, retry: () => {}, abort: () => {} },
        });
        savedPicture = readFileSync(qrPngPath);
        callback({
          type: zca.LoginQRCallbackEventType.QRCodeScanned,
          data: { display_name: "Chi Hội", avatar: "" },
          actions: {},
        });
        callback({
          type: zca.LoginQRCallbackEventType.GotLoginInfo,
          data: { cookie: cookies, imei: "SECRET-imei", userAgent: "UA" },
          actions: null,
        });
        return {
          getContext: () => ({
            uid: "100",
            imei: "SECRET-imei",
            userAgent: "UA",
            language: "vi",
            cookie: { toJSON: () => ({ cookies }) },
          }),
          fetchAccountInfo: async () => ({ profile: { displayName: "Chi Hội" } }),
        };
      },
    } as unknown as NonNullable<ZaloLoginOptions["zalo"]>;
    await writeZaloStatus(db, { state: "needs_login", lastError: "no Zalo login stored" });

    const result = await runZaloLogin({
      db,
      key,
      out: (l) => lines.push(l),
      qrPngPath,
      zalo: fakeZalo,
      t: (k, p) => `${k}${p ? JSON.stringify(p) : ""}`,
    });

    expect(result).toEqual({ uid: "100", displayName: "Chi Hội" });
    expect(savedPicture?.equals(png)).toBe(true);
    expect(existsSync(qrPngPath)).toBe(false);
    expect(lines.some((l) => l.includes("█"))).toBe(true);
    expect(lines).toContain(await terminalQr("https://id.zalo.me/qr/test"));
    expect(lines).toContain(`cli.zalo_login_qr_saved${JSON.stringify({ path: qrPngPath })}`);
    expect(lines.at(-1)).toBe(`cli.zalo_login_done${JSON.stringify({ name: "Chi Hội" })}`);
    expect(await loadCredentials(db, key)).toMatchObject({ imei: "SECRET-imei", userAgent: "UA", cookie: cookies });
    expect(lines.join("\n")).not.toContain("SECRET");
    expect((await zaloStatusReport(db, key)).state).toBe("stopped");
    expect(
      await db.kysely.selectFrom("AuditLog").select("action").where("action", "=", "zalo.login").executeTakeFirst(),
    ).toBeDefined();
  });
});

/**
 * A fake of id.zalo.me's QR login pages for zca-js's real `Zalo.loginQR` (every request goes
 * through the `polyfill` fetch): the login page, then the QR code, then the phone's answer.
 */
function fakeQrLoginFetch(png: Buffer, confirm: Record<string, unknown>): { fetch: typeof fetch; paths: string[] } {
  const paths: string[] = [];
  const fake = (async (input: string | URL | Request) => {
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
    if (url.hostname !== "id.zalo.me") throw new TypeError(`fetch failed: the fake does not serve ${url.hostname}`);
    paths.push(url.pathname);
    const json = (body: unknown) =>
      new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });
    switch (url.pathname) {
      case "/account":
        return new Response(`<script src="https://stc-zlogin.zdn.vn/main-2.44.10.js"></script>`, {
          headers: { "content-type": "text/html" },
        });
      case "/account/logininfo":
      case "/account/verify-client":
        return json({ error_code: 0, data: {} });
      case "/account/authen/qr/generate":
        return json({
          error_code: 0,
          data: {
            code: "qr-code-1",
            image: `data:image/png;base64,${png.toString("base64")}`,
            token: "t",
            options: {},
          },
        });
      case "/account/authen/qr/waiting-scan":
        return json({ error_code: 0, data: { avatar: "", display_name: "Chi Hội" } });
      case "/account/authen/qr/waiting-confirm":
        return json(confirm);
      default:
        return json({ error_code: 404, error_message: "not found" });
    }
  }) as typeof fetch;
  return { fetch: fake, paths };
}

describe("runZaloLogin with zca-js's real QR login", () => {
  it("should say the login was declined on the phone, not that it was aborted", async () => {
    const png = await QRCode.toBuffer("https://id.zalo.me/qr/test", { scale: 4 });
    const fake = fakeQrLoginFetch(png, { error_code: -13, error_message: "declined" });
    const zalo = new zca.Zalo({ checkUpdate: false, logging: false, selfListen: false, polyfill: fake.fetch });
    const lines: string[] = [];
    const qrPngPath = path.join(db.dir, "qr.png");
    const t: NonNullable<ZaloLoginOptions["t"]> = (k, p) => `${k}${p ? JSON.stringify(p) : ""}`;
    const error = await runZaloLogin({ db, key, out: (l) => lines.push(l), qrPngPath, zalo, t }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ZaloLoginError);
    expect(error).toMatchObject({ reason: "declined", message: "cli.zalo_login_declined" });
    expect(String((error as Error).message)).not.toMatch(/abort/i);
    expect(fake.paths).toContain("/account/authen/qr/waiting-confirm");
    expect(lines).toContain(`cli.zalo_login_scanned${JSON.stringify({ name: "Chi Hội" })}`);
    expect(await loadCredentials(db, key)).toBeNull();
  });
});

describe("importZaloCredentials", () => {
  it("should store credentials exported from a browser", async () => {
    const file = path.join(db.dir, "zalo.json");
    writeFileSync(
      file,
      JSON.stringify({
        imei: "i-1",
        userAgent: "UA",
        cookies: [{ name: "zpw_sek", value: "v", domain: ".chat.zalo.me" }],
      }),
    );
    expect(await importZaloCredentials(db, key, file)).toEqual({ written: true, cookieCount: 1 });
    expect(await importZaloCredentials(db, key, file)).toEqual({ written: false, cookieCount: 1 });
    expect((await loadCredentials(db, key))!.imei).toBe("i-1");
  });

  it("should explain what is wrong with a bad file and keep what was stored", async () => {
    await saveCredentials(db, key, { imei: "kept", userAgent: "UA", cookie: [{ key: "a", value: "b" }] });
    const file = path.join(db.dir, "bad.json");
    writeFileSync(file, JSON.stringify({ cookie: [{ name: "a", value: "b" }], userAgent: "UA" }));
    await expect(importZaloCredentials(db, key, file)).rejects.toThrow(CredentialStoreError);
    await expect(importZaloCredentials(db, key, file)).rejects.toThrow(/imei/);
    writeFileSync(file, "{oops");
    await expect(importZaloCredentials(db, key, file)).rejects.toThrow(/not valid JSON/);
    await expect(importZaloCredentials(db, key, path.join(db.dir, "missing.json"))).rejects.toThrow(/not found/);
    expect((await loadCredentials(db, key))!.imei).toBe("kept");
    expect(existsSync(file)).toBe(true);
  });
});

describe("zaloStatusReport", () => {
  it("should report state, credentials, queue and backed-off recipients", async () => {
    const now = new Date(1_800_000_000_000);
    expect(await zaloStatusReport(db, key, now)).toMatchObject({
      state: "stopped",
      since: null,
      credentials: "missing",
      queueLength: 0,
      backedOff: [],
    });

    await saveCredentials(db, key, { imei: "i", userAgent: "UA", cookie: [{ key: "a", value: "b" }] });
    await writeZaloStatus(db, { state: "online", lastEventAt: now.getTime() - 5000 }, new Date(now.getTime() - 60_000));
    const t = now.getTime();
    const insertOutbox = async (chatId: string, status: string, notBefore: number) =>
      (
        await db.kysely
          .insertInto("Outbox")
          .values({ platform: "zalo", chatId, body: "{}", status, notBefore, createdAt: t })
          .returning("id")
          .executeTakeFirstOrThrow()
      ).id;
    await insertOutbox("u-1", "pending", t);
    await insertOutbox("u-2", "sending", t);
    await insertOutbox("u-3", "sent", t);
    const limited = await insertOutbox("u-4", "pending", t + 3 * 3600_000);
    await db.kysely
      .insertInto("DeliveryAttempt")
      .values({ outboxId: limited, outcome: "rate_limited", errorCode: 123, createdAt: t })
      .execute();
    await db.kysely
      .insertInto("Outbox")
      .values({ platform: "telegram", chatId: "x", body: "{}", status: "pending", notBefore: t, createdAt: t })
      .execute();
    await db.kysely
      .insertInto("ChatAccount")
      .values({ platform: "zalo", externalId: "u-9", backoffUntil: t + 3600_000, createdAt: t })
      .execute();
    await db.kysely
      .insertInto("ChatAccount")
      .values({ platform: "zalo", externalId: "u-8", backoffUntil: t - 1, createdAt: t })
      .execute();

    const report = await zaloStatusReport(db, key, now);
    expect(report).toMatchObject({
      state: "online",
      since: new Date(t - 60_000),
      lastEventAt: new Date(t - 5000),
      credentials: "ok",
      queueLength: 3,
      backedOff: [
        { chatId: "u-9", until: new Date(t + 3600_000), source: "account" },
        { chatId: "u-4", until: new Date(t + 3 * 3600_000), source: "outbox" },
      ],
    });
    expect((await zaloStatusReport(db, "some-other-key-0123456789")).credentials).toBe("wrong_key");
  });
});
