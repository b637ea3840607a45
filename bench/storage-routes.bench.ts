/**
 * Which data-access route for the typed data layer (issue 11)? Both engines side by side, on the
 * hot paths, each route on a fresh database:
 *
 *   raw        today's synchronous better-sqlite3 SQL (the domain functions as they are; SQLite only)
 *   kysely     Kysely on better-sqlite3 / pg (src/storage, what we chose), queries built inline
 *   k-prep     the same, hot-path queries prepared once (src/storage/prepared.ts)
 *   k-prep-tx  k-prep, and the send records of one claimed batch written in one transaction
 *   prisma+k   the same Kysely queries executed through Prisma Client and its driver adapter
 *              (prisma-extension-kysely; @prisma/adapter-better-sqlite3 / @prisma/adapter-pg)
 *   prisma     plain Prisma Client CRUD (create, findUnique)
 *
 * Hot paths: outbox claim (batches of 20) + send record (mark sent, delivery attempt) per message;
 * inbound store + dedupe (every 10th update a platform duplicate), sequential, with p99; reminder
 * planning (1,000 job upserts in one transaction, then again: all duplicates).
 *
 * PostgreSQL: BENCH_DATABASE_URL or TEST_DATABASE_URL or the local server; a database per route.
 * Run: npm run bench -- storage-routes
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import pg from "pg";
import {
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from "kysely";
import kyselyExtension from "prisma-extension-kysely";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as SqlitePrismaClient } from "../src/generated/prisma/client.ts";
import type { DB } from "../src/generated/kysely/types.ts";
import { openDatabase, type Database, type Engine } from "../src/storage/database.ts";
import { SqliteBooleans, skipLocked } from "../src/storage/dialect.ts";
import { prepared, type Slots } from "../src/storage/prepared.ts";
import { claim, dueCandidates, enqueueMany, markSent } from "../src/domain/deliveries/outbox-service.ts";
import { recordInbound } from "../src/domain/messages/message-log.ts";
import { percentile, report } from "./lib.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const pgServer =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const N_OUTBOX = 3000;
const N_INBOUND = 3000;
const N_JOBS = 1000;

interface Figures {
  deliveriesPerSec?: number;
  inboundPerSec?: number;
  inboundP99Ms?: number;
  planMs?: number;
  replanMs?: number;
  createPerSec?: number;
  findPerSec?: number;
}

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

// ---------------------------------------------------------------------------------------------
// Hot paths written once with Kysely (run by "kysely" and "prisma+k").

async function kOutbox(k: Kysely<DB>, engine: Engine): Promise<number> {
  const now = Date.now();
  for (let i = 0; i < N_OUTBOX; i += 500) {
    await k
      .insertInto("Outbox")
      .values(
        Array.from({ length: Math.min(500, N_OUTBOX - i) }, (_, j) => ({
          platform: "telegram",
          chatId: String(i + j),
          body: JSON.stringify({ text: "Họp chi hội" }),
          priority: 9,
          notBefore: now,
          createdAt: now,
          dedupeKey: `b:${i + j}`,
        })),
      )
      .onConflict((oc) => oc.column("dedupeKey").doNothing())
      .execute();
  }
  const start = process.hrtime.bigint();
  let sent = 0;
  for (;;) {
    const at = Date.now();
    const rows = await k
      .updateTable("Outbox")
      .set((eb) => ({ status: "sending", claimedBy: "w1", leaseUntil: at + 60_000, attempts: eb("attempts", "+", 1) }))
      .where("id", "in", (eb) =>
        skipLocked(
          engine,
          eb
            .selectFrom("Outbox")
            .select("id")
            .where("status", "=", "pending")
            .where("platform", "=", "telegram")
            .where("notBefore", "<=", at)
            .orderBy("priority")
            .orderBy("id")
            .limit(20),
        ),
      )
      .where("status", "=", "pending")
      .returning(["id", "chatId", "body"])
      .execute();
    if (!rows.length) break;
    for (const row of rows) {
      const t = Date.now();
      await k
        .updateTable("Outbox")
        .set({ status: "sent", sentAt: t, platformMessageId: `m${row.id}`, leaseUntil: null, lastError: null })
        .where("id", "=", row.id)
        .where("claimedBy", "=", "w1")
        .where("status", "=", "sending")
        .execute();
      await k.insertInto("DeliveryAttempt").values({ outboxId: row.id, outcome: "sent", createdAt: t }).execute();
      sent++;
    }
  }
  if (sent !== N_OUTBOX) throw new Error(`outbox: sent ${sent}`);
  return N_OUTBOX / (ms(start) / 1000);
}

async function kInbound(k: Kysely<DB>): Promise<{ perSec: number; p99: number }> {
  const lat: number[] = [];
  const start = process.hrtime.bigint();
  for (let i = 0; i < N_INBOUND; i++) {
    const event = i % 10 === 9 ? i - 1 : i; // every 10th a duplicate of the one before
    const t0 = process.hrtime.bigint();
    const inserted = await k
      .insertInto("MessageLog")
      .values({
        direction: "in",
        platform: "telegram",
        chatId: String(event % 500),
        chatType: "private",
        senderExternalId: String(event % 500),
        kind: "text",
        text: "Có",
        platformEventId: String(event),
        status: "received",
        createdAt: Date.now(),
      })
      .onConflict((oc) => oc.columns(["platform", "platformEventId"]).doNothing())
      .returning("id")
      .executeTakeFirst();
    if (!inserted) {
      await k
        .selectFrom("MessageLog")
        .select(["id", "status"])
        .where("platform", "=", "telegram")
        .where("platformEventId", "=", String(event))
        .executeTakeFirstOrThrow();
    }
    lat.push(ms(t0));
  }
  return { perSec: N_INBOUND / (ms(start) / 1000), p99: percentile(lat, 99) };
}

async function kPlan(k: Kysely<DB>): Promise<number> {
  const start = process.hrtime.bigint();
  await k.transaction().execute(async (trx) => {
    const now = Date.now();
    for (let i = 0; i < N_JOBS; i += 200) {
      await trx
        .insertInto("ScheduledJob")
        .values(
          Array.from({ length: 200 }, (_, j) => ({
            kind: "reminder",
            entityType: "Meeting",
            entityId: (i + j) % 200,
            dueAt: now + (i + j) * 1000,
            expiresAt: now + 86_400_000,
            status: "pending",
            dedupeKey: `reminder:${i + j}`,
            createdAt: now,
          })),
        )
        .onConflict((oc) => oc.column("dedupeKey").doNothing())
        .execute();
    }
  });
  return ms(start);
}

// The same hot paths with prepared queries (built and compiled once per database).

const claimQ = prepared((k, p: Slots<{ worker: string; leaseUntil: number; now: number; n: number }>) =>
  k
    .updateTable("Outbox")
    .set((eb) => ({
      status: "sending",
      claimedBy: p.worker,
      leaseUntil: p.leaseUntil,
      attempts: eb("attempts", "+", 1),
    }))
    .where("id", "in", (eb) =>
      eb
        .selectFrom("Outbox")
        .select("id")
        .where("status", "=", "pending")
        .where("platform", "=", "telegram")
        .where("notBefore", "<=", p.now)
        .orderBy("priority")
        .orderBy("id")
        .limit(p.n),
    )
    .where("status", "=", "pending")
    .returning(["id", "chatId", "body"]),
);
const claimPgQ = prepared((k, p: Slots<{ worker: string; leaseUntil: number; now: number; n: number }>) =>
  k
    .updateTable("Outbox")
    .set((eb) => ({
      status: "sending",
      claimedBy: p.worker,
      leaseUntil: p.leaseUntil,
      attempts: eb("attempts", "+", 1),
    }))
    .where("id", "in", (eb) =>
      skipLocked(
        "postgresql",
        eb
          .selectFrom("Outbox")
          .select("id")
          .where("status", "=", "pending")
          .where("platform", "=", "telegram")
          .where("notBefore", "<=", p.now)
          .orderBy("priority")
          .orderBy("id")
          .limit(p.n),
      ),
    )
    .where("status", "=", "pending")
    .returning(["id", "chatId", "body"]),
);
const markSentQ = prepared((k, p: Slots<{ id: number; worker: string; at: number; messageId: string }>) =>
  k
    .updateTable("Outbox")
    .set({ status: "sent", sentAt: p.at, platformMessageId: p.messageId, leaseUntil: null, lastError: null })
    .where("id", "=", p.id)
    .where("claimedBy", "=", p.worker)
    .where("status", "=", "sending"),
);
const attemptQ = prepared((k, p: Slots<{ id: number; at: number }>) =>
  k.insertInto("DeliveryAttempt").values({ outboxId: p.id, outcome: "sent", createdAt: p.at }),
);
const inboundQ = prepared((k, p: Slots<{ chatId: string; eventId: string; at: number }>) =>
  k
    .insertInto("MessageLog")
    .values({
      direction: "in",
      platform: "telegram",
      chatId: p.chatId,
      chatType: "private",
      senderExternalId: p.chatId,
      kind: "text",
      text: "Có",
      platformEventId: p.eventId,
      status: "received",
      createdAt: p.at,
    })
    .onConflict((oc) => oc.columns(["platform", "platformEventId"]).doNothing())
    .returning("id"),
);
const existingQ = prepared((k, p: Slots<{ eventId: string }>) =>
  k
    .selectFrom("MessageLog")
    .select(["id", "status"])
    .where("platform", "=", "telegram")
    .where("platformEventId", "=", p.eventId),
);

async function pOutbox(db: Database, batchTx: boolean): Promise<number> {
  const now = Date.now();
  for (let i = 0; i < N_OUTBOX; i += 500) {
    await db.kysely
      .insertInto("Outbox")
      .values(
        Array.from({ length: Math.min(500, N_OUTBOX - i) }, (_, j) => ({
          platform: "telegram",
          chatId: String(i + j),
          body: JSON.stringify({ text: "Họp chi hội" }),
          priority: 9,
          notBefore: now,
          createdAt: now,
          dedupeKey: `b:${i + j}`,
        })),
      )
      .execute();
  }
  const start = process.hrtime.bigint();
  let sent = 0;
  for (;;) {
    const at = Date.now();
    const args = { worker: "w1", leaseUntil: at + 60_000, now: at, n: 20 };
    const rows = db.engine === "postgresql" ? await claimPgQ.all(db, args) : await claimQ.all(db, args);
    if (!rows.length) break;
    const record = async (target: Database) => {
      for (const row of rows) {
        const t = Date.now();
        await markSentQ.run(target, { id: row.id, worker: "w1", at: t, messageId: `m${row.id}` });
        await attemptQ.run(target, { id: row.id, at: t });
        sent++;
      }
    };
    if (batchTx) {
      // One transaction for the batch: prepared queries run on the transaction's connection.
      await db.kysely.transaction().execute(async (trx) => record({ ...db, kysely: trx }));
    } else await record(db);
  }
  if (sent !== N_OUTBOX) throw new Error(`outbox: sent ${sent}`);
  return N_OUTBOX / (ms(start) / 1000);
}

async function pInbound(db: Database): Promise<{ perSec: number; p99: number }> {
  const lat: number[] = [];
  const start = process.hrtime.bigint();
  for (let i = 0; i < N_INBOUND; i++) {
    const event = i % 10 === 9 ? i - 1 : i;
    const t0 = process.hrtime.bigint();
    const inserted = await inboundQ.first(db, { chatId: String(event % 500), eventId: String(event), at: Date.now() });
    if (!inserted) {
      const found = await existingQ.first(db, { eventId: String(event) });
      if (!found) throw new Error("duplicate not found");
    }
    lat.push(ms(t0));
  }
  return { perSec: N_INBOUND / (ms(start) / 1000), p99: percentile(lat, 99) };
}

// ---------------------------------------------------------------------------------------------
// The raw baseline: today's functions, synchronous better-sqlite3.

async function rawOutbox(db: Database): Promise<number> {
  const now = new Date();
  await enqueueMany(
    db,
    Array.from({ length: N_OUTBOX }, (_, i) => ({
      platform: "telegram",
      chatId: String(i),
      body: { text: "Họp chi hội" },
      priority: 9,
      dedupeKey: `b:${i}`,
    })),
    now,
  );
  const start = process.hrtime.bigint();
  let sent = 0;
  for (;;) {
    const at = new Date();
    const rows = await claim(
      db,
      (await dueCandidates(db, { platform: "telegram", now: at, limit: 20 })).map((r) => r.id),
      "w1",
      new Date(at.getTime() + 60_000),
    );
    if (!rows.length) break;
    for (const row of rows) {
      await markSent(db, { id: row.id, workerId: "w1", platformMessageId: `m${row.id}` });
      sent++;
    }
  }
  if (sent !== N_OUTBOX) throw new Error(`outbox: sent ${sent}`);
  return N_OUTBOX / (ms(start) / 1000);
}

async function rawInbound(db: Database): Promise<{ perSec: number; p99: number }> {
  const lat: number[] = [];
  const start = process.hrtime.bigint();
  for (let i = 0; i < N_INBOUND; i++) {
    const event = i % 10 === 9 ? i - 1 : i;
    const t0 = process.hrtime.bigint();
    await recordInbound(db, {
      platform: "telegram",
      chatId: String(event % 500),
      chatType: "private",
      senderExternalId: String(event % 500),
      kind: "text",
      text: "Có",
      platformEventId: String(event),
      at: new Date(),
    });
    lat.push(ms(t0));
  }
  return { perSec: N_INBOUND / (ms(start) / 1000), p99: percentile(lat, 99) };
}

async function rawPlan(db: Database): Promise<number> {
  const start = process.hrtime.bigint();
  await db.transaction(async () => {
    const now = Date.now();
    for (let i = 0; i < N_JOBS; i++) {
      await db.sql.run(
        `INSERT INTO ScheduledJob (kind, meetingId, entityType, entityId, dueAt, expiresAt, status, dedupeKey, createdAt) VALUES ('reminder', NULL, 'Meeting', ?, ?, ?, 'pending', ?, ?) ON CONFLICT (dedupeKey) DO NOTHING`,
        i % 200,
        now + i * 1000,
        now + 86_400_000,
        `reminder:${i}`,
        now,
      );
    }
  });
  return ms(start);
}

// ---------------------------------------------------------------------------------------------
// Plain Prisma Client CRUD.

interface CrudClient {
  auditLog: {
    create(args: { data: Record<string, unknown> }): Promise<{ id: number }>;
    findUnique(args: { where: { id: number } }): Promise<unknown>;
  };
}

async function prismaCrud(
  client: CrudClient,
  time: (ms: number) => unknown,
): Promise<{ create: number; find: number }> {
  const n = 1500;
  const ids: number[] = [];
  let start = process.hrtime.bigint();
  for (let i = 0; i < n; i++)
    ids.push(
      (await client.auditLog.create({ data: { source: "cli", action: "bench", createdAt: time(Date.now()) } })).id,
    );
  const create = n / (ms(start) / 1000);
  start = process.hrtime.bigint();
  for (const id of ids) await client.auditLog.findUnique({ where: { id } });
  return { create, find: n / (ms(start) / 1000) };
}

// ---------------------------------------------------------------------------------------------
// Databases.

async function freshPg(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `chihoi_bench_${process.pid}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: pgServer });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(pgServer);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: pgServer });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

async function withDb<T>(engine: Engine, fn: (db: Database) => Promise<T>): Promise<T> {
  if (engine === "sqlite") {
    const dir = mkdtempSync(path.join(tmpdir(), "chihoi-bench-"));
    const db = await openDatabase(`file:${path.join(dir, "b.db")}`);
    try {
      return await fn(db);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const fresh = await freshPg();
  const db = await openDatabase(fresh.url);
  try {
    return await fn(db);
  } finally {
    await db.close();
    await fresh.drop();
  }
}

/** The PostgreSQL Prisma Client (generated from prisma/postgresql/schema.prisma into bench/out). */
async function pgPrismaClient(): Promise<
  new (options: {
    adapter: unknown;
  }) => CrudClient & { $extends: (e: unknown) => unknown; $disconnect(): Promise<void> }
