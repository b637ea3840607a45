import { describe, expect, it } from "vitest";
import { useTreeDatabase } from "../../helpers/tree.ts";
import { systemActor } from "../../../src/domain/access/actor.ts";
import { addTestPerson } from "../../helpers/people.ts";
import { appErrorCode as codeOf } from "../../helpers/app-error-code.ts";
import { addMembership, getPerson } from "../../../src/domain/people/people-service.ts";
import {
  createSignInLink,
  peekSignInLink,
  redeemSignInLink,
  requestSignInCode,
  signInLimits,
  verifySignInCode,
} from "../../../src/domain/web-auth/sign-in-service.ts";
import {
  createWebSession,
  endAllWebSessions,
  endWebSession,
  resumeWebSession,
  sessionAbsoluteMs,
  sessionIdleMs,
} from "../../../src/domain/web-auth/web-session-service.ts";
import { removeMembership } from "../../../src/domain/people/people-service.ts";
import { storedBody } from "../../helpers/outbox.ts";

const ctx = useTreeDatabase();
const t0 = new Date("2026-11-20T03:00:00Z");
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);

/** The code the bot sent to a person (read back from the outbox, as a member would read their chat). */
async function sentCode(personId: number): Promise<string> {
  const row = await ctx.db.kysely
    .selectFrom("Outbox")
    .select(storedBody)
    .where("personId", "=", personId)
    .where("dedupeKey", "like", "web-signin:%")
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();
  return /(\d{6})/.exec(JSON.parse(row!.body).text)![1]!;
}

describe("requestSignInCode", () => {
  it("should send a 6-digit code in Vietnamese to every linked account of a cadre, and nothing for a member or an unknown phone", async () => {
    const cadre = await addTestPerson(ctx.db, ctx.tree.branchA1.id, "Nguyễn Văn Cán", { role: "cadre" });
    const phone = (await getPerson(ctx.db, cadre)).phone!;
    expect(await requestSignInCode(ctx.db, { phone, ip: "1.1.1.1" }, t0)).toEqual({ outcome: "sent", accounts: 1 });
    const body = JSON.parse(
      (
        await ctx.db.kysely
          .selectFrom("Outbox")
          .select(storedBody)
          .where("personId", "=", cadre)
          .executeTakeFirstOrThrow()
      ).body,
    );
    expect(body.text).toMatch(/^Mã đăng nhập Chi Hội: \d{6}, hết hạn sau 10 phút/);

    const member = await addTestPerson(ctx.db, ctx.tree.branchA1.id, "Trần Thị Hội Viên");
    expect(
      (await requestSignInCode(ctx.db, { phone: (await getPerson(ctx.db, member)).phone!, ip: "1.1.1.1" }, t0)).outcome,
    ).toBe("no_rights");
    expect((await requestSignInCode(ctx.db, { phone: "0999999999", ip: "1.1.1.1" }, t0)).outcome).toBe("unknown");
    expect(
      (
        await ctx.db.kysely
          .selectFrom("Outbox")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("personId", "!=", cadre)
          .executeTakeFirstOrThrow()
      ).n,
    ).toBe(0);
    const unlinked = await addTestPerson(ctx.db, ctx.tree.branchA1.id, "Lê Văn Chưa Liên Kết", {
      role: "official",
      linked: false,
    });
    expect(
      (await requestSignInCode(ctx.db, { phone: (await getPerson(ctx.db, unlinked)).phone!, ip: "1.1.1.1" }, t0))
        .outcome,
    ).toBe("not_linked");
    expect(await codeOf(() => requestSignInCode(ctx.db, { phone: "abc", ip: "1.1.1.1" }, t0))).toBe("invalid_input");
  });

  it("should limit codes per person, per source address and overall", async () => {
    const cadre = await addTestPerson(ctx.db, ctx.tree.branchA1.id, "Cán Bộ", { role: "cadre" });
    const phone = (await getPerson(ctx.db, cadre)).phone!;
    for (let i = 0; i < signInLimits.perPersonPerHour; i++)
      expect((await requestSignInCode(ctx.db, { phone, ip: `10.0.0.${i}` }, at(i))).outcome).toBe("sent");
    expect((await requestSignInCode(ctx.db, { phone, ip: "10.0.1.1" }, at(10))).outcome).toBe("person_limited");
    expect((await requestSignInCode(ctx.db, { phone, ip: "10.0.1.1" }, at(61))).outcome).toBe("sent");

    for (let i = 0; i < signInLimits.perAddressPer15Min; i++)
      await requestSignInCode(ctx.db, { phone: `09000000${String(i).padStart(2, "0")}`, ip: "2.2.2.2" }, at(100));
    expect(await codeOf(() => requestSignInCode(ctx.db, { phone, ip: "2.2.2.2" }, at(101)))).toBe("code_throttled");
    expect(
      await codeOf(() => requestSignInCode(ctx.db, { phone: "0900000099", ip: "2.2.2.3" }, at(101))),
    ).toBeUndefined();
    expect(await codeOf(() => requestSignInCode(ctx.db, { phone, ip: "2.2.2.2" }, at(116)))).toBeUndefined();

    for (let i = 0; i < signInLimits.globalPerMinute; i++)
      await requestSignInCode(ctx.db, { phone: "0900000001", ip: `3.3.${i >> 8}.${i & 255}` }, at(200));
    expect(await codeOf(() => requestSignInCode(ctx.db, { phone: "0900000001", ip: "4.4.4.4" }, at(200)))).toBe(
      "code_throttled",
    );
  });
});

