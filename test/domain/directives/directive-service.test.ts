import { systemActor } from "../../../src/domain/access/actor.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import { buildTree, type TestTree } from "../../helpers/tree.ts";
import { isAppError } from "../../../src/lib/app-error.ts";
import { addMembership } from "../../../src/domain/people/people-service.ts";
import { ensureChatAccount, markUnreachable } from "../../../src/domain/accounts/account-service.ts";
import {
  claim,
  enqueue,
  getOutboxRow,
  markFinal,
  type OutboxBody,
} from "../../../src/domain/deliveries/outbox-service.ts";
import { getPendingQuestion, setPendingQuestion } from "../../../src/domain/conversation-state.ts";
import { createOrganisation } from "../../../src/domain/units/unit-service.ts";
import {
  createDirective,
  directiveAudience,
  directiveAudienceCounts,
  directiveProgress,
  getDirective,
  listRecentDirectives,
  markRead,
  normaliseDirectiveNumber,
  renderDirectiveText,
  sendDirective,
  summaryMaxLength,
  validateDirective,
  type DirectiveInput,
} from "../../../src/domain/directives/directive-service.ts";
import { addTestPerson, accountOf as accountOfPerson, type TestPersonOptions } from "../../helpers/people.ts";
import { inOrder } from "../../helpers/in-order.ts";
import { storedBody } from "../../helpers/outbox.ts";

const t0 = new Date("2026-11-20T03:00:00Z");
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
const DAY = 86_400_000;

let db: TestDatabase;
let tree: TestTree;

beforeEach(async () => {
  db = await createTestDatabase();
  tree = await buildTree(db);
});
afterEach(() => db.destroy());

const person = (unitId: number, fullName: string, options?: TestPersonOptions) =>
  addTestPerson(db, unitId, fullName, options);

const accountOf = (personId: number) => accountOfPerson(db, personId);

async function code(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (e) {
    return isAppError(e) ? e.code : String(e);
  }
  return undefined;
}

async function errorOf(fn: () => unknown): Promise<{ code: string; params: Record<string, unknown> } | undefined> {
  try {
    await fn();
  } catch (e) {
    if (isAppError(e)) return { code: e.code, params: e.params };
    throw e;
  }
  return undefined;
}

