import { describe, expect, it } from "vitest";
import { Writable } from "node:stream";
import { createLogger } from "../../src/lib/logger.ts";

/** The real logger writing into a string. */
function capture() {
  let out = "";
  const stream = new Writable({
    write(chunk, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  return { logger: createLogger("trace", stream), output: () => out };
}

const telegramToken = "7350123456:AAHk3v9Qx_secretTelegramTokenValue-123";
const shortToken = "123:ABC";
const zaloBotToken = "1234567890:zb-SuperSecretZaloBotToken";
const webhookSecret = "wh-secret-4f9a8b7c6d5e";
const cookieValue = "zpw_sek=Zalo.Session.Cookie.Value.987654";
const bearer = "eyJhbGciOiJIUzI1NiJ9.payload.signature";
const sessionSecret = "k9Xq2m4N8p1R7t5V3w6Y0z2A4c6E8g0I2k4M6o8Q1s3";
const imei = "3f2a1b9c-8d7e-4f6a-b5c4-d3e2f1a0b9c8";

const phones = [
  "0912345678",
  "0912 345 678",
  "0912.345.678",
  "0912-345-678",
  "+84912345678",
  "+84 912 345 678",
  "84912345678",
  "(+84) 912-345-678",
  "+84 (0) 912 345 678",
  "0084912345678",
  "028 3829 5555",
  "02838295555",
];

describe("createLogger", () => {
  it("should leave no token, cookie, secret or phone number in a deeply nested, oddly cased log entry", () => {
    const { logger, output } = capture();
    const nested = {
      request: {
        url: `https://api.telegram.org/bot${telegramToken}/sendMessage?chat_id=1`,
        alsoUrl: `https://api.telegram.org/bot${shortToken}/getMe`,
        zalo: `https://bot-api.zaloplatforms.com/bot${zaloBotToken}/sendMessage`,
        encoded: `https://bot-api.zaloplatforms.com/bot${zaloBotToken.replace(":", "%3A")}/getUpdates`,
        headers: {
          Cookie: cookieValue,
          "Set-Cookie": [`chihoi_session=${sessionSecret}; HttpOnly`],
          AUTHORIZATION: `Bearer ${bearer}`,
          "X-Telegram-Bot-Api-Secret-Token": webhookSecret,
        },
      },
      layers: [[{ deeper: [{ Token: "plain-secret-token-value" }, { PHONE: "0987 654 321" }] }]],
      people: phones.map((p, i) => ({ name: `Người ${i}`, note: `gọi số ${p} nhé` })),
      zaloCredentials: { cookie: [{ key: "zpw_sek", value: cookieValue }] },
      device: { IMEI: imei, userAgent: "Mozilla/5.0", cookies: [{ value: cookieValue }] },
      map: new Map([["apiKey", "map-secret-value-123"]]),
      fetchHeaders: new Headers({ authorization: `Basic ${Buffer.from("admin:hunter2-password").toString("base64")}` }),
      text: `raw dump:\nCookie: ${cookieValue}\nAuthorization: Bearer ${bearer}\n`,
      query: `https://example.vn/cb?access_token=qs-secret-123456&ok=1`,
    };
    const error = new Error(
      `request to https://api.telegram.org/bot${telegramToken}/getUpdates failed for 0912345678`,
      {
        cause: new Error(`Set-Cookie: chihoi_session=${sessionSecret}`),
      },
    );
    Object.assign(error, { config: { headers: { Cookie: cookieValue } } });
    logger.info(nested, `sending to +84 912 345 678 with bot${telegramToken}`);
    logger.error({ err: error }, "failed");
    logger
      .child({ module: "x", Session: sessionSecret, url: `https://api.telegram.org/bot${shortToken}/x` })
      .warn("child bindings");
    const out = output();
    const secrets = [
      telegramToken,
      shortToken,
      zaloBotToken,
      zaloBotToken.replace(":", "%3A"),
      webhookSecret,
      cookieValue,
      bearer,
      sessionSecret,
      imei,
      "plain-secret-token-value",
      "map-secret-value-123",
      "qs-secret-123456",
      Buffer.from("admin:hunter2-password").toString("base64"),
      "AAHk3v9Qx",
      "SuperSecretZaloBotToken",
      "0987 654 321",
    ];
    for (const secret of secrets) expect(out, secret).not.toContain(secret);
    for (const p of [...phones, "+84 912 345 678"]) expect(out, p).not.toContain(p);
    // Digits of the phone numbers do not survive in any spacing either.
    expect(out.replace(/[\s.\-()+]/g, "")).not.toMatch(/912345678|838295555|987654321/);
    // What is not secret stays readable.
    expect(out).toContain("Người 3");
    expect(out).toContain("Mozilla/5.0");
    expect(out).toContain("api.telegram.org/bot[REDACTED]/sendMessage");
    expect(out).toContain('"module":"x"');
  });

  it("should keep ordinary numbers (ids, counts, times) that are not phone numbers", () => {
    const { logger, output } = capture();
    logger.info(
      { updateId: 123456789, at: 1764400000000, chatId: "-1001234567890", count: 20071 },
      "update 987654 handled in 12 ms",
    );
    const out = output();
    expect(out).toContain("123456789");
    expect(out).toContain("1764400000000");
    expect(out).toContain("-1001234567890");
    expect(out).toContain("update 987654 handled");
  });

  it("should not choke on cycles and not change the logged object", () => {
    const { logger, output } = capture();
    const a: Record<string, unknown> = { token: "cyclic-secret-token" };
    a.self = a;
    logger.info({ a }, "cycle");
    expect(output()).toContain("[Circular]");
    expect(output()).not.toContain("cyclic-secret-token");
    expect(a.token).toBe("cyclic-secret-token");
  });
});