> {
  const file = path.join(root, "bench/out/prisma-pg-client/client.ts");
  if (!existsSync(file)) {
    const r = spawnSync(
      path.join(root, "node_modules/.bin/prisma"),
      ["generate", "--config", "prisma/postgresql/prisma.config.ts"],
      {
        cwd: root,
        encoding: "utf8",
        env: {
          ...process.env,
          PRISMA_QUERY_ENGINE_LIBRARY: path.join(root, "package.json"),
          MIGRATIONS_DATABASE_URL: pgServer,
        },
      },
    );
    if (r.status !== 0) throw new Error(`could not generate the PostgreSQL Prisma Client: ${r.stderr}`);
  }
  const mod = (await import(file)) as { PrismaClient: never };
  return mod.PrismaClient;
}

type Extended = { $kysely: Kysely<DB>; $disconnect(): Promise<void> };

function extend(client: { $extends: (e: unknown) => unknown }, engine: Engine): Extended {
  return client.$extends(
    kyselyExtension({
      kysely: (driver) =>
        new Kysely<DB>({
          dialect: {
            createDriver: () => driver,
            createAdapter: () => (engine === "sqlite" ? new SqliteAdapter() : new PostgresAdapter()),
            createIntrospector: (db) =>
              engine === "sqlite" ? new SqliteIntrospector(db) : new PostgresIntrospector(db),
            createQueryCompiler: () => (engine === "sqlite" ? new SqliteQueryCompiler() : new PostgresQueryCompiler()),
          },
          plugins: engine === "sqlite" ? [new SqliteBooleans()] : [],
        }),
    }),
  ) as Extended;
}

