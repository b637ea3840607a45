import { systemActor } from "../../../src/domain/access/actor.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import { buildTree, type TestTree } from "../../helpers/tree.ts";
import { addMembership, createPerson, getPerson } from "../../../src/domain/people/people-service.ts";
import { ensureChatAccount, deliveryAccount, markUnreachable, getAccount } from "../../../src/domain/accounts/account-service.ts";
import { ensureLinkCodes, issueLinkCode, linkByPhone, redeemLinkCode, unlinkAccount } from "../../../src/domain/linking/link-service.ts";
import { isAppError } from "../../../src/lib/app-error.ts";

let db: TestDatabase;
let tree: TestTree;
beforeEach(async () => {
  db = await createTestDatabase();
  tree = buildTree(db);
});
afterEach(() => db.destroy());

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isAppError(e) ? e.code : String(e);
  }
  return undefined;
}

const t0 = new Date("2026-11-23T03:00:00Z");
const minutes = (n: number) => new Date(t0.getTime() + n * 60_000);

describe("issueLinkCode", () => {
  it("should issue a random 6-digit code expiring after 30 days by default", () => {
    const p = createPerson(db, { fullName: "Nguyễn Văn An" });
    const c = issueLinkCode(db, p.id, { now: t0 });
    expect(c.code).toMatch(/^\d{6}$/);
    expect(c.expiresAt - t0.getTime()).toBe(30 * 86_400_000);
    const codes = new Set(Array.from({ length: 30 }, () => issueLinkCode(db, p.id, { now: t0 }).code));
    expect(codes.size).toBeGreaterThan(25);
  });

  it("should revoke the previous code of the person", () => {
    const p = createPerson(db, { fullName: "Nguyễn Văn An" });
    const first = issueLinkCode(db, p.id, { now: t0 });
    issueLinkCode(db, p.id, { now: t0 });
    const acc = ensureChatAccount(db, "telegram", "100");
    expect(code(() => redeemLinkCode(db, acc.id, first.code, t0))).toBe("code_invalid");
  });
});

describe("redeemLinkCode", () => {
  it("should link the account, once, and mark the first account preferred", () => {
    const p = createPerson(db, { fullName: "Nguyễn Văn An" });
    const c = issueLinkCode(db, p.id, { now: t0 });
    const acc = ensureChatAccount(db, "telegram", "100");
    const r = redeemLinkCode(db, acc.id, c.code, t0);
    expect(r).toEqual({ personId: p.id, fullName: "Nguyễn Văn An", newlyLinked: true });
    expect(getAccount(db, acc.id)).toMatchObject({ personId: p.id, preferred: 1 });
    expect(getPerson(db, p.id).linkedAccounts).toBe(1);
    // Sending the same code again from the same account is harmless.
    expect(redeemLinkCode(db, acc.id, c.code, t0).newlyLinked).toBe(false);
    // Single use: another account cannot use it.
    const other = ensureChatAccount(db, "telegram", "200");
    expect(code(() => redeemLinkCode(db, other.id, c.code, t0))).toBe("code_used");
  });

  it("should let one person link several accounts, only the first preferred", () => {
    const p = createPerson(db, { fullName: "Nguyễn Văn An" });
    const tg = ensureChatAccount(db, "telegram", "100");
    const zalo = ensureChatAccount(db, "zalo", "z-100");
    redeemLinkCode(db, tg.id, issueLinkCode(db, p.id, { now: t0 }).code, t0);
    redeemLinkCode(db, zalo.id, issueLinkCode(db, p.id, { now: t0 }).code, t0);
    expect(getAccount(db, zalo.id).preferred).toBe(0);
    expect(deliveryAccount(db, p.id)?.id).toBe(tg.id);
    markUnreachable(db, tg.id, t0);
    expect(deliveryAccount(db, p.id)?.id).toBe(zalo.id);
    expect(getPerson(db, p.id).linkedAccounts).toBe(2);
  });

  it("should refuse linking an account that belongs to someone else", () => {
    const a = createPerson(db, { fullName: "Nguyễn Văn An" });
    const b = createPerson(db, { fullName: "Trần Văn Bình" });
    const acc = ensureChatAccount(db, "telegram", "100");
    redeemLinkCode(db, acc.id, issueLinkCode(db, a.id, { now: t0 }).code, t0);
    expect(code(() => redeemLinkCode(db, acc.id, issueLinkCode(db, b.id, { now: t0 }).code, t0))).toBe("account_linked_elsewhere");
    expect(getAccount(db, acc.id).personId).toBe(a.id);
  });

  it("should refuse an expired code", () => {
    const p = createPerson(db, { fullName: "Nguyễn Văn An" });
    const c = issueLinkCode(db, p.id, { now: t0, ttlDays: 1 });
    const acc = ensureChatAccount(db, "telegram", "100");
    expect(code(() => redeemLinkCode(db, acc.id, c.code, minutes(24 * 60 + 1)))).toBe("code_expired");
    expect(getAccount(db, acc.id).personId).toBeNull();
  });

  it("should throttle after 5 wrong guesses in an hour, even for a right code, and forgive after the hour", () => {
    const p = createPerson(db, { fullName: "Nguyễn Văn An" });
    const c = issueLinkCode(db, p.id, { now: t0 });
    const acc = ensureChatAccount(db, "telegram", "100");
    const wrong = c.code === "000000" ? "111111" : "000000";
    for (let i = 0; i < 5; i++) expect(code(() => redeemLinkCode(db, acc.id, wrong, minutes(i)))).toBe("code_invalid");
    expect(code(() => redeemLinkCode(db, acc.id, c.code, minutes(10)))).toBe("code_throttled");
    // Another account is not affected.
    const other = ensureChatAccount(db, "telegram", "200");
    expect(code(() => redeemLinkCode(db, other.id, wrong, minutes(10)))).toBe("code_invalid");
    expect(redeemLinkCode(db, acc.id, c.code, minutes(65)).personId).toBe(p.id);
  });
});

