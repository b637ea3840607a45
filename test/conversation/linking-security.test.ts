import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChatHarness } from "../helpers/chat-harness.ts";
import { systemActor } from "../../src/domain/access/actor.ts";
import { buildTree, type TestTree } from "../helpers/tree.ts";
import { addMembership, createPerson } from "../../src/domain/people/people-service.ts";
import { formatLinkCode, issueLinkCode, recentWrongGuesses } from "../../src/domain/linking/link-service.ts";
import { ensureChatAccount, findAccount } from "../../src/domain/accounts/account-service.ts";
import { storedBody } from "../helpers/outbox.ts";

let h: ChatHarness;
let tree: TestTree;
let an: { id: number };
let code: string;

beforeEach(async () => {
  h = await ChatHarness.create();
  tree = await buildTree(h.db);
  an = await createPerson(h.db, { fullName: "Nguyễn Văn An", phone: "0912345678" });
  await addMembership(h.db, { actor: systemActor(), personId: an.id, unitId: tree.branchA1.id, role: "member" });
  code = (await issueLinkCode(h.db, an.id)).code;
});
afterEach(() => h.destroy());

describe("linking by code in chat", () => {
  it("should tell a member with an old 6-digit slip to ask for a new one, without counting a guess", async () => {
    for (const old of ["483920", "DK 483 920", "/start 483920"]) {
      await h.text(50, old);
      expect(await h.lastText(50)).toContain("phiếu cũ");
    }
    expect(await recentWrongGuesses(h.db, "telegram", "50")).toBe(0);
    // A new code still links after several old ones.
    await h.text(50, formatLinkCode(code));
    expect(await h.lastText(50)).toContain("Liên kết thành công");
  });

  it("should answer a linked member's use of someone else's live code exactly like a wrong code, and count it", async () => {
    await h.text(42, `DK ${code}`);
    await h.take(42);
    const binh = await createPerson(h.db, { fullName: "Trần Thị Bình" });
    await addMembership(h.db, { actor: systemActor(), personId: binh.id, unitId: tree.branchA1.id, role: "member" });
    const binhsCode = (await issueLinkCode(h.db, binh.id)).code;
    const wrong = binhsCode.startsWith("9") ? "1".repeat(12) : "9".repeat(12);
    await h.text(42, `DK ${binhsCode}`);
    const live = await h.lastText(42);
    await h.text(42, `DK ${wrong}`);
    const dead = await h.lastText(42);
    expect(live).toBe(dead);
    expect(live).not.toContain("Trần Thị Bình");
    expect(await recentWrongGuesses(h.db, "telegram", "42")).toBe(2);
    // Bình's code still works for Bình.
    await h.text(60, binhsCode);
    expect(await h.lastText(60)).toContain("Xin chào Trần Thị Bình");
  });

  it("should give the same answer to wrong, used, expired and revoked codes", async () => {
    const answers = new Set<string>();
    await h.text(61, "1".repeat(12));
    answers.add(await h.lastText(61));
    await h.text(62, code);
    await h.take(62);
    await h.text(63, code); // used
    answers.add(await h.lastText(63));
    const expired = await issueLinkCode(h.db, (await createPerson(h.db, { fullName: "Lê Văn Cường" })).id, {
      now: new Date(Date.now() - 40 * 86_400_000),
    });
    await h.text(64, expired.code);
    answers.add(await h.lastText(64));
    const dung = (await createPerson(h.db, { fullName: "Phạm Dũng" })).id;
    const revoked = (await issueLinkCode(h.db, dung)).code;
    await issueLinkCode(h.db, dung);
    await h.text(65, revoked);
    answers.add(await h.lastText(65));
    expect(answers.size).toBe(1);
    expect([...answers][0]).toContain("Mã liên kết không đúng");
  });

  it("should notify a cadre's other accounts and the unit's admins when an account is linked to the cadre", async () => {
    const cadre = await createPerson(h.db, { fullName: "Hoàng Văn Đức" });
    await addMembership(h.db, { actor: systemActor(), personId: cadre.id, unitId: tree.branchA1.id, role: "cadre" });
    const zalo = await ensureChatAccount(h.db, { platform: "zalo_bot", externalId: "zb-duc" });
    await h.db.kysely
      .updateTable("ChatAccount")
      .set({ personId: cadre.id, preferred: true })
      .where("id", "=", zalo.id)
      .execute();
    const admin = await createPerson(h.db, { fullName: "Admin Xã" });
    await addMembership(h.db, { actor: systemActor(), personId: admin.id, unitId: tree.communeA.id, role: "admin" });
    const adminTg = await ensureChatAccount(h.db, { platform: "telegram", externalId: "900" });
    await h.db.kysely.updateTable("ChatAccount").set({ personId: admin.id }).where("id", "=", adminTg.id).execute();
    const otherAdmin = await createPerson(h.db, { fullName: "Admin Phường" });
    await addMembership(h.db, {
      actor: systemActor(),
      personId: otherAdmin.id,
      unitId: tree.communeB.id,
      role: "admin",
    });
    const otherTg = await ensureChatAccount(h.db, { platform: "telegram", externalId: "901" });
    await h.db.kysely
      .updateTable("ChatAccount")
      .set({ personId: otherAdmin.id })
      .where("id", "=", otherTg.id)
      .execute();

    const cadreCode = (await issueLinkCode(h.db, cadre.id)).code;
    expect(cadreCode).toMatch(/^\d{16}$/);
    await h.text(70, formatLinkCode(cadreCode));
    // The notice to the Zalo account stays queued (the harness runs Telegram only): read the outbox.
    const replies = async () =>
      (await h.db.kysely.selectFrom("Outbox").select(storedBody).where("chatId", "=", "70").execute()).map(
        (r) => JSON.parse(r.body).text as string,
      );
    expect((await replies()).join("\n")).toContain("Liên kết thành công");
    expect((await findAccount(h.db, "telegram", "70"))?.personId).toBe(cadre.id);

    const toZalo = await h.db.kysely
      .selectFrom("Outbox")
      .select(storedBody)
      .where("chatAccountId", "=", zalo.id)
      .execute();
    expect(toZalo).toHaveLength(1);
    expect(JSON.parse(toZalo[0]!.body).text).toContain("Telegram");
    const toAdmin = await h.db.kysely
      .selectFrom("Outbox")
      .select(storedBody)
      .where("chatAccountId", "=", adminTg.id)
      .execute();
    expect(toAdmin).toHaveLength(1);
    expect(JSON.parse(toAdmin[0]!.body).text).toContain("Hoàng Văn Đức");
    expect(
      await h.db.kysely.selectFrom("Outbox").select("id").where("chatAccountId", "=", otherTg.id).executeTakeFirst(),
    ).toBeUndefined();
  });

  it("should not notify anyone when a plain member links", async () => {
    const before = (
      await h.db.kysely
        .selectFrom("Outbox")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow()
    ).n;
    await h.text(80, code);
    expect(await h.lastText(80)).toContain("Liên kết thành công");
    expect(
      (
        await h.db.kysely
          .selectFrom("Outbox")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    ).toBe(before + 1);
  });
});