async function prismaRoute(
  engine: Engine,
  db: Database,
): Promise<{ extended: Extended; crud: CrudClient; time: (ms: number) => unknown; close(): Promise<void> }> {
  if (engine === "sqlite") {
    const client = new SqlitePrismaClient({
      adapter: new PrismaBetterSQLite3({ url: `file:${db.file}` }, { timestampFormat: "unixepoch-ms" }),
    });
    return {
      extended: extend(client as never, engine),
      crud: client as unknown as CrudClient,
      time: (t) => new Date(t),
      close: () => client.$disconnect(),
    };
  }
  const Client = await pgPrismaClient();
  const client = new Client({ adapter: new PrismaPg({ connectionString: db.url }) });
  return { extended: extend(client, engine), crud: client, time: (t) => BigInt(t), close: () => client.$disconnect() };
}

async function route(engine: Engine, name: string): Promise<Figures> {
  const f: Figures = {};
  const run = async (path: "outbox" | "inbound" | "plan" | "crud") =>
    withDb(engine, async (db) => {
      if (name === "raw") {
        if (path === "outbox") f.deliveriesPerSec = await rawOutbox(db);
        if (path === "inbound") ({ perSec: f.inboundPerSec, p99: f.inboundP99Ms } = await rawInbound(db));
        if (path === "plan") [f.planMs, f.replanMs] = [await rawPlan(db), await rawPlan(db)];
        return;
      }
      if (name === "k-prep" || name === "k-prep-tx") {
        if (path === "outbox") f.deliveriesPerSec = await pOutbox(db, name === "k-prep-tx");
        if (path === "inbound" && name === "k-prep")
          ({ perSec: f.inboundPerSec, p99: f.inboundP99Ms } = await pInbound(db));
        return;
      }
      if (name === "kysely") {
        if (path === "outbox") f.deliveriesPerSec = await kOutbox(db.kysely, engine);
        if (path === "inbound") ({ perSec: f.inboundPerSec, p99: f.inboundP99Ms } = await kInbound(db.kysely));
        if (path === "plan") [f.planMs, f.replanMs] = [await kPlan(db.kysely), await kPlan(db.kysely)];
        return;
      }
      const p = await prismaRoute(engine, db);
      try {
        if (name === "prisma+k") {
          if (path === "outbox") f.deliveriesPerSec = await kOutbox(p.extended.$kysely, engine);
          if (path === "inbound")
            ({ perSec: f.inboundPerSec, p99: f.inboundP99Ms } = await kInbound(p.extended.$kysely));
          // prisma-extension-kysely runs a transaction through Prisma's $transaction: plan without one.
          if (path === "plan")
            [f.planMs, f.replanMs] = [await kPlanNoTx(p.extended.$kysely), await kPlanNoTx(p.extended.$kysely)];
        }
        if (name === "prisma" && path === "crud")
          ({ create: f.createPerSec, find: f.findPerSec } = await prismaCrud(p.crud, p.time));
      } finally {
        await p.close();
      }
    });
  if (name === "prisma") await run("crud");
  else if (name.startsWith("k-prep"))
    for (const p of name === "k-prep" ? (["outbox", "inbound"] as const) : (["outbox"] as const)) await run(p);
  else for (const p of ["outbox", "inbound", "plan"] as const) await run(p);
  return f;
}

