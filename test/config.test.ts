import { describe, expect, it } from "vitest";
import { ConfigError, configVariables, loadConfig } from "../src/config.ts";
import { catalog } from "../src/lib/i18n.ts";

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("loadConfig accepted the environment");
}

describe("loadConfig", () => {
  it("should say in Vietnamese and in English what a variable needs, not zod's words", () => {
    const message = configError({ PORT: "abc" });
    expect(message.split("\n")).toEqual([
      `PORT: cần một số cổng từ 0 đến 65535, ví dụ 3000 (đang là "abc")`,
      `PORT: expected a port number from 0 to 65535, such as 3000 (got "abc")`,
    ]);
    expect(message).not.toMatch(/Invalid input|NaN|received/);
    expect(configError({ PORT: "70000" })).toContain("PORT: expected a port number from 0 to 65535");
    expect(configError({ DEMO_MODE: "maybe" }).split("\n")[0]).toBe(
      `DEMO_MODE: cần auto, on hoặc off (đang là "maybe")`,
    );
  });

  it("should word the rules between variables and never echo a secret", () => {
    const message = configError({ TELEGRAM_BOT_TOKEN: "123456:abcdefghijklmnopqrstuvwxyz", TELEGRAM_MODE: "webhook" });
    expect(message.split("\n")).toEqual([
      "TELEGRAM_WEBHOOK_URL: cần một địa chỉ https (bắt buộc khi TELEGRAM_MODE=webhook)",
      "TELEGRAM_WEBHOOK_URL: expected an https URL (required when TELEGRAM_MODE=webhook)",
    ]);
    expect(configError({ TELEGRAM_BOT_TOKEN: "not-a-token-secret" })).not.toContain("not-a-token-secret");
  });

  it("should have words for every variable in both languages", () => {
    for (const lang of ["vi", "en"] as const) {
      const missing = configVariables.filter((name) => !catalog(lang).has(`config.expected.${name}`));
      expect(missing, lang).toEqual([]);
    }
  });
});