describe("verifySignInCode", () => {
  it("should accept the code once, refuse it after 10 minutes, and burn it after too many wrong guesses", async () => {
    const cadre = await addTestPerson(ctx.db, ctx.tree.branchA1.id, "Cán Bộ", { role: "cadre" });
    const phone = (await getPerson(ctx.db, cadre)).phone!;
    await requestSignInCode(ctx.db, { phone, ip: null }, t0);
    const code = await sentCode(cadre);
    expect(
      await verifySignInCode(ctx.db, { phone, code: `${code.slice(0, 3)} ${code.slice(3)}`, ip: null }, at(1)),
    ).toBe(cadre);
    expect(await codeOf(() => verifySignInCode(ctx.db, { phone, code, ip: null }, at(2)))).toBe("code_invalid");

    await requestSignInCode(ctx.db, { phone, ip: null }, at(3));
    const late = await sentCode(cadre);
    expect(await codeOf(() => verifySignInCode(ctx.db, { phone, code: late, ip: null }, at(13)))).toBe("code_expired");

    await requestSignInCode(ctx.db, { phone, ip: null }, at(20));
    const right = await sentCode(cadre);
    const wrong = right === "000000" ? "111111" : "000000";
    for (let i = 0; i < signInLimits.guessesPerCode; i++)
      expect(await codeOf(() => verifySignInCode(ctx.db, { phone, code: wrong, ip: `5.5.5.${i}` }, at(21)))).toBe(
        "code_invalid",
      );
    expect(await codeOf(() => verifySignInCode(ctx.db, { phone, code: right, ip: "6.6.6.6" }, at(22)))).toBe(
      "code_invalid",
    );
  });

  it("should refuse a code once the person lost their rights, and stop an address after many failures", async () => {
    const cadre = await addTestPerson(ctx.db, ctx.tree.branchA1.id, "Cán Bộ", { role: "cadre" });
    await addMembership(ctx.db, {
      actor: systemActor("cli"),
      personId: cadre,
      unitId: ctx.tree.branchA1.id,
      role: "member",
    });
    const phone = (await getPerson(ctx.db, cadre)).phone!;
    await requestSignInCode(ctx.db, { phone, ip: null }, t0);
    await removeMembership(ctx.db, {
      actor: systemActor("cli"),
      personId: cadre,
      unitId: ctx.tree.branchA1.id,
      role: "cadre",
    });
    expect(
      await codeOf(async () => verifySignInCode(ctx.db, { phone, code: await sentCode(cadre), ip: null }, at(1))),
    ).toBe("code_invalid");
    for (let i = 0; i < signInLimits.failuresPerAddressPerHour; i++)
      await codeOf(() => verifySignInCode(ctx.db, { phone: "0900000000", code: "123456", ip: "7.7.7.7" }, at(2)));
    expect(await codeOf(() => verifySignInCode(ctx.db, { phone, code: "123456", ip: "7.7.7.7" }, at(3)))).toBe(
      "code_throttled",
    );
  });
});

