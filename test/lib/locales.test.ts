import { describe, expect, it } from "vitest";
import { catalog } from "../../src/lib/i18n.ts";
import { appErrorCodes } from "../../src/lib/app-error.ts";

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
}

describe("locales", () => {
  const vi = catalog("vi");
  const en = catalog("en");

  it("should have the same keys in Vietnamese and English", () => {
    expect([...en.keys()].sort()).toEqual([...vi.keys()].sort());
  });

  it("should use the same placeholders in both languages", () => {
    const mismatches = [...vi.entries()]
      .filter(([key, text]) => JSON.stringify(placeholders(text)) !== JSON.stringify(placeholders(en.get(key) ?? "")))
      .map(([key]) => key);
    expect(mismatches).toEqual([]);
  });

  it("should have a message for every application error code", () => {
    expect(appErrorCodes.filter((code) => !vi.has(`errors.${code}`))).toEqual([]);
  });

  it("should not leave a message empty", () => {
    expect([...vi.entries(), ...en.entries()].filter(([, text]) => !text.trim()).map(([k]) => k)).toEqual([]);
  });
});
