import { describe, expect, it } from "vitest";
import { sameSecret } from "../../src/lib/same-secret.ts";

describe("sameSecret", () => {
  it("should accept exactly the configured secret", () => {
    expect(sameSecret("s3cret-token_ABC", "s3cret-token_ABC")).toBe(true);
  });

  it("should refuse a missing, empty, shorter, longer or different secret", () => {
    expect(sameSecret(undefined, "s3cret")).toBe(false);
    expect(sameSecret("", "s3cret")).toBe(false);
    expect(sameSecret("s3cre", "s3cret")).toBe(false);
    expect(sameSecret("s3cret!", "s3cret")).toBe(false);
    expect(sameSecret("S3cret", "s3cret")).toBe(false);
  });
});