describe("createSignInLink", () => {
  it("should make a one-time link for an admin without a linked account, and refuse a member", async () => {
    const admin = await addTestPerson(ctx.db, ctx.tree.province.id, "Quản Trị", { role: "admin", linked: false });
    const { token } = await createSignInLink(ctx.db, admin, t0);
    expect((await peekSignInLink(ctx.db, token, at(1)))?.personId).toBe(admin);
    expect(await redeemSignInLink(ctx.db, token, null, at(1))).toBe(admin);
    expect(await codeOf(() => redeemSignInLink(ctx.db, token, null, at(2)))).toBe("code_invalid");
    const other = (await createSignInLink(ctx.db, admin, t0)).token;
    expect(await codeOf(() => redeemSignInLink(ctx.db, other, null, at(24 * 60 + 1)))).toBe("code_invalid");
    const member = await addTestPerson(ctx.db, ctx.tree.branchA1.id, "Hội Viên");
    expect(await codeOf(() => createSignInLink(ctx.db, member, t0))).toBe("forbidden");
    expect(
      (
        await ctx.db.kysely
          .selectFrom("WebSignInCode")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("codeHash", "=", token)
          .executeTakeFirstOrThrow()
      ).n,
    ).toBe(0);
  });
});

describe("resumeWebSession", () => {
  it("should keep a session alive while used, end it when idle, at its absolute expiry, on sign out and everywhere", async () => {
    const cadre = await addTestPerson(ctx.db, ctx.tree.branchA1.id, "Cán Bộ", { role: "cadre" });
    const a = await createWebSession(ctx.db, cadre, t0);
    expect((await resumeWebSession(ctx.db, a.token, at(1)))?.personId).toBe(cadre);
    expect(await resumeWebSession(ctx.db, "x".repeat(43), at(1))).toBeUndefined();
    // Used every hour: alive until the absolute expiry.
    const hours = sessionAbsoluteMs / 3_600_000;
    for (let h = 1; h < hours; h++) expect(await resumeWebSession(ctx.db, a.token, at(h * 60))).toBeDefined();
    expect(await resumeWebSession(ctx.db, a.token, at(hours * 60))).toBeUndefined();

    const b = await createWebSession(ctx.db, cadre, t0);
    expect(await resumeWebSession(ctx.db, b.token, new Date(t0.getTime() + sessionIdleMs))).toBeUndefined();

    const c = await createWebSession(ctx.db, cadre, t0);
    await endWebSession(ctx.db, c.session.id, at(1));
    expect(await resumeWebSession(ctx.db, c.token, at(2))).toBeUndefined();

    const d = await createWebSession(ctx.db, cadre, t0);
    const e = await createWebSession(ctx.db, cadre, t0);
    expect(await endAllWebSessions(ctx.db, cadre, at(1))).toBe(4); // a, b (expired, never ended), d, e
    expect(await resumeWebSession(ctx.db, d.token, at(2))).toBeUndefined();
    expect(await resumeWebSession(ctx.db, e.token, at(2))).toBeUndefined();
    // The token itself is not stored.
    expect(
      await ctx.db.kysely.selectFrom("AdminSession").select("id").where("tokenHash", "=", d.token).executeTakeFirst(),
    ).toBeUndefined();
  });
});