async function kPlanNoTx(k: Kysely<DB>): Promise<number> {
  const start = process.hrtime.bigint();
  const now = Date.now();
  for (let i = 0; i < N_JOBS; i += 200) {
    await k
      .insertInto("ScheduledJob")
      .values(
        Array.from({ length: 200 }, (_, j) => ({
          kind: "reminder",
          entityType: "Meeting",
          entityId: (i + j) % 200,
          dueAt: now + (i + j) * 1000,
          expiresAt: now + 86_400_000,
          status: "pending",
          dedupeKey: `reminder:${i + j}`,
          createdAt: now,
        })),
      )
      .onConflict((oc) => oc.column("dedupeKey").doNothing())
      .execute();
  }
  return ms(start);
}

const fmt = (v: number | undefined, digits = 0) => (v === undefined ? "-" : v.toFixed(digits));

for (const name of ["raw", "kysely", "k-prep", "k-prep-tx", "prisma+k", "prisma"]) {
  for (const engine of ["sqlite", "postgresql"] as const) {
    if (name === "raw" && engine === "postgresql") continue;
    const f = await route(engine, name);
    report(`storage ${name.padEnd(8)} ${engine.padEnd(10)}`, {
      deliveries_per_s: fmt(f.deliveriesPerSec),
      inbound_per_s: fmt(f.inboundPerSec),
      inbound_p99_ms: fmt(f.inboundP99Ms, 2),
      plan_1000_ms: fmt(f.planMs, 1),
      replan_ms: fmt(f.replanMs, 1),
      create_per_s: fmt(f.createPerSec),
      find_per_s: fmt(f.findPerSec),
    });
  }
}
