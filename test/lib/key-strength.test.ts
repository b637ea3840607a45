import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { estimateKeyBits, minKeyBits } from "../../src/lib/key-strength.ts";
import { ConfigError, loadConfig } from "../../src/config.ts";

describe("estimateKeyBits", () => {
  it("should accept a key made as the README says and refuse weak ones", () => {
    for (let i = 0; i < 20; i++)
      expect(estimateKeyBits(randomBytes(32).toString("base64"))).toBeGreaterThanOrEqual(minKeyBits);
    expect(estimateKeyBits(randomBytes(16).toString("hex"))).toBeGreaterThanOrEqual(minKeyBits);
    for (const weak of [
      "a long random secret",
      "0123456789abcdef",
      "Matkhau@2026!abc",
      "a".repeat(64),
      "abababababababababababababababab",
      "",
    ])
      expect(estimateKeyBits(weak), weak).toBeLessThan(minKeyBits);
  });
});

describe("loadConfig ZALO_CREDENTIALS_KEY", () => {
  it("should refuse a key under 128 bits with a message saying how to make one, and never show the key", () => {
    let error: unknown;
    try {
      loadConfig({ ZALO_ENABLED: "1", ZALO_CREDENTIALS_KEY: "Matkhau@2026!abc" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^ZALO_CREDENTIALS_KEY: expected .*128 bits.*openssl rand -base64 32/m);
    expect((error as Error).message).not.toContain("Matkhau");
    const key = randomBytes(32).toString("base64");
    expect(loadConfig({ ZALO_ENABLED: "1", ZALO_CREDENTIALS_KEY: key }).zalo?.credentialsKey).toBe(key);
  });
});