describe("linkByPhone", () => {
  it("should link when the phone matches the roster and refuse otherwise", () => {
    const p = createPerson(db, { fullName: "Nguyễn Văn An", phone: "0912 345 678" });
    const acc = ensureChatAccount(db, "telegram", "100");
    expect(linkByPhone(db, acc.id, "+84912345678", t0).personId).toBe(p.id);
    const other = ensureChatAccount(db, "telegram", "200");
    expect(code(() => linkByPhone(db, other.id, "0987654321", t0))).toBe("person_not_found");
  });
});

describe("unlinkAccount", () => {
  it("should unlink and promote another account to preferred", () => {
    const p = createPerson(db, { fullName: "Nguyễn Văn An" });
    const tg = ensureChatAccount(db, "telegram", "100");
    const zalo = ensureChatAccount(db, "zalo", "z-100");
    redeemLinkCode(db, tg.id, issueLinkCode(db, p.id, { now: t0 }).code, t0);
    redeemLinkCode(db, zalo.id, issueLinkCode(db, p.id, { now: t0 }).code, t0);
    expect(unlinkAccount(db, tg.id, t0)).toEqual({ personId: p.id });
    expect(getAccount(db, tg.id).personId).toBeNull();
    expect(getAccount(db, zalo.id).preferred).toBe(1);
    expect(getPerson(db, p.id).linkedAccounts).toBe(1);
    expect(unlinkAccount(db, tg.id, t0)).toBeNull();
  });
});

describe("ensureLinkCodes", () => {
  it("should give each person of the subtree one code and keep it on the next print", () => {
    for (const [unit, name] of [[tree.branchA1.id, "Nguyễn Văn An"], [tree.branchA2.id, "Lê Thị Hoa"], [tree.branchB1.id, "Trần Văn Ba"]] as const) {
      const p = createPerson(db, { fullName: name });
      addMembership(db, systemActor(), p.id, unit, "member");
    }
    const first = ensureLinkCodes(db, systemActor(), tree.communeA.id, { now: t0 });
    expect(first.map((r) => r.fullName)).toEqual(["Nguyễn Văn An", "Lê Thị Hoa"]);
    const again = ensureLinkCodes(db, systemActor(), tree.communeA.id, { now: minutes(5) });
    expect(again.map((r) => r.code)).toEqual(first.map((r) => r.code));
    const renewed = ensureLinkCodes(db, systemActor(), tree.communeA.id, { now: minutes(5), renew: true });
    expect(renewed.map((r) => r.code)).not.toEqual(first.map((r) => r.code));
  });
});
