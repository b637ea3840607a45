import { describe, expect, it } from "vitest";
import { useTreeDatabase } from "../../helpers/tree.ts";
import { addTestPerson } from "../../helpers/people.ts";
import { appErrorCode as codeOf } from "../../helpers/app-error-code.ts";
import { getPerson } from "../../../src/domain/people/people-service.ts";
import { grantRight, listRights, revokeRight } from "../../../src/domain/access/rights-service.ts";
import { personProfile, searchPeople, unitRoster } from "../../../src/domain/people/people-directory.ts";

const ctx = useTreeDatabase();
const now = new Date("2026-11-20T03:00:00Z");

describe("grantRight", () => {
  it("should show the phone's owner and grant nothing when the name differs, until confirmed", async () => {
    const admin = await addTestPerson(ctx.db, ctx.tree.province.id, "Quản Trị", { role: "admin" });
    const owner = await addTestPerson(ctx.db, ctx.tree.branchA1.id, "Nguyễn Văn Bình");
    const phone = (await getPerson(ctx.db, owner)).phone!;
    const input = { unitId: ctx.tree.branchA1.id, role: "cadre" as const, phone, fullName: "Trần Thị Khác" };
    expect(await grantRight(ctx.db, { actorId: admin, input, now, source: "web" })).toEqual({
      status: "confirm",
      personId: owner,
      fullName: "Nguyễn Văn Bình",
      units: ["Chi hội 1"],
    });
    expect(await listRights(ctx.db, { unitId: ctx.tree.branchA1.id })).toEqual([]);
    expect(
      (
        await grantRight(ctx.db, {
          actorId: admin,
          input: { ...input, fullName: "nguyen van binh" },
          now,
          source: "web",
        })
      ).status,
    ).toBe("granted");
    expect(
      (
        await grantRight(ctx.db, {
          actorId: admin,
          input: { ...input, role: "official", confirmed: true },
          now,
          source: "web",
        })
      ).status,
    ).toBe("granted");
    expect(
      (
        await grantRight(ctx.db, {
          actorId: admin,
          input: { ...input, fullName: "Nguyễn Văn Bình" },
          now,
          source: "web",
        })
      ).status,
    ).toBe("already");
    const created = await grantRight(ctx.db, {
      actorId: admin,
      input: { unitId: ctx.tree.communeB.id, role: "official", phone: "0977000111", fullName: "Người Mới" },
      now,
      source: "web",
    });
    expect(created).toMatchObject({ status: "granted", created: true, fullName: "Người Mới" });
    expect((await listRights(ctx.db, { actorId: admin })).map((r) => [r.fullName, r.role, r.unitName])).toEqual([
      ["Quản Trị", "admin", "Tỉnh Bình Định"],
      ["Nguyễn Văn Bình", "cadre", "Chi hội 1"],
      ["Nguyễn Văn Bình", "official", "Chi hội 1"],
      ["Người Mới", "official", "Phường Quy Nhơn Nam"],
    ]);
    expect(
      await ctx.db.kysely
        .selectFrom("AuditLog")
        .select(["action", "source"])
        .where("action", "like", "rights.%")
        .orderBy("id")
        .execute(),
    ).toHaveLength(3);
  });

  it("should follow the appointment rules: officials appoint cadres below them, never their peers; nothing outside the scope", async () => {
    const adminA = await addTestPerson(ctx.db, ctx.tree.communeA.id, "Quản Trị Xã A", { role: "admin" });
    const officialA = await addTestPerson(ctx.db, ctx.tree.communeA.id, "Lãnh Đạo Xã A", { role: "official" });
    const input = { unitId: ctx.tree.branchB1.id, role: "cadre" as const, phone: "0977000222", fullName: "Ai Đó" };
    expect(await codeOf(() => grantRight(ctx.db, { actorId: adminA, input, now, source: "web" }))).toBe("forbidden");
    expect(
      await ctx.db.kysely.selectFrom("Person").select("id").where("phone", "=", "0977000222").executeTakeFirst(),
    ).toBeUndefined();
    expect(
      (
        await grantRight(ctx.db, {
          actorId: officialA,
          input: { ...input, unitId: ctx.tree.branchA1.id },
          now,
          source: "web",
        })
      ).status,
    ).toBe("granted");
    expect(
      await codeOf(() =>
        grantRight(ctx.db, {
          actorId: officialA,
          input: { ...input, unitId: ctx.tree.communeA.id, role: "official" },
          now,
          source: "web",
        }),
      ),
    ).toBe("forbidden");
    expect(
      await codeOf(() =>
        grantRight(ctx.db, {
          actorId: adminA,
          input: { ...input, unitId: ctx.tree.branchA1.id, phone: "12" },
          now,
          source: "web",
        }),
      ),
    ).toBe("invalid_input");
    expect(
      await codeOf(() =>
        revokeRight(ctx.db, {
          actorId: officialA,
          input: { personId: adminA, unitId: ctx.tree.communeA.id, role: "admin" },
          now,
          source: "web",
        }),
      ),
    ).toBe("forbidden");
    expect(
      await codeOf(() =>
        revokeRight(ctx.db, {
          actorId: adminA,
          input: { personId: adminA, unitId: ctx.tree.communeA.id, role: "admin" },
          now,
          source: "web",
        }),
      ),
    ).toBe("forbidden");
    const cadre = (
      await ctx.db.kysely.selectFrom("Person").select("id").where("phone", "=", "0977000222").executeTakeFirstOrThrow()
    ).id;
    expect(
      await revokeRight(ctx.db, {
        actorId: officialA,
        input: { personId: cadre, unitId: ctx.tree.branchA1.id, role: "cadre" },
        now,
        source: "web",
      }),
    ).toBe(true);
    expect(
      await revokeRight(ctx.db, {
        actorId: officialA,
        input: { personId: cadre, unitId: ctx.tree.branchA1.id, role: "cadre" },
        now,
        source: "web",
      }),
    ).toBe(false);
    expect(await listRights(ctx.db, { actorId: officialA })).toEqual([]);
  });
});

