import { describe, expect, it } from "vitest";
import { useTreeDatabase } from "../../helpers/tree.ts";
import { addTestPerson } from "../../helpers/people.ts";
import { isAppError } from "../../../src/lib/app-error.ts";
import { matchUnits } from "../../../src/domain/units/unit-match.ts";
import { requestSignInCode, signInLimits } from "../../../src/domain/web-auth/sign-in-service.ts";
import {
  findSignInTarget,
  requestSignInCodeByName,
  verifySignInCodeByName,
} from "../../../src/domain/web-auth/sign-in-by-name.ts";
import { getPerson } from "../../../src/domain/people/people-service.ts";
import { storedBody } from "../../helpers/outbox.ts";

const ctx = useTreeDatabase();
const t0 = new Date("2026-11-20T03:00:00Z");
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (isAppError(e) ? e.code : String(e)),
  );
}

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

const outbox = async () =>
  Number(
    (
      await ctx.db.kysely
        .selectFrom("Outbox")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe("matchUnits", () => {
  it("should find every unit a name, words of a name or a path may mean, with or without diacritics", async () => {
    const names = async (ref: string) => (await matchUnits(ctx.db, ref)).map((u) => u.id);
    const { branchA1, branchB1, communeA, branchB2 } = ctx.tree;
    expect(await names("Chi hội 1")).toEqual([branchA1.id, branchB1.id]);
    expect(await names("chi hoi 1")).toEqual([branchA1.id, branchB1.id]);
    expect(await names("Phuoc Hoa / Chi hoi 1")).toEqual([branchA1.id]);
    expect(await names("phước hòa")).toEqual([communeA.id]);
    expect(await names("khu pho 3")).toEqual([branchB2.id]);
    expect(await names("Chi hội 9")).toEqual([]);
    expect(await names("hoi 1_%")).toEqual([]);
    expect(await names("  ")).toEqual([]);
  });
});

describe("requestSignInCodeByName", () => {
  it("should send the code of the one person with rights of that name in that unit, typed without diacritics", async () => {
    const cadre = await addTestPerson(ctx.db, ctx.tree.branchA1.id, "Nguyễn Văn Cán", { role: "cadre" });
    await expect(
      requestSignInCodeByName(ctx.db, { name: "nguyen van  CAN", unit: "chi hoi 1", ip: "1.1.1.1" }, t0),
    ).resolves.toEqual({ outcome: "sent", accounts: 1 });
    expect(
      await verifySignInCodeByName(
        ctx.db,
        { name: "Nguyễn Văn Cán", unit: "Xã Phước Hòa / Chi hội 1", code: await sentCode(cadre), ip: "1.1.1.1" },
        at(1),
      ),
    ).toBe(cadre);
    // A member of that name, or nobody: the same outcome shape, nothing sent.
    await addTestPerson(ctx.db, ctx.tree.branchA2.id, "Trần Thị Hội Viên");
    const before = await outbox();
    expect(
      (await requestSignInCodeByName(ctx.db, { name: "Tran Thi Hoi Vien", unit: "Chi hội 2", ip: "1.1.1.1" }, at(2)))
        .outcome,
    ).toBe("no_rights");
    expect(
      (await requestSignInCodeByName(ctx.db, { name: "Không Có Ai", unit: "Chi hội 2", ip: "1.1.1.1" }, at(2))).outcome,
    ).toBe("unknown");
    // The right name in another unit is nobody.
    expect(
      (await requestSignInCodeByName(ctx.db, { name: "Nguyễn Văn Cán", unit: "Chi hội 2", ip: "1.1.1.1" }, at(2)))
        .outcome,
    ).toBe("unknown");
    expect(await outbox()).toBe(before);
    expect(
      await codeOf(
        requestSignInCodeByName(ctx.db, { name: "Nguyễn Văn Cán", unit: "Chi hội 99", ip: "1.1.1.1" }, at(2)),
      ),
    ).toBe("unit_not_found");
    expect(await codeOf(requestSignInCodeByName(ctx.db, { name: " ", unit: "Chi hội 1", ip: "1.1.1.1" }, at(2)))).toBe(
      "invalid_input",
    );
    expect(
      await codeOf(
        requestSignInCodeByName(ctx.db, { name: "Nguyễn Văn Cán", unit: "x".repeat(201), ip: "1.1.1.1" }, at(2)),
      ),
    ).toBe("invalid_input");
  });

  it("should send nothing when several people with rights share the name there, and accept no code for them", async () => {
    const one = await addTestPerson(ctx.db, ctx.tree.branchA1.id, "Nguyễn Văn Cán", { role: "cadre" });
    const two = await addTestPerson(ctx.db, ctx.tree.branchB1.id, "Nguyen Van Can", { role: "official" });
    const before = await outbox();
    // "Chi hội 1" means both branches: two people with rights of that name.
    expect((await findSignInTarget(ctx.db, "Nguyễn Văn Cán", "Chi hội 1")).target).toBe("ambiguous");
    expect(
      (await requestSignInCodeByName(ctx.db, { name: "Nguyễn Văn Cán", unit: "Chi hội 1", ip: "1.1.1.1" }, t0)).outcome,
    ).toBe("ambiguous");
    expect(await outbox()).toBe(before);
    // A code sent by phone is not accepted through the ambiguous name.
    await requestSignInCode(ctx.db, { phone: (await getPerson(ctx.db, one)).phone!, ip: "1.1.1.1" }, at(1));
    expect(
      await codeOf(
        verifySignInCodeByName(
          ctx.db,
          { name: "Nguyễn Văn Cán", unit: "Chi hội 1", code: await sentCode(one), ip: "1.1.1.1" },
          at(2),
        ),
      ),
    ).toBe("code_invalid");
    // Naming the commune too makes it one person again.
    expect((await findSignInTarget(ctx.db, "Nguyễn Văn Cán", "Quy Nhơn Nam / Chi hội 1")).target).toMatchObject({
      id: two,
    });
    // A namesake without rights does not make it ambiguous.
    await addTestPerson(ctx.db, ctx.tree.branchA2.id, "Lê Văn Bốn", { role: "cadre" });
    await addTestPerson(ctx.db, ctx.tree.branchA2.id, "Le Van Bon");
    expect(
      (await requestSignInCodeByName(ctx.db, { name: "Lê Văn Bốn", unit: "Chi hội 2", ip: "1.1.1.1" }, at(3))).outcome,
    ).toBe("sent");
  });

  it("should count against the same limits as by phone: per person, per address and overall", async () => {
    const cadre = await addTestPerson(ctx.db, ctx.tree.branchA1.id, "Nguyễn Văn Cán", { role: "cadre" });
    const phone = (await getPerson(ctx.db, cadre)).phone!;
    const byName = (ip: string, when: Date, unit = "Phước Hòa / Chi hội 1") =>
      requestSignInCodeByName(ctx.db, { name: "Nguyễn Văn Cán", unit, ip }, when);
    // Per person: codes by phone and by name add up.
    for (let i = 0; i < signInLimits.perPersonPerHour - 1; i++)
      expect((await byName(`10.0.0.${i}`, at(i))).outcome).toBe("sent");
    expect((await requestSignInCode(ctx.db, { phone, ip: "10.0.0.9" }, at(5))).outcome).toBe("sent");
    expect((await byName("10.0.1.1", at(6))).outcome).toBe("person_limited");
    // Per address: requests by name, including unknown units, count with those by phone.
    for (let i = 0; i < signInLimits.perAddressPer15Min - 1; i++)
      await codeOf(byName("2.2.2.2", at(100), `Chi hội ${i + 50}`));
    await requestSignInCode(ctx.db, { phone: "0900000001", ip: "2.2.2.2" }, at(100));
    expect(await codeOf(byName("2.2.2.2", at(101)))).toBe("code_throttled");
    expect(await codeOf(byName("2.2.2.3", at(101)))).toBeUndefined();
    // Overall.
    for (let i = 0; i < signInLimits.globalPerMinute; i++)
      await requestSignInCode(ctx.db, { phone: "0900000001", ip: `3.3.${i >> 8}.${i & 255}` }, at(200));
    expect(await codeOf(byName("4.4.4.4", at(200)))).toBe("code_throttled");
  });
});