const count = async (
  table: "Directive" | "AuditLog" | "Outbox" | "DirectiveDelivery" | "ScheduledJob" | "OutboxBody",
) =>
  Number(
    (
      await db.kysely
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

function input(createdById: number, overrides: Partial<DirectiveInput> = {}): DirectiveInput {
  return {
    unitId: tree.communeA.id,
    kind: "nghi_quyet",
    number: "05-NQ/HCCB",
    issuer: "Ban Thường vụ Hội CCB tỉnh",
    title: "Nghị quyết về công tác hội năm 2027",
    summary:
      "Tập trung phát triển hội viên mới, chăm lo hội viên khó khăn.\nMỗi chi hội sinh hoạt ít nhất 1 lần/tháng.",
    link: "https://hoiccb.binhdinh.vn/nq-05",
    createdById,
    ...overrides,
  };
}

/** What the delivery engine does with a claimed row. */
async function deliver(outboxId: number, outcome: "sent" | "unreachable" | "failed", now = at(5)): Promise<void> {
  if (outcome === "sent")
    await db.kysely
      .updateTable("Outbox")
      .set({ status: "sent", sentAt: now.getTime() })
      .where("id", "=", outboxId)
      .execute();
  else await markFinal(db, { id: outboxId, status: outcome, now });
}

function outboxOf(directiveId: number, personId: number) {
  return db.kysely
    .selectFrom("Outbox")
    .select((eb) => ["id", storedBody(eb), "priority", "chatAccountId", "dedupeKey", "entityType", "entityId"])
    .where("dedupeKey", "=", `directive:${directiveId}:p:${personId}`)
    .executeTakeFirst();
}

describe("normaliseDirectiveNumber", () => {
  it("should keep a well-formed number as it is", () => {
    expect(normaliseDirectiveNumber("784-QĐ/TU")).toBe("784-QĐ/TU");
    expect(normaliseDirectiveNumber("12/2025/TT-BTC")).toBe("12/2025/TT-BTC");
  });

  it("should trim, collapse spaces around - and /, turn typographic dashes into - and drop a leading Số", () => {
    expect(normaliseDirectiveNumber("  784 - QĐ / TU  ")).toBe("784-QĐ/TU");
    expect(normaliseDirectiveNumber("Số 12/KH–UBND")).toBe("12/KH-UBND");
    expect(normaliseDirectiveNumber("số: 05-NQ/HCCB")).toBe("05-NQ/HCCB");
    expect(normaliseDirectiveNumber("35 - CT / TW ngày 14")).toBe("35-CT/TW ngày 14");
  });

  it("should return Vietnamese letters in precomposed form", () => {
    const decomposed = "784-QĐ/TU".normalize("NFD") + " Hội".normalize("NFD");
    expect(normaliseDirectiveNumber(decomposed)).toBe("784-QĐ/TU Hội".normalize("NFC"));
  });

  it("should accept an empty number (the document has none)", () => {
    expect(normaliseDirectiveNumber("")).toBe("");
    expect(normaliseDirectiveNumber("   ")).toBe("");
  });

  it("should refuse stray characters, a number without digits and an overlong one, naming what was typed", async () => {
    expect(await errorOf(() => normaliseDirectiveNumber("784@QĐ/TU"))).toEqual({
      code: "directive_number_invalid",
      params: { number: "784@QĐ/TU" },
    });
    for (const bad of ["QĐ/TU", "12;34", "12 (QĐ)", "12-QĐ/TU 🙂", "-12", "12/", "1".repeat(61)])
      expect(await code(() => normaliseDirectiveNumber(bad)), bad).toBe("directive_number_invalid");
  });
});

describe("validateDirective", () => {
  const base = (overrides: Partial<DirectiveInput> = {}) => input(1, overrides);

  it("should warn about a summary longer than 700 characters and not about one of 700", () => {
    expect(validateDirective(base({ summary: "a".repeat(700) }))).toEqual({ warnings: [] });
    expect(validateDirective(base({ summary: "a".repeat(701) }))).toEqual({ warnings: ["summary_long"] });
  });

  it("should refuse an empty summary and one over 3,000 characters with its length", async () => {
    expect(await code(() => validateDirective(base({ summary: "  \n\t " })))).toBe("directive_summary_empty");
    expect(validateDirective(base({ summary: "b".repeat(summaryMaxLength) })).warnings).toEqual(["summary_long"]);
    expect(await errorOf(() => validateDirective(base({ summary: "b".repeat(3001) })))).toEqual({
      code: "directive_summary_too_long",
      params: { length: 3001, max: 3000 },
    });
  });

  it("should refuse a missing or overlong title, an unknown kind and a bad link", async () => {
    expect((await errorOf(() => validateDirective(base({ title: "   " }))))?.params).toEqual({ field: "title" });
    expect((await errorOf(() => validateDirective(base({ title: "t".repeat(301) }))))?.params).toEqual({
      field: "title",
      max: 300,
    });
    expect(validateDirective(base({ title: "t".repeat(300) })).warnings).toEqual([]);
    expect(await errorOf(() => validateDirective(base({ kind: "cong_van" as never })))).toEqual({
      code: "invalid_input",
      params: { field: "kind" },
    });
    for (const link of [
      "ftp://files.vn/a",
      "javascript:alert(1)",
      "hoiccb.vn/nq",
      "https://",
      `https://a.vn/${"x".repeat(490)}`,
      "https://a.vn/a b",
    ])
      expect(await errorOf(() => validateDirective(base({ link }))), link).toEqual({
        code: "invalid_input",
        params: link.length > 500 ? { field: "link", max: 500 } : { field: "link" },
      });
    for (const link of [null, "", "http://a.vn", "https://hoiccb.vn/nq?id=5"])
      expect(validateDirective(base({ link })).warnings).toEqual([]);
  });

  it("should refuse a bad number and reminder days outside 1–30", async () => {
    expect(await code(() => validateDirective(base({ number: "số #5" })))).toBe("directive_number_invalid");
    expect((await errorOf(() => validateDirective(base({ reminderDays: 0 }))))?.params).toEqual({
      field: "reminderDays",
    });
    expect((await errorOf(() => validateDirective(base({ reminderDays: 31 }))))?.params).toEqual({
      field: "reminderDays",
    });
    expect((await errorOf(() => validateDirective(base({ reminderDays: 1.5 }))))?.params).toEqual({
      field: "reminderDays",
    });
  });
});

describe("createDirective", () => {
  it("should store a tidy draft with its warnings and an audit entry", async () => {
    const official = await person(tree.communeA.id, "Lê Văn Quan", { role: "official" });
    const d = await createDirective(
      db,
      input(official, { number: " 05 - NQ / HCCB ", summary: `  ${"x".repeat(750)}  `, reminderDays: 5 }),
      t0,
    );
    expect(d).toMatchObject({
      unitId: tree.communeA.id,
      organisationId: null,
      kind: "nghi_quyet",
      number: "05-NQ/HCCB",
      status: "draft",
      reminderDays: 5,
      createdById: official,
      createdAt: t0.getTime(),
      sentAt: null,
      warnings: ["summary_long"],
    });
    expect(d.summary).toBe("x".repeat(750));
    expect(await getDirective(db, d.id)).toMatchObject({ id: d.id, status: "draft" });
    expect(
      await db.kysely
        .selectFrom("AuditLog")
        .select(["actorPersonId", "action", "entityType", "entityId"])
        .executeTakeFirst(),
    ).toEqual({ actorPersonId: official, action: "directive.create", entityType: "Directive", entityId: d.id });
  });

  it("should let a cadre or official post to their unit's subtree and nobody else", async () => {
    const provinceOfficial = await person(tree.province.id, "Trần Tỉnh", { role: "official" });
    const communeCadre = await person(tree.communeA.id, "Nguyễn Xã", { role: "cadre" });
    const branchCadre = await person(tree.branchA1.id, "Phạm Chi Hội", { role: "cadre" });
    const siblingCadre = await person(tree.communeB.id, "Võ Phường", { role: "cadre" });
    const member = await person(tree.communeA.id, "Hội viên Xã");
    expect((await createDirective(db, input(provinceOfficial), t0)).unitId).toBe(tree.communeA.id);
    expect((await createDirective(db, input(communeCadre), t0)).unitId).toBe(tree.communeA.id);
    expect((await createDirective(db, input(communeCadre, { unitId: tree.branchA2.id }), t0)).unitId).toBe(
      tree.branchA2.id,
    );
    for (const who of [branchCadre, siblingCadre, member])
      expect(await code(() => createDirective(db, input(who), t0))).toBe("forbidden");
    expect(await count("Directive")).toBe(3);
  });

  it("should store nothing for bad input and refuse an organisation with no unit in the subtree", async () => {
    const official = await person(tree.province.id, "Trần Tỉnh", { role: "official" });
    expect(await code(() => createDirective(db, input(official, { summary: "" }), t0))).toBe("directive_summary_empty");
    expect(await code(() => createDirective(db, input(official, { unitId: 9999 }), t0))).toBe("unit_not_found");
    const { id: other } = await createOrganisation(db, systemActor(), { code: "ctn", name: "Đoàn Thanh niên" });
    expect(await errorOf(() => createDirective(db, input(official, { organisationId: other }), t0))).toEqual({
      code: "invalid_input",
      params: { field: "organisationId" },
    });
    expect(await count("Directive")).toBe(0);
    expect(await count("AuditLog")).toBe(0);
    expect(
      (await createDirective(db, input(official, { organisationId: tree.organisationId }), t0)).organisationId,
    ).toBe(tree.organisationId);
  });
});

describe("getDirective", () => {
  it("should throw not_found for an unknown id", async () => {
    expect(await errorOf(() => getDirective(db, 42))).toEqual({ code: "not_found", params: { what: "directive" } });
  });
});

describe("directiveAudience", () => {
  it("should list each person of the subtree once, sorted, whatever their roles", async () => {
    const cadre = await person(tree.communeA.id, "Cán bộ Xã", { role: "cadre" });
    await addMembership(db, { actor: systemActor(), personId: cadre, unitId: tree.branchA1.id, role: "member" });
    const a = await person(tree.branchA1.id, "Hội viên A", { linked: false });
    const b = await person(tree.branchA2.id, "Hội viên B");
    await person(tree.branchB1.id, "Hội viên phường");
    await person(tree.province.id, "Cán bộ tỉnh", { role: "official" });
    const d = await createDirective(db, input(cadre), t0);
    expect(await directiveAudience(db, d.id)).toEqual([cadre, a, b].sort((x, y) => x - y));
  });

  it("should count the audience and the people without a reachable account as sending will", async () => {
    const cadre = await person(tree.communeA.id, "Cán bộ Xã", { role: "cadre" });
    await person(tree.branchA1.id, "Chưa liên kết", { linked: false });
    const blocked = await person(tree.branchA2.id, "Chặn bot");
    await markUnreachable(db, await accountOf(blocked));
    await person(tree.branchA2.id, "Bình thường");
    const d = await createDirective(db, input(cadre), t0);
    expect(await directiveAudienceCounts(db, d.id)).toEqual({ total: 4, notLinked: 2 });
    const sent = await sendDirective(db, d.id, { now: at(1), byPersonId: cadre });
    expect({ total: sent.total, notLinked: sent.notLinked }).toEqual({ total: 4, notLinked: 2 });
  });

  it("should keep only the directive's organisation's units when it names one", async () => {
    const official = await person(tree.province.id, "Trần Tỉnh", { role: "official" });
    // A shared root: the youth union's commune chapter hangs under the same province unit.
    const { id: youth } = await createOrganisation(db, systemActor(), { code: "dtn", name: "Đoàn Thanh niên" });
    const { id: chapter } = await db.kysely
      .insertInto("Unit")
      .values({
        organisationId: youth,
        parentId: tree.province.id,
        name: "Đoàn xã",
        nameKey: "doan xa",
        levelLabel: "",
        path: "tmp",
        depth: 1,
        createdAt: t0.getTime(),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await db.kysely
      .updateTable("Unit")
      .set({ path: `${tree.province.path}${chapter}/` })
      .where("id", "=", chapter)
      .execute();
    const youngster = await person(chapter, "Đoàn viên Trẻ");
    const veteran = await person(tree.branchB2.id, "Cựu chiến binh");
    const everyone = await createDirective(db, input(official, { unitId: tree.province.id }), t0);
    const youthOnly = await createDirective(
      db,
      input(official, { unitId: tree.province.id, organisationId: youth }),
      t0,
    );
    expect(await directiveAudience(db, everyone.id)).toEqual([official, youngster, veteran].sort((x, y) => x - y));
    expect(await directiveAudience(db, youthOnly.id)).toEqual([youngster]);
  });
});

describe("sendDirective", () => {
  async function setup() {
    const cadre = await person(tree.communeA.id, "Nguyễn Văn Xã", { role: "cadre" });
    const a = await person(tree.branchA1.id, "Trần Văn An");
    const b = await person(tree.branchA2.id, "Lê Thị Bình", { locale: "en" });
    const u = await person(tree.branchA2.id, "Phạm Văn Út", { linked: false });
    const outside = await person(tree.branchB1.id, "Võ Văn Ngoài");
    const d = await createDirective(db, input(cadre), t0);
    return { cadre, a, b, u, outside, d };
  }

  it("should queue one copy per linked person of the subtree and record the people without an account", async () => {
    const { cadre, a, b, u, outside, d } = await setup();
    const result = await sendDirective(db, d.id, {
      now: at(1),
      byPersonId: cadre,
      senderAccountId: await accountOf(cadre),
    });
    expect(result).toEqual({ total: 4, queued: 3, notLinked: 1 });
    const deliveries = await db.kysely
      .selectFrom("DirectiveDelivery")
      .select(["personId", "status", "chatAccountId", "outboxId"])
      .where("directiveId", "=", d.id)
      .orderBy("personId")
      .execute();
    expect(deliveries.map((r) => [r.personId, r.status])).toEqual([
      [cadre, "queued"],
      [a, "queued"],
      [b, "queued"],
      [u, "not_linked"],
    ]);
    for (const r of deliveries.filter((r) => r.status === "queued")) {
      const row = (await outboxOf(d.id, r.personId))!;
      expect(r.outboxId).toBe(row.id);
      expect(r.chatAccountId).toBe(await accountOf(r.personId));
      expect(row).toMatchObject({
        priority: 9,
        chatAccountId: await accountOf(r.personId),
        entityType: "Directive",
        entityId: d.id,
      });
    }
    expect(deliveries.find((r) => r.personId === u)).toMatchObject({ chatAccountId: null, outboxId: null });
    expect(await outboxOf(d.id, outside)).toBeUndefined();
    expect(await count("Outbox")).toBe(3);
    // Fair order: the copies are spaced 34 ms apart from the moment they were queued, in id order,
    // as the outbox's trigger spaces rows queued one by one (broadcasts queued together interleave).
    const ords = await db.kysely.selectFrom("Outbox").select("ord").orderBy("id").execute();
    expect(ords.map((r) => Number(r.ord) - at(1).getTime())).toEqual([0, 34, 68]);
    expect(await getDirective(db, d.id)).toMatchObject({ status: "sending", sentAt: at(1).getTime() });
  });

  it("should write each copy in the member's language with the Đã đọc button", async () => {
    const { cadre, a, b, d } = await setup();
    await sendDirective(db, d.id, { now: at(1), byPersonId: cadre });
    const vi = JSON.parse((await outboxOf(d.id, a))!.body) as OutboxBody;
    expect(vi.locale).toBe("vi");
    expect(vi.text).toContain("Nghị quyết số 05-NQ/HCCB của Ban Thường vụ Hội CCB tỉnh");
    expect(vi.text).toContain("Nghị quyết về công tác hội năm 2027");
    expect(vi.text).toContain("Mỗi chi hội sinh hoạt ít nhất 1 lần/tháng.");
    expect(vi.text).toContain("Toàn văn: https://hoiccb.binhdinh.vn/nq-05");
    expect(vi.text).toContain('bấm "Đã đọc" sau khi đọc');
    expect(vi.choices).toEqual([{ label: "Đã đọc", payload: `read:${d.id}` }]);
    const en = JSON.parse((await outboxOf(d.id, b))!.body) as OutboxBody;
    expect(en.locale).toBe("en");
    expect(en.text).toContain("Resolution No. 05-NQ/HCCB, issued by Ban Thường vụ Hội CCB tỉnh");
    expect(en.choices).toEqual([{ label: "Read", payload: `read:${d.id}` }]);
  });

  it("should store the text once per language for the copies to share, and claim each copy with it", async () => {
    const { cadre, a, b, d } = await setup();
    await sendDirective(db, d.id, { now: at(1), byPersonId: cadre });
    const copies = await db.kysely
      .selectFrom("Outbox")
      .select(["id", "personId", "body", "bodyId"])
      .where("entityType", "=", "Directive")
      .orderBy("id")
      .execute();
    expect(copies).toHaveLength(3);
    expect(copies.every((c) => c.body === null && c.bodyId !== null)).toBe(true);
    expect(await count("OutboxBody")).toBe(2);
    const bodyOf = (personId: number) => copies.find((c) => c.personId === personId)!.bodyId;
    expect(bodyOf(cadre)).toBe(bodyOf(a));
    expect(bodyOf(b)).not.toBe(bodyOf(a));

    // A one-off message queued with the copies keeps its own body.
    const own = (await enqueue(db, { platform: "telegram", chatId: "9", body: { text: "riêng" } }, at(1)))!;
    const claimed = await claim(db, [...copies.map((c) => c.id), own], "worker", at(2));
    const texts = new Map(claimed.map((r) => [r.id, JSON.parse(r.body) as OutboxBody]));
    expect(texts.get(copies.find((c) => c.personId === a)!.id)).toEqual(JSON.parse((await outboxOf(d.id, a))!.body));
    expect(texts.get(copies.find((c) => c.personId === b)!.id)!.locale).toBe("en");
    expect(texts.get(copies.find((c) => c.personId === cadre)!.id)!.locale).toBe("vi");
    expect(texts.get(own)).toEqual({ text: "riêng" });
    expect((await getOutboxRow(db, copies[0]!.id))!.body).toBe(JSON.stringify(texts.get(copies[0]!.id)));
  });

  it("should keep no shared text when nobody in the audience can be sent a copy", async () => {
    const { cadre, b } = await setup();
    await markUnreachable(db, await accountOf(b));
    const d = await createDirective(db, input(cadre, { unitId: tree.branchA2.id }), t0);
    expect(await sendDirective(db, d.id, { now: at(1), byPersonId: cadre })).toEqual({
      total: 2,
      queued: 0,
      notLinked: 2,
    });
    expect(await count("OutboxBody")).toBe(0);
  });

  it("should open the Đã đọc question on each account without breaking a flow someone is typing into", async () => {
    const { cadre, a, b, d } = await setup();
    await setPendingQuestion(db, {
      chatAccountId: await accountOf(a),
      kind: "rsvp",
      data: { meetingId: 1 },
      expiresAt: new Date(at(0).getTime() + DAY),
      now: at(0),
    });
    await setPendingQuestion(db, {
      chatAccountId: await accountOf(cadre),
      kind: "meeting_new",
      data: { step: "place" },
      expiresAt: new Date(at(0).getTime() + 3_600_000),
      now: at(0),
    });
    await sendDirective(db, d.id, { now: at(1), byPersonId: cadre });
    const expected = {
      kind: "directive",
      data: { directiveId: d.id, choices: [`read:${d.id}`] },
      expiresAt: at(1).getTime() + (3 + 7) * DAY,
    };
    expect(await getPendingQuestion(db, await accountOf(a), at(2))).toEqual(expected);
    expect(await getPendingQuestion(db, await accountOf(b), at(2))).toEqual(expected);
    expect((await getPendingQuestion(db, await accountOf(cadre), at(2)))?.kind).toBe("meeting_new");
  });

  it("should plan the progress report in a minute and the reminder after the reminder days", async () => {
    const { cadre, d } = await setup();
    await sendDirective(db, d.id, { now: at(1), byPersonId: cadre });
    const jobs = await db.kysely
      .selectFrom("ScheduledJob")
      .select(["kind", "entityType", "entityId", "dueAt", "status", "dedupeKey"])
      .orderBy("dueAt")
      .execute();
    expect(jobs).toEqual([
      {
        kind: "directive_progress",
        entityType: "Directive",
        entityId: d.id,
        dueAt: at(1).getTime() + 60_000,
        status: "pending",
        dedupeKey: `directive_progress:${d.id}:1`,
      },
      {
        kind: "directive_reminder",
        entityType: "Directive",
        entityId: d.id,
        dueAt: at(1).getTime() + 3 * DAY,
        status: "pending",
        dedupeKey: `directive_reminder:${d.id}`,
      },
    ]);
    expect(
      await db.kysely
        .selectFrom("AuditLog")
        .select(["action", "actorPersonId"])
        .where("action", "=", "directive.send")
        .executeTakeFirst(),
    ).toEqual({ action: "directive.send", actorPersonId: cadre });
  });

  it("should send a person with several memberships in the subtree one copy", async () => {
    const { cadre, a, d } = await setup();
    await addMembership(db, { actor: systemActor(), personId: a, unitId: tree.branchA2.id, role: "cadre" });
    expect((await sendDirective(db, d.id, { now: at(1), byPersonId: cadre })).total).toBe(4);
    expect(
      Number(
        (
          await db.kysely
            .selectFrom("Outbox")
            .select((eb) => eb.fn.countAll().as("n"))
            .where("personId", "=", a)
            .executeTakeFirstOrThrow()
        ).n,
      ),
    ).toBe(1);
  });

  it("should use the preferred reachable account and skip an unreachable one", async () => {
    const { cadre, a, d } = await setup();
    const zalo = await ensureChatAccount(db, { platform: "zalo", externalId: "z-a" });
    await db.kysely
      .updateTable("ChatAccount")
      .set({ personId: a, linkedAt: at(0).getTime(), preferred: true })
      .where("id", "=", zalo.id)
      .execute();
    await db.kysely
      .updateTable("ChatAccount")
      .set({ preferred: false })
      .where("id", "=", await accountOf(a))
      .execute();
    await markUnreachable(db, zalo.id);
    await sendDirective(db, d.id, { now: at(1), byPersonId: cadre });
    expect((await outboxOf(d.id, a))!.chatAccountId).toBe(await accountOf(a));
  });

  it("should refuse a sender without the right, a second send, and store nothing then", async () => {
    const { cadre, d } = await setup();
    const sibling = await person(tree.communeB.id, "Cán bộ phường", { role: "cadre" });
    const member = await person(tree.communeA.id, "Hội viên xã");
    expect(await code(() => sendDirective(db, d.id, { now: at(1), byPersonId: sibling }))).toBe("forbidden");
    expect(await code(() => sendDirective(db, d.id, { now: at(1), byPersonId: member }))).toBe("forbidden");
    expect((await count("DirectiveDelivery")) + (await count("Outbox")) + (await count("ScheduledJob"))).toBe(0);
    expect((await getDirective(db, d.id)).status).toBe("draft");
    await sendDirective(db, d.id, { now: at(1), byPersonId: cadre });
    const before = await count("Outbox");
    expect(await code(() => sendDirective(db, d.id, { now: at(2), byPersonId: cadre }))).toBe("conflict");
    expect(await count("Outbox")).toBe(before);
    expect(await code(() => sendDirective(db, 999, { now: at(2), byPersonId: cadre }))).toBe("not_found");
  });
});

describe("directiveProgress", () => {
  it("should count copies by what happened to them, taking the fallback account's copy into account", async () => {
    const cadre = await person(tree.communeA.id, "Cán bộ Xã", { role: "cadre" });
    const [a, b, c, e, f] = await inOrder(["An", "Bình", "Cường", "Em", "Phúc"], (n) => person(tree.branchA1.id, n));
    await person(tree.branchA1.id, "Út", { linked: false });
    const d = await createDirective(db, input(cadre), t0);
    await sendDirective(db, d.id, { now: at(1), byPersonId: cadre });
    expect(await directiveProgress(db, d.id)).toEqual({
      total: 7,
      queued: 6,
      sent: 0,
      unreachable: 0,
      failed: 0,
      notLinked: 1,
      read: 0,
      done: false,
    });
    await deliver((await outboxOf(d.id, a!))!.id, "sent");
    await deliver((await outboxOf(d.id, b!))!.id, "unreachable");
    await deliver((await outboxOf(d.id, c!))!.id, "failed");
    // E's Telegram account was blocked; the engine re-queued the copy to E's Zalo account, which got it.
    await deliver((await outboxOf(d.id, e!))!.id, "unreachable");
    const fallback = (await enqueue(
      db,
      {
        platform: "zalo",
        chatId: "z-e",
        personId: e,
        body: { text: "…" },
        entityType: "Directive",
        entityId: d.id,
        dedupeKey: `directive:${d.id}:p:${e}:fallback:99`,
      },
      at(5),
    ))!;
    expect(await directiveProgress(db, d.id)).toMatchObject({
      queued: 3,
      sent: 1,
      unreachable: 1,
      failed: 1,
      done: false,
    });
    await deliver(fallback, "sent");
    await deliver((await outboxOf(d.id, f!))!.id, "sent");
    await markRead(db, { directiveId: d.id, personId: a!, viaAccountId: await accountOf(a!), now: at(6) });
    await deliver((await outboxOf(d.id, cadre))!.id, "sent");
    expect(await directiveProgress(db, d.id)).toEqual({
      total: 7,
      queued: 0,
      sent: 4,
      unreachable: 1,
      failed: 1,
      notLinked: 1,
      read: 1,
      done: true,
    });
  });
});

describe("markRead", () => {
  it("should record the first read only and refuse someone the directive was not sent to", async () => {
    const cadre = await person(tree.communeA.id, "Cán bộ Xã", { role: "cadre" });
    const a = await person(tree.branchA1.id, "An");
    const outside = await person(tree.branchB1.id, "Ngoài");
    const d = await createDirective(db, input(cadre), t0);
    await sendDirective(db, d.id, { now: at(1), byPersonId: cadre });
    expect(
      await markRead(db, { directiveId: d.id, personId: a, viaAccountId: await accountOf(a), now: at(10) }),
    ).toEqual({ alreadyRead: false });
    expect(await markRead(db, { directiveId: d.id, personId: a, viaAccountId: null, now: at(20) })).toEqual({
      alreadyRead: true,
    });
    expect(
      await db.kysely
        .selectFrom("DirectiveDelivery")
        .select(["readAt", "readViaAccountId"])
        .where("directiveId", "=", d.id)
        .where("personId", "=", a)
        .executeTakeFirst(),
    ).toEqual({ readAt: at(10).getTime(), readViaAccountId: await accountOf(a) });
    expect(
      await code(() => markRead(db, { directiveId: d.id, personId: outside, viaAccountId: null, now: at(10) })),
    ).toBe("not_found");
    expect(await code(() => markRead(db, { directiveId: 999, personId: a, viaAccountId: null, now: at(10) }))).toBe(
      "not_found",
    );
  });
});

describe("listRecentDirectives", () => {
  it("should list the directives sent to the person, newest first, with their read time, without drafts", async () => {
    const official = await person(tree.province.id, "Lãnh đạo tỉnh", { role: "official" });
    const a = await person(tree.branchA1.id, "An");
    const first = await createDirective(db, input(official, { title: "Văn bản 1" }), t0);
    await sendDirective(db, first.id, { now: at(1), byPersonId: official });
    const second = await createDirective(db, input(official, { title: "Văn bản 2", unitId: tree.province.id }), t0);
    await sendDirective(db, second.id, { now: at(2), byPersonId: official });
    await createDirective(db, input(official, { title: "Nháp" }), t0);
    const elsewhere = await createDirective(db, input(official, { title: "Phường", unitId: tree.communeB.id }), t0);
    await sendDirective(db, elsewhere.id, { now: at(3), byPersonId: official });
    await markRead(db, { directiveId: first.id, personId: a, viaAccountId: null, now: at(4) });
    const recent = await listRecentDirectives(db, a);
    expect(recent.map((d) => [d.title, d.readAt])).toEqual([
      ["Văn bản 2", null],
      ["Văn bản 1", at(4).getTime()],
    ]);
    expect(recent[0]).toMatchObject({ id: second.id, status: "sending", kind: "nghi_quyet", summary: second.summary });
    expect((await listRecentDirectives(db, a, 1)).map((d) => d.id)).toEqual([second.id]);
  });
});

describe("renderDirectiveText", () => {
  it("should leave out the number, issuer and link when the document has none", async () => {
    const official = await person(tree.province.id, "Lãnh đạo tỉnh", { role: "official" });
    const d = await createDirective(
      db,
      input(official, {
        kind: "thong_bao",
        number: "",
        issuer: "",
        link: null,
        title: "Lịch tiếp dân",
        summary: "Thứ Năm hằng tuần.",
      }),
      t0,
    );
    expect(renderDirectiveText(d, "vi")).toBe(
      '📄 Thông báo\nLịch tiếp dân\n\nThứ Năm hằng tuần.\n\nAnh/chị bấm "Đã đọc" sau khi đọc (hoặc nhắn "đã đọc"). Có ý kiến về văn bản, anh/chị trả lời ngay tin nhắn này.',
    );
    expect(renderDirectiveText(d, "en")).toMatch(
      /^📄 Notice\nLịch tiếp dân\n\nThứ Năm hằng tuần\.\n\nPlease tap "Read"/,
    );
  });
});