describe("people directory", () => {
  it("should find people by name without diacritics or by phone, only in the viewer's scope", async () => {
    const cadreA1 = await addTestPerson(ctx.db, ctx.tree.branchA1.id, "Cán Bộ", { role: "cadre" });
    const hoa = await addTestPerson(ctx.db, ctx.tree.branchA1.id, "Lê Thị Hoa");
    await addTestPerson(ctx.db, ctx.tree.branchB1.id, "Lê Thị Hoà Bình");
    expect((await searchPeople(ctx.db, cadreA1, "thi hoa")).map((p) => p.id)).toEqual([hoa]);
    expect(
      (await searchPeople(ctx.db, cadreA1, (await getPerson(ctx.db, hoa)).phone!.replace(/^0/, "+84 "))).map(
        (p) => p.id,
      ),
    ).toEqual([hoa]);
    expect(await searchPeople(ctx.db, cadreA1, "%")).toEqual([]);
    expect(await searchPeople(ctx.db, hoa, "thi hoa")).toEqual([]);
    expect(
      (await unitRoster(ctx.db, cadreA1, ctx.tree.branchA1.id)).rows.map((r) => [r.fullName, r.role, r.platforms]),
    ).toEqual([
      ["Cán Bộ", "cadre", "telegram"],
      ["Lê Thị Hoa", "member", "telegram"],
    ]);
    expect(await codeOf(() => unitRoster(ctx.db, cadreA1, ctx.tree.branchB1.id))).toBe("forbidden");
    expect((await personProfile(ctx.db, cadreA1, hoa)).memberships).toEqual([
      { unitId: ctx.tree.branchA1.id, unitName: "Chi hội 1", role: "member", title: null },
    ]);
    const outsider = await addTestPerson(ctx.db, ctx.tree.branchB2.id, "Người Ngoài");
    expect(await codeOf(() => personProfile(ctx.db, cadreA1, outsider))).toBe("forbidden");
  });
});
