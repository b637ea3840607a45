/**
 * The small data modules behind the channels, the service, the CLI and the workplace pages, on the
 * run's engine (SQLite, or PostgreSQL with TEST_DATABASE_URL). Rows are written directly, so these
 * tests need no other module.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import {
  deleteChannelSetting,
  readChannelSetting,
  replaceChannelSetting,
  writeChannelSetting,
} from "../../../src/domain/channels-state/channel-settings.ts";
import {
  backedOffZaloAccounts,
  countBackedOffZaloAccounts,
  isOwnZaloMessage,
  isZaloGroupAllowed,
  nameZaloGroup,
  rateLimitedZaloChats,
  registerZaloGroup,
  zaloQueueLength,
} from "../../../src/domain/channels-state/zalo-state.ts";
import { listChatGroups } from "../../../src/domain/channels-state/chat-group-list.ts";
import {
  hasDemoOrganisation,
  hasRealOrganisation,
  organisationCode,
} from "../../../src/domain/organisations/organisation-presence.ts";
import { adminChatAccounts } from "../../../src/domain/admins/admin-accounts.ts";
import { personChatAccounts, personName, personUnitNames } from "../../../src/domain/person-profile/person-profile.ts";
import { demoWorkplaceRoles } from "../../../src/domain/web-auth/demo-sign-in.ts";
import { openWebChatSession, touchWebChatSession } from "../../../src/domain/web-chat/web-chat-sessions.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.destroy();
});

const t = 1_800_000_000_000;

async function organisation(code: string, isDemo: boolean): Promise<number> {
  return (
    await db.kysely
      .insertInto("Organisation")
      .values({ code, name: code, isDemo, createdAt: t })
      .returning("id")
      .executeTakeFirstOrThrow()
  ).id;
}

async function unit(organisationId: number, name: string, path: string): Promise<number> {
  return (
    await db.kysely
      .insertInto("Unit")
      .values({
        organisationId,
        name,
        nameKey: name.toLowerCase(),
        path,
        depth: path.split("/").length - 2,
        createdAt: t,
      })
      .returning("id")
      .executeTakeFirstOrThrow()
  ).id;
}

async function person(fullName: string, options: { locale?: string; isDemo?: boolean } = {}): Promise<number> {
  return (
    await db.kysely
      .insertInto("Person")
      .values({
        fullName,
        nameKey: fullName.toLowerCase(),
        locale: options.locale ?? "vi",
        isDemo: options.isDemo ?? false,
        createdAt: t,
        updatedAt: t,
      })
      .returning("id")
      .executeTakeFirstOrThrow()
  ).id;
}

async function member(personId: number, unitId: number, role: string): Promise<void> {
  await db.kysely.insertInto("Membership").values({ personId, unitId, role, createdAt: t }).execute();
}

async function account(
  personId: number | null,
  platform: string,
  externalId: string,
  extra: { unreachable?: boolean; preferred?: boolean; backoffUntil?: number; displayName?: string } = {},
): Promise<number> {
  return (
    await db.kysely
      .insertInto("ChatAccount")
      .values({ personId, platform, externalId, createdAt: t, ...extra })
      .returning("id")
      .executeTakeFirstOrThrow()
  ).id;
}

describe("channel settings", () => {
  it("should write, replace, read and delete a value with its time", async () => {
    expect(await readChannelSetting(db, "zalo.test")).toBeUndefined();
    await writeChannelSetting(db, "zalo.test", "one", new Date(t));
    await writeChannelSetting(db, "zalo.test", "two", new Date(t + 5));
    expect(await readChannelSetting(db, "zalo.test")).toEqual({ value: "two", updatedAt: t + 5 });
    await deleteChannelSetting(db, "zalo.test");
    expect(await readChannelSetting(db, "zalo.test")).toBeUndefined();
  });
});

describe("replaceChannelSetting", () => {
  it("should write only over the value last written at the expected time (or only a new key for null)", async () => {
    expect(
      await replaceChannelSetting(db, { key: "zalo.cas", value: "one", now: new Date(t), expectedUpdatedAt: null }),
    ).toBe(true);
    expect(
      await replaceChannelSetting(db, {
        key: "zalo.cas",
        value: "again",
        now: new Date(t + 1),
        expectedUpdatedAt: null,
      }),
    ).toBe(false);
    expect(
      await replaceChannelSetting(db, { key: "zalo.cas", value: "two", now: new Date(t + 2), expectedUpdatedAt: t }),
    ).toBe(true);
    // A writer that read the value at t comes too late: the value of t + 2 stays.
    expect(
      await replaceChannelSetting(db, { key: "zalo.cas", value: "stale", now: new Date(t + 3), expectedUpdatedAt: t }),
    ).toBe(false);
    expect(await readChannelSetting(db, "zalo.cas")).toEqual({ value: "two", updatedAt: t + 2 });
  });
});

describe("zalo state", () => {
  it("should note a group once, name it once, and allow only allowed groups", async () => {
    expect(await registerZaloGroup(db, "g-1", new Date(t))).toBe(true);
    expect(await registerZaloGroup(db, "g-1", new Date(t + 1))).toBe(false);
    expect(await isZaloGroupAllowed(db, "g-1")).toBe(false);
    await nameZaloGroup(db, "g-1", "Chi hội 1");
    await nameZaloGroup(db, "g-1", "Tên khác");
    await db.kysely
      .insertInto("ChatGroup")
      .values({ platform: "zalo", externalId: "g-2", allowed: true, createdAt: t })
      .execute();
    await db.kysely
      .insertInto("ChatGroup")
      .values({ platform: "telegram", externalId: "g-3", allowed: true, createdAt: t })
      .execute();
    expect(await isZaloGroupAllowed(db, "g-2")).toBe(true);
    expect(await isZaloGroupAllowed(db, "g-3")).toBe(false); // another platform's group
    const groups = await listChatGroups(db);
    expect(groups.map((g) => [g.externalId, g.title, g.allowed, g.unitName])).toEqual([
      ["g-1", "Chi hội 1", false, null],
      ["g-2", null, true, null],
      ["g-3", null, true, null],
    ]);
  });

  it("should recognise its own sent messages only", async () => {
    const log = { platform: "zalo", chatId: "200", platformMessageId: "m-1", kind: "text", createdAt: t };
    await db.kysely
      .insertInto("MessageLog")
      .values({ ...log, direction: "out" })
      .execute();
    await db.kysely
      .insertInto("MessageLog")
      .values({ ...log, platformMessageId: "m-2", direction: "in" })
      .execute();
    expect(await isOwnZaloMessage(db, "200", "m-1")).toBe(true);
    expect(await isOwnZaloMessage(db, "200", "m-2")).toBe(false);
    expect(await isOwnZaloMessage(db, "201", "m-1")).toBe(false);
  });

  it("should count the queue and list what waits out a back-off, soonest first", async () => {
    const outbox = async (platform: string, chatId: string, status: string, notBefore: number) =>
      (
        await db.kysely
          .insertInto("Outbox")
          .values({ platform, chatId, body: "{}", status, notBefore, createdAt: t })
          .returning("id")
          .executeTakeFirstOrThrow()
      ).id;
    await outbox("zalo", "u-1", "pending", t);
    await outbox("zalo", "u-2", "sending", t);
    await outbox("zalo", "u-3", "sent", t);
    await outbox("telegram", "x", "pending", t);
    const late = await outbox("zalo", "u-4", "pending", t + 7200_000);
    const later = await outbox("zalo", "u-4", "pending", t + 9000_000);
    const soon = await outbox("zalo", "u-5", "pending", t + 600_000);
    const retried = await outbox("zalo", "u-6", "pending", t + 600_000);
    for (const id of [late, later, soon])
      await db.kysely
        .insertInto("DeliveryAttempt")
        .values({ outboxId: id, outcome: "rate_limited", createdAt: t })
        .execute();
    // Rate limited once, then failed otherwise: its latest attempt is not a rate limit.
    await db.kysely
      .insertInto("DeliveryAttempt")
      .values({ outboxId: retried, outcome: "rate_limited", createdAt: t })
      .execute();
    await db.kysely
      .insertInto("DeliveryAttempt")
      .values({ outboxId: retried, outcome: "transient", createdAt: t + 1 })
      .execute();
    expect(await zaloQueueLength(db)).toBe(6); // pending and sending ones of Zalo only
    expect(await rateLimitedZaloChats(db, t)).toEqual([
      { chatId: "u-5", until: t + 600_000 },
      { chatId: "u-4", until: t + 9000_000 },
    ]);
    await account(null, "zalo", "z-9", { backoffUntil: t + 3600_000 });
    await account(null, "zalo", "z-8", { backoffUntil: t + 60_000 });
    await account(null, "zalo", "z-7", { backoffUntil: t - 1 });
    await account(null, "telegram", "tg-7", { backoffUntil: t + 60_000 });
    expect(await backedOffZaloAccounts(db, t)).toEqual([
      { externalId: "z-8", backoffUntil: t + 60_000 },
      { externalId: "z-9", backoffUntil: t + 3600_000 },
    ]);
    expect(await countBackedOffZaloAccounts(db, t)).toBe(2);
  });
});

describe("organisations, admins and people", () => {
  it("should tell real from demo organisations and read an organisation's code", async () => {
    expect([await hasRealOrganisation(db), await hasDemoOrganisation(db)]).toEqual([false, false]);
    const demo = await organisation("demo-ccb", true);
    expect([await hasRealOrganisation(db), await hasDemoOrganisation(db)]).toEqual([false, true]);
    await organisation("ccb", false);
    expect([await hasRealOrganisation(db), await hasDemoOrganisation(db)]).toEqual([true, true]);
    expect(await organisationCode(db, demo)).toBe("demo-ccb");
    expect(await organisationCode(db, 99_999)).toBeUndefined();
  });

  it("should reach admins on their reachable accounts, leave out the platforms asked, and describe a person", async () => {
    const org = await organisation("org-2", false);
    const root = await unit(org, "Tỉnh", "/900/");
    const branch = await unit(org, "Chi hội", "/900/901/");
    const admin = await person("Quản Trị", { locale: "en" });
    const cadre = await person("Cán Bộ");
    await member(admin, branch, "member");
    await member(admin, root, "admin");
    await member(admin, branch, "admin");
    await member(cadre, branch, "cadre");
    const tg = await account(admin, "telegram", "a-tg", { displayName: "QT" });
    await account(admin, "zalo", "a-zl", { preferred: true });
    await account(admin, "web", "a-web");
    await account(admin, "telegram", "a-gone", { unreachable: true });
    await account(cadre, "telegram", "c-tg");
    const rows = await adminChatAccounts(db, ["zalo", "web"]);
    expect(rows).toEqual([{ id: tg, platform: "telegram", externalId: "a-tg", personId: admin, locale: "en" }]);
    expect((await adminChatAccounts(db, ["web"])).map((r) => r.externalId)).toEqual(["a-tg", "a-zl"]);
    expect((await adminChatAccounts(db, [])).map((r) => r.externalId)).toEqual(["a-tg", "a-zl", "a-web"]);

    expect(await personName(db, admin)).toBe("Quản Trị");
    expect(await personName(db, 99_999)).toBe("");
    expect(await personChatAccounts(db, admin)).toEqual([
      { platform: "zalo", displayName: null },
      { platform: "telegram", displayName: "QT" },
      { platform: "web", displayName: null },
      { platform: "telegram", displayName: null },
    ]);
    // Two memberships in the branch: its name once; the province first (tree order).
    expect(await personUnitNames(db, admin)).toEqual([{ name: "Tỉnh" }, { name: "Chi hội" }]);
  });

  it("should offer the demo people with workplace rights, highest role first", async () => {
    const org = await organisation("demo-2", true);
    const branch = await unit(org, "Chi hội demo", "/950/");
    const a = await person("Demo Cán Bộ", { isDemo: true });
    const b = await person("Demo Quản Trị", { isDemo: true });
    const c = await person("Demo Hội Viên", { isDemo: true });
    const real = await person("Thật", { isDemo: false });
    await member(a, branch, "cadre");
    await member(b, branch, "official");
    await member(b, branch, "admin");
    await member(c, branch, "member");
    await member(real, branch, "admin");
    expect(await demoWorkplaceRoles(db)).toEqual([
      { id: b, fullName: "Demo Quản Trị", role: "admin", unitName: "Chi hội demo" },
      { id: b, fullName: "Demo Quản Trị", role: "official", unitName: "Chi hội demo" },
      { id: a, fullName: "Demo Cán Bộ", role: "cadre", unitName: "Chi hội demo" },
    ]);
  });
});

describe("web chat sessions", () => {
  it("should open sessions up to the per-address limit, slide them on use and expire them when idle", async () => {
    const idle = 60 * 60_000;
    expect(
      await openWebChatSession(db, { id: "s-1", source: "10.0.0.1", idleMs: idle, perAddressPerHour: 2, now: t }),
    ).toBe(true);
    expect(
      await openWebChatSession(db, { id: "s-2", source: "10.0.0.1", idleMs: idle, perAddressPerHour: 2, now: t + 1 }),
    ).toBe(true);
    expect(
      await openWebChatSession(db, { id: "s-3", source: "10.0.0.1", idleMs: idle, perAddressPerHour: 2, now: t + 2 }),
    ).toBe(false);
    expect(
      await openWebChatSession(db, { id: "s-4", source: "10.0.0.2", idleMs: idle, perAddressPerHour: 2, now: t + 3 }),
    ).toBe(true);
    // Used after 50 minutes: its expiry slides, so it is alive after 70.
    expect(await touchWebChatSession(db, "s-1", idle, t + 50 * 60_000)).toBe(true);
    expect(await touchWebChatSession(db, "s-1", idle, t + 70 * 60_000)).toBe(true);
    expect(await touchWebChatSession(db, "s-2", idle, t + 70 * 60_000)).toBe(false);
    expect(await touchWebChatSession(db, "nope", idle, t)).toBe(false);
    // An hour later the address may open again; the expired sessions are removed on the way.
    expect(
      await openWebChatSession(db, {
        id: "s-5",
        source: "10.0.0.1",
        idleMs: idle,
        perAddressPerHour: 2,
        now: t + 2 * 3600_000,
      }),
    ).toBe(true);
    const left = await db.kysely.selectFrom("WebSession").select("id").orderBy("id").execute();
    // s-1 was last used at 70 minutes (alive until 130), the others expired.
    expect(left.map((r) => r.id)).toEqual(["s-1", "s-5"]);
  });
});
