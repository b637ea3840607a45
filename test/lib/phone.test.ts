import { describe, expect, it } from "vitest";
import { maskPhone, normalisePhone } from "../../src/lib/phone.ts";

describe("normalisePhone", () => {
  it.each([
    ["0912345678", "0912345678"],
    ["0912 345 678", "0912345678"],
    ["0912.345.678", "0912345678"],
    ["091-234-5678", "0912345678"],
    ["+84912345678", "0912345678"],
    ["+84 912 345 678", "0912345678"],
    ["84.912.345.678", "0912345678"],
    ["84912345678", "0912345678"],
    ["(+84) 912-345-678", "0912345678"],
    ["0084912345678", "0912345678"],
    ["912345678", "0912345678"],
    [" 0912345678\u00a0", "0912345678"],
    ["024 3825 1234", "02438251234"],
    ["+84 24 3825 1234", "02438251234"],
  ])("should normalise the text %j to %s", (input, expected) => {
    expect(normalisePhone(input)).toBe(expected);
  });

  it("should restore the leading zero of an Excel number", () => {
    expect(normalisePhone(912345678)).toBe("0912345678");
    expect(normalisePhone(84912345678)).toBe("0912345678");
    expect(normalisePhone(2438251234)).toBe("02438251234");
  });

  // Bug fix: the national 0 written after the country code used to make the number invalid.
  it("should accept the national 0 written after +84", () => {
    expect(normalisePhone("+84 (0) 912 345 678")).toBe("0912345678");
    expect(normalisePhone("+840912345678")).toBe("0912345678");
    expect(normalisePhone("+84 (0)24 3825 1234")).toBe("02438251234");
  });

  // Bug fix: "mobile 10 digits" was documented but any 11-digit number was accepted.
  it("should reject an 11-digit number that is not a 02x landline", () => {
    expect(normalisePhone("09123456789")).toBeNull(); // a mobile with one digit too many
    expect(normalisePhone("0169 123 4567")).toBeNull(); // pre-2018 mobile, no longer dialable
    expect(normalisePhone("8491234567")).toBeNull(); // used to become "08491234567"
    expect(normalisePhone("84123456789")).toBeNull(); // used to become "0123456789"
  });

  it.each([
    [""],
    ["   "],
    ["abc"],
    ["0912 345 67"],
    ["0912345678 / 0987654321"],
    ["0912345678, 0987654321"],
    ["0012345678"],
    ["00912345678"],
    ["1900"],
    ["9.12345678E+08"],
  ])("should reject %j", (input) => {
    expect(normalisePhone(input)).toBeNull();
  });

  it("should reject numbers that cannot be phones", () => {
    expect(normalisePhone(0.5)).toBeNull();
    expect(normalisePhone(912345678.5)).toBeNull();
    expect(normalisePhone(-912345678)).toBeNull();
    expect(normalisePhone(Number.NaN)).toBeNull();
    expect(normalisePhone(12345)).toBeNull();
  });
});

describe("maskPhone", () => {
  it("should mask the middle digits", () => {
    expect(maskPhone("0912345678")).toBe("0912***678");
    expect(maskPhone(null)).toBe("");
    expect(maskPhone("12345")).toBe("***");
  });
});
