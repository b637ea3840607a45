import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config.ts";

const base = {
  DATABASE_URL: "file:./unused.db",
  ZALO_BOT_TOKEN: "1234567890:zb-config-test-token",
  ZALO_BOT_MODE: "webhook",
  ZALO_BOT_WEBHOOK_SECRET: "webhook-secret-123",
};

describe("loadConfig for the Zalo Bot Platform", () => {
  it("should refuse a webhook URL that is not https, naming the variable and why", () => {
    for (const url of ["http://chihoi.example.vn", "ftp://chihoi.example.vn"]) {
      const error = (() => {
        try {
          loadConfig({ ...base, ZALO_BOT_WEBHOOK_URL: url });
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/^ZALO_BOT_WEBHOOK_URL: expected an https:\/\/ URL .*HTTPS/m);
    }
  });

  it("should accept an https webhook URL, and any URL in polling mode", () => {
    expect(loadConfig({ ...base, ZALO_BOT_WEBHOOK_URL: "https://chihoi.example.vn" }).zaloBot).toMatchObject({
      mode: "webhook",
      webhookUrl: "https://chihoi.example.vn",
    });
    expect(
      loadConfig({ ...base, ZALO_BOT_MODE: "polling", ZALO_BOT_WEBHOOK_URL: "http://localhost:3000" }).zaloBot,
    ).toMatchObject({ mode: "polling" });
  });
});
