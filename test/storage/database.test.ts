/**
 * The typed data layer on whichever engine the run uses (SQLite by default; PostgreSQL with
 * TEST_DATABASE_URL): the same Kysely queries and values give the same results on both.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { createTestDatabase, type TestDatabase } from "../helpers/test-db.ts";
import { inIds, isDistinctFrom, jsonText, likeKey, skipLocked } from "../../src/storage/dialect.ts";
import { prepared, type Slots } from "../../src/storage/prepared.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.destroy();
});

async function org(code: string, isDemo = false): Promise<number> {
  const r = await db.kysely
    .insertInto("Organisation")
    .values({ code, name: code, isDemo, createdAt: Date.UTC(2026, 0, 1) })
    .returning("id")
    .executeTakeFirstOrThrow();
  return r.id;
}

describe(`typed data layer (${process.env.TEST_DATABASE_URL ? "postgresql" : "sqlite"})`, () => {
  it("returns booleans as booleans and times as epoch-millisecond numbers", async () => {
    const id = await org("bool-a", true);
    await org("bool-b", false);
    const row = await db.kysely.selectFrom("Organisation").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    expect(row.isDemo).toBe(true);
    expect(row.createdAt).toBe(Date.UTC(2026, 0, 1));
    expect(typeof row.createdAt).toBe("number");
    const demos = await db.kysely.selectFrom("Organisation").select("code").where("isDemo", "=", true).execute();
    expect(demos.map((r) => r.code)).toEqual(["bool-a"]);
    const count = await db.kysely
      .selectFrom("Organisation")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    expect(count.n).toBe(2);
  });

  it("compares and sorts times as numbers, beyond 32 bits", async () => {
    const base = Date.UTC(2030, 5, 1);
    for (const [i, at] of [base + 2, base, base + 1].entries()) {
      await db.kysely
        .insertInto("AuditLog")
        .values({ source: "cli", action: `t${i}`, createdAt: at })
        .execute();
    }
    const rows = await db.kysely
      .selectFrom("AuditLog")
      .select(["action", "createdAt"])
      .where("createdAt", ">", base)
      .orderBy("createdAt")
      .execute();
    expect(rows).toEqual([
      { action: "t2", createdAt: base + 1 },
      { action: "t0", createdAt: base + 2 },
    ]);
  });

  it("upserts with ON CONFLICT on both engines", async () => {
    const put = (value: string) =>
      db.kysely
        .insertInto("Setting")
        .values({ key: "k", value, updatedAt: 1 })
        .onConflict((oc) => oc.column("key").doUpdateSet((eb) => ({ value: eb.ref("excluded.value") })))
        .execute();
    await put("one");
    await put("two");
    const rows = await db.kysely.selectFrom("Setting").select(["key", "value"]).where("key", "=", "k").execute();
    expect(rows).toEqual([{ key: "k", value: "two" }]);
    const none = await db.kysely
      .insertInto("Setting")
      .values({ key: "k", value: "x", updatedAt: 1 })
      .onConflict((oc) => oc.doNothing())
      .returning("key")
      .executeTakeFirst();
    expect(none).toBeUndefined();
  });

  it("matches any number of ids with one parameter", async () => {
    const ids = Array.from({ length: 70_000 }, (_, i) => i + 1);
    const rows = await db.kysely
      .selectFrom("Organisation")
      .select("code")
      .where((eb) => inIds(db.engine, eb.ref("id"), ids))
      .orderBy("id")
      .execute();
    expect(rows.map((r) => r.code)).toEqual(["bool-a", "bool-b"]);
    const none = await db.kysely
      .selectFrom("Organisation")
      .select("id")
      .where((eb) => inIds(db.engine, eb.ref("id"), []))
      .execute();
    expect(none).toEqual([]);
    expect(() => inIds(db.engine, sql.ref("id"), [1.5])).toThrow();
  });

  it("searches normalised keys with % and _ taken literally", async () => {
    const o = await org("search");
    for (const [i, key] of ["nguyen van a", "100% tot", "a_b", "axb"].entries()) {
      await db.kysely
        .insertInto("Unit")
        .values({ organisationId: o, name: key, nameKey: key, path: `/s${i}/`, depth: 0, createdAt: 1 })
        .execute();
    }
    const find = async (text: string, where?: "contains" | "prefix") =>
      (
        await db.kysely
          .selectFrom("Unit")
          .select("nameKey")
          .where((eb) => likeKey(eb.ref("nameKey"), text, where))
          .orderBy("nameKey")
          .execute()
      ).map((r) => r.nameKey);
    expect(await find("van")).toEqual(["nguyen van a"]);
    expect(await find("100%")).toEqual(["100% tot"]);
    expect(await find("a_b")).toEqual(["a_b"]);
    expect(await find("VĂN")).toEqual(["nguyen van a"]);
    expect(await find("Nguyễn V")).toEqual(["nguyen van a"]);
    expect(await find("a", "prefix")).toEqual(["a_b", "axb"]);
  });

  it("treats NULL as a value in isDistinctFrom and reads JSON text", async () => {
    await db.kysely
      .insertInto("ConversationState")
      .values({
        chatAccountId: 1,
        kind: "rsvp",
        data: JSON.stringify({ meetingId: 7, note: "x" }),
        expiresAt: 5,
        updatedAt: 5,
      })
      .execute();
    await db.kysely
      .insertInto("ConversationState")
      .values({ chatAccountId: 2, kind: "rsvp", data: JSON.stringify({ meetingId: 8 }), expiresAt: 5, updatedAt: 5 })
      .execute();
    const seven = await db.kysely
      .selectFrom("ConversationState")
      .select("chatAccountId")
      .where((eb) => eb(jsonText(db.engine, eb.ref("data"), "meetingId"), "=", "7"))
      .execute();
    expect(seven).toEqual([{ chatAccountId: 1 }]);
    await db.kysely
      .insertInto("Outbox")
      .values([
        { platform: "p", chatId: "1", body: "{}", claimedBy: null, notBefore: 1, createdAt: 1 },
        { platform: "p", chatId: "2", body: "{}", claimedBy: "w1", notBefore: 1, createdAt: 1 },
        { platform: "p", chatId: "3", body: "{}", claimedBy: "w2", notBefore: 1, createdAt: 1 },
      ])
      .execute();
    const notW1 = await db.kysely
      .selectFrom("Outbox")
      .select("chatId")
      .where((eb) => isDistinctFrom(db.engine, eb.ref("claimedBy"), eb.val("w1")))
      .orderBy("chatId")
      .execute();
    expect(notW1.map((r) => r.chatId)).toEqual(["1", "3"]);
  });

  it("claims rows once when two claimers run at the same time", async () => {
    await db.kysely
      .insertInto("Outbox")
      .values(
        Array.from({ length: 40 }, (_, i) => ({
          platform: "claim",
          chatId: String(i),
          body: "{}",
          notBefore: 1,
          createdAt: 1,
        })),
      )
      .execute();
    const claim = (worker: string) =>
      db.kysely.transaction().execute(async (trx) => {
        const ids = await skipLocked(
          db.engine,
          trx
            .selectFrom("Outbox")
            .select("id")
            .where("platform", "=", "claim")
            .where("status", "=", "pending")
            .orderBy("id")
            .limit(15),
        ).execute();
        if (!ids.length) return [];
        return trx
          .updateTable("Outbox")
          .set({ status: "sending", claimedBy: worker })
          .where(
            "id",
            "in",
            ids.map((r) => r.id),
          )
          .where("status", "=", "pending")
          .returning("id")
          .execute();
      });
    const results = await Promise.all([claim("a"), claim("b"), claim("c"), claim("d")]);
    const all = results.flat().map((r) => r.id);
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(40);
  });

  it("rolls a failed transaction back", async () => {
    await expect(
      db.kysely.transaction().execute(async (trx) => {
        await trx.insertInto("Setting").values({ key: "rollback", value: "v", updatedAt: 1 }).execute();
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await db.kysely.selectFrom("Setting").select("key").where("key", "=", "rollback").execute()).toEqual([]);
  });

  it("runs a prepared query many times with new parameters, booleans included", async () => {
    const byDemo = prepared((k, p: Slots<{ demo: boolean; prefix: string; n: number }>) =>
      k
        .selectFrom("Organisation")
        .select(["code", "isDemo"])
        .where("isDemo", "=", p.demo)
        .where("code", ">=", p.prefix)
        .orderBy("code")
        .limit(p.n),
    );
    expect(await byDemo.all(db, { demo: true, prefix: "bool", n: 10 })).toEqual([{ code: "bool-a", isDemo: true }]);
    expect(await byDemo.all(db, { demo: false, prefix: "bool", n: 1 })).toEqual([{ code: "bool-b", isDemo: false }]);
    expect(await byDemo.first(db, { demo: false, prefix: "zzz", n: 1 })).toBeUndefined();
    const rename = prepared((k, p: Slots<{ code: string; name: string }>) =>
      k.updateTable("Organisation").set({ name: p.name }).where("code", "=", p.code),
    );
    expect(await rename.run(db, { code: "bool-a", name: "Hội A" })).toBe(1);
    expect(await rename.run(db, { code: "nope", name: "x" })).toBe(0);
    await expect(byDemo.all(db, { demo: true, prefix: "b" } as never)).rejects.toThrow(/"n" missing/);
  });
});

describe(`ambient transactions (${process.env.TEST_DATABASE_URL ? "postgresql" : "sqlite"})`, () => {
  const value = async (key: string) =>
    (await db.kysely.selectFrom("Setting").select("value").where("key", "=", key).executeTakeFirst())?.value;
  const put = (key: string, v: string) =>
    db.kysely.insertInto("Setting").values({ key, value: v, updatedAt: 1 }).execute();

  it("runs helpers called with the same db inside the transaction, and commits them together", async () => {
    await db.transaction(async () => {
      await put("amb-1", "a");
      expect(await value("amb-1")).toBe("a"); // the helper's read sees the transaction's write
      await put("amb-2", "b");
    });
    expect([await value("amb-1"), await value("amb-2")]).toEqual(["a", "b"]);
  });

  it("rolls everything back when the body throws", async () => {
    await expect(
      db.transaction(async () => {
        await put("amb-3", "x");
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await value("amb-3")).toBeUndefined();
  });

  it("rolls back only a nested transaction whose failure the outer body catches", async () => {
    await db.transaction(async () => {
      await put("amb-4", "outer");
      await expect(
        db.transaction(async () => {
          await put("amb-5", "inner");
          throw new Error("inner");
        }),
      ).rejects.toThrow("inner");
      await db.transaction(async () => put("amb-6", "inner ok"));
    });
    expect([await value("amb-4"), await value("amb-5"), await value("amb-6")]).toEqual([
      "outer",
      undefined,
      "inner ok",
    ]);
  });

  // SQLite has one connection: a statement from outside the transaction waits for it to end.
  // PostgreSQL runs it on another connection at once, and it sees only what is committed.
  const onPostgres = Boolean(process.env.TEST_DATABASE_URL);
  it(
    onPostgres
      ? "keeps a transaction's writes from statements outside it until it commits"
      : "makes a statement from outside wait until the transaction ends",
    async () => {
      const order: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const tx = db.transaction(async () => {
        await put("amb-7", "in");
        order.push("tx wrote");
        await gate; // the body is still open: the outside read must not see "amb-7" yet, nor run
        order.push("tx ends");
      });
      await new Promise((r) => setTimeout(r, 20));
      const outside = value("amb-7").then((v) => order.push(`outside read ${v}`));
      await new Promise((r) => setTimeout(r, 20));
      release();
      await Promise.all([tx, outside]);
      expect(order).toEqual(
        onPostgres ? ["tx wrote", "outside read undefined", "tx ends"] : ["tx wrote", "tx ends", "outside read in"],
      );
      expect(await value("amb-7")).toBe("in");
    },
  );

  it.runIf(onPostgres)("runs a transaction the server aborted to break a deadlock again (retryConflicts)", async () => {
    await put("dl-a", "0");
    await put("dl-b", "0");
    const bump = (key: string) =>
      db.kysely
        .updateTable("Setting")
        .set({ value: sql<string>`(CAST(value AS integer) + 1)::text` })
        .where("key", "=", key)
        .execute();
    // Two transactions take the two rows in opposite orders, each waiting for the other: the
    // server aborts one (40P01). With retries both commit once; without, one fails.
    const crossed = (retryConflicts: number) => {
      let bothHoldOne!: () => void;
      let held = 0;
      const barrier = new Promise<void>((r) => (bothHoldOne = r));
      const tx = (first: string, second: string) =>
        db.transaction(
          async () => {
            await bump(first);
            if (++held === 2) bothHoldOne();
            await Promise.race([barrier, new Promise((r) => setTimeout(r, 200))]); // a retry goes on alone
            await bump(second);
          },
          { retryConflicts },
        );
      return Promise.allSettled([tx("dl-a", "dl-b"), tx("dl-b", "dl-a")]);
    };
    const withRetry = await crossed(2);
    expect(withRetry.map((r) => r.status)).toEqual(["fulfilled", "fulfilled"]);
    expect([await value("dl-a"), await value("dl-b")]).toEqual(["2", "2"]);
    const without = await crossed(0);
    expect(without.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect(db.isTransientConflict((without.find((r) => r.status === "rejected") as PromiseRejectedResult).reason)).toBe(
      true,
    );
    expect([await value("dl-a"), await value("dl-b")]).toEqual(["3", "3"]);
  });
});

describe.skipIf(Boolean(process.env.TEST_DATABASE_URL))("raw SQL (sqlite)", () => {
  it("binds positional, array and named parameters and returns numbers", async () => {
    const r = await db.sql.run(`INSERT INTO Setting (key, value, updatedAt) VALUES (?, ?, ?)`, "raw-1", "v", 2 ** 40);
    expect(r.changes).toBe(1);
    expect(typeof r.lastInsertRowid).toBe("number");
    expect(await db.sql.get(`SELECT key, updatedAt FROM Setting WHERE key = ?`, ["raw-1"])).toEqual({
      key: "raw-1",
      updatedAt: 2 ** 40,
    });
    expect(await db.sql.all(`SELECT value FROM Setting WHERE key = @key`, { key: "raw-1" })).toEqual([{ value: "v" }]);
    expect(await db.sql.raw(`SELECT key, value FROM Setting WHERE key = ?`, "raw-1")).toEqual([["raw-1", "v"]]);
    expect(await db.sql.get(`SELECT key FROM Setting WHERE key = ?`, "none")).toBeUndefined();
  });

  it("runs inside the ambient transaction and rolls back with it", async () => {
    await expect(
      db.transaction(async () => {
        await db.sql.run(`INSERT INTO Setting (key, value, updatedAt) VALUES (?, ?, ?)`, "raw-2", "v", 1);
        expect(await db.sql.get(`SELECT key FROM Setting WHERE key = ?`, "raw-2")).toEqual({ key: "raw-2" });
        throw new Error("undo");
      }),
    ).rejects.toThrow("undo");
    expect(await db.sql.get(`SELECT key FROM Setting WHERE key = ?`, "raw-2")).toBeUndefined();
  });

  it("returns stored 0/1 as numbers (no boolean conversion)", async () => {
    expect(await db.sql.get(`SELECT isDemo FROM Organisation WHERE code = ?`, "bool-a")).toEqual({ isDemo: 1 });
  });
});
