/**
 * One figure of the engines benchmark on one engine, in a process of its own (driven by
 * bench/engines.bench.ts): `node --import tsx engine-figures.ts <figure> <sqlite|postgresql>`.
 * Prints `RESULT {"value":…, "unit":…, "details":{…}}` on its last line.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { systemActor } from "../../src/domain/access/actor.ts";
import { enqueueMany, outboxCounts, priorities } from "../../src/domain/deliveries/outbox-service.ts";
import { createDirective, sendDirective } from "../../src/domain/directives/directive-service.ts";
import { importRosterFile } from "../../src/input/roster/import-roster-file.ts";
import { countOpenTickets, listOpenTickets } from "../../src/domain/tickets/ticket-queue.ts";
import { createOrganisation, createUnit, rollUpCounts } from "../../src/domain/units/unit-service.ts";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/lib/logger.ts";
import { startService } from "../../src/service.ts";
import { openDatabase, type Database, type Engine } from "../../src/storage/database.ts";
import { FakeTelegramServer } from "../../test/fakes/telegram-server.ts";
import { median, percentile, timeAsync, timesAsync } from "../lib.ts";
import {
  buildLinkedMembers,
  buildProvince,
  createBenchDb,
  provinceLayout,
  provinceNow,
  template,
  type BenchDb,
} from "./engine-data.ts";
import { pgProfileLines, resetPgProfile, startPgProfile } from "./pg-profile.ts";
import { startTelegramPeer } from "./start-telegram-peer.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const logger = createLogger("silent");
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join("/");

export interface Figure {
  value: number;
  unit: string;
  details: Record<string, string | number>;
}

async function withDb<T>(bench: BenchDb, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(bench.url);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

// ---- delivery engine ceiling: P real processes claiming from one outbox, fake Bot API without limits

async function ceiling(engine: Engine): Promise<Figure> {
  const size = Number(process.env.CEILING ?? 20_000);
  const processes = Number(process.env.CEILING_PROCESSES ?? (engine === "postgresql" ? 3 : 1));
  const bench = await createBenchDb(engine);
  const fake = new FakeTelegramServer({ limits: false });
  await fake.start();
  const children: ChildProcess[] = [];
  try {
    await withDb(bench, (db) =>
      enqueueMany(
        db,
        Array.from({ length: size }, (_, i) => ({
          platform: "telegram",
          chatId: String(100_000 + i),
          priority: priorities.broadcast,
          body: { text: `Thông báo: sinh hoạt chi hội lúc 19:30 thứ Sáu. (${i})` },
          dedupeKey: `b:${i}`,
        })),
      ),
    );
    const loadBefore = load();
    const cpuBefore = process.cpuUsage();
    const stopped: Promise<{ sent: number }>[] = [];
    for (let p = 0; p < processes; p++) {
      const child = spawn(
        process.execPath,
        [
          // CEILING_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/x": profile the delivery processes.
          ...(process.env.CEILING_NODE_ARGS?.split(" ").filter(Boolean) ?? []),
          "--import",
          "tsx",
          path.join(here, "delivery-process.ts"),
          bench.url,
          fake.apiRoot,
          fake.token,
          JSON.stringify(fake.botInfo),
        ],
        { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, LOG_LEVEL: "silent" } },
      );
      children.push(child);
      let buffer = "";
      stopped.push(
        new Promise((resolve) => {
          child.stdout!.on("data", (chunk: Buffer) => {
            buffer += chunk.toString();
            for (let i; (i = buffer.indexOf("\n")) >= 0; buffer = buffer.slice(i + 1)) {
              const line = JSON.parse(buffer.slice(0, i)) as { event: string; sent: number; profile?: string[] };
              if (line.profile) process.stderr.write(`profile of ${child.pid}:\n  ${line.profile.join("\n  ")}\n`);
              if (line.event === "stopped") resolve(line);
            }
          });
          child.on("exit", () => resolve({ sent: -1 }));
        }),
      );
    }
    while (fake.sentCount() < size) await new Promise((r) => setTimeout(r, 50));
    const cpu = process.cpuUsage(cpuBefore);
    const perProcess: number[] = [];
    for (const c of children) c.kill("SIGTERM");
    for (const s of stopped) perProcess.push((await s).sent);
    const at = fake
      .sent()
      .map((s) => s.at)
      .sort((a, b) => a - b);
    const seconds = (at.at(-1)! - at[0]!) / 1000;
    const chats = new Set(fake.sent().map((s) => String(s.chat_id)));
    const counts = await withDb(bench, (db) => outboxCounts(db, "telegram"));
    return {
      value: Math.round(size / seconds),
      unit: "deliveries/s",
      details: {
        messages: size,
        processes,
        sentPerProcess: perProcess.join("+"),
        duplicates: fake.sentCount() - chats.size,
        outboxSent: counts.sent ?? 0,
        seconds: seconds.toFixed(2),
        sharedBudget: process.env.DELIVERY_SHARED_BUDGET === "1" ? "on" : "off",
        /** CPU of this process (the fake Bot API) during the run. */
        fakeApiCpuS: ((cpu.user + cpu.system) / 1e6).toFixed(1),
        load: `${loadBefore}→${load()}`,
      },
    };
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await fake.stop();
    await bench.destroy();
  }
}

// ---- inbound webhook: burst throughput, then latency at 500/s --------------------------------------

async function inbound(engine: Engine): Promise<Figure> {
  const users = 3000;
  // The service is warmed up first (V8 compiles the hot paths, the pools fill): a running service
  // is warm, and a cold start's first thousands of updates would weigh on the figure.
  const warmUp = Number(process.env.WARMUP ?? 3_000);
  const burst = Number(process.env.BURST ?? 6_000);
  const steadySeconds = Number(process.env.STEADY_SECONDS ?? 10);
  const secret = "bench-secret-123456";
  const bench = await createBenchDb(engine);
  await withDb(bench, (db) => buildLinkedMembers(db, users));
  const peer = await startTelegramPeer();
  const { apiRoot, token, ask } = peer;
  const service = await startService(
    loadConfig({
      DATABASE_URL: bench.url,
      PORT: "0",
      DEMO_MODE: "off",
      LOG_LEVEL: "silent",
      TELEGRAM_BOT_TOKEN: token,
      TELEGRAM_API_ROOT: apiRoot,
      TELEGRAM_MODE: "webhook",
      TELEGRAM_WEBHOOK_URL: "http://bench.invalid",
      TELEGRAM_WEBHOOK_SECRET: secret,
      OUTBOX_CONCURRENCY: "32",
    }),
    { logger },
  );
  try {
    const url = `${service.url}/telegram/webhook`;
    while (!(await ask<{ setWebhook: boolean }>({ kind: "calls" })).setWebhook)
      await new Promise((r) => setTimeout(r, 20));
    // Handled: stored, answered, and its replies queued in the same transaction (sending them is
    // Telegram's 30 a second, not this figure).
    const count = async (table: "MessageLog" | "Outbox") => {
      let q = service.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as("n"));
      if (table === "MessageLog") q = q.where("direction", "=", "in").where("status", "=", "handled");
      return Number((await q.executeTakeFirstOrThrow()).n);
    };
    await ask({ kind: "burst", url, secret, users, count: warmUp, concurrency: 64 });
    const loadBefore = load();
    resetPgProfile();
    const cpuBefore = process.cpuUsage();
    const { ms: acceptedMs } = await ask<{ ms: number }>({
      kind: "burst",
      url,
      secret,
      users,
      count: burst,
      concurrency: 64,
      offset: warmUp,
    });
    const loadBurst = load();
    const cpu = process.cpuUsage(cpuBefore);
    if (process.env.PG_PROFILE === "1")
      process.stderr.write(
        `burst profile:\n  ${pgProfileLines(Number(process.env.PG_PROFILE_TOP ?? 12)).join("\n  ")}\n`,
      );
    const handled = (await count("MessageLog")) - warmUp;
    const repliesQueued = (await count("Outbox")) - warmUp;
    const { latencies } = await ask<{ latencies: number[] }>({
      kind: "steady",
      url,
      secret,
      users,
      rate: 500,
      seconds: steadySeconds,
      offset: warmUp + burst,
    });
    return {
      value: Math.round(burst / (acceptedMs / 1000)),
      unit: "updates/s",
      details: {
        updates: burst,
        warmUp,
        handled,
        repliesQueued,
        // The service's process (this one) while the burst was accepted: its CPU per update.
        cpuUsPerUpdate: Math.round((cpu.user + cpu.system) / burst),
        p50MsAt500: percentile(latencies, 50).toFixed(1),
        p99MsAt500: percentile(latencies, 99).toFixed(1),
        maxMsAt500: Math.max(...latencies).toFixed(1),
        load: `${loadBefore}→${loadBurst}→${load()}`,
      },
    };
  } finally {
    await service.stop();
    peer.stop();
    await bench.destroy();
  }
}

// ---- roster import, 100,000 rows (CSV) --------------------------------------------------------------

async function rosterImport(engine: Engine): Promise<Figure> {
  const rows = Number(process.env.ROWS ?? 100_000);
  const families = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"];
  const given = ["An", "Bình", "Cường", "Dũng", "Hoa", "Lan", "Mai", "Nam", "Phúc", "Sơn"];
  const bench = await createBenchDb(engine);
  try {
    return await withDb(bench, async (db) => {
      const { id: organisationId } = await createOrganisation(db, systemActor(), { code: "b", name: "Bench" });
      const root = await createUnit(db, systemActor(), { organisationId, name: "Tỉnh" });
      const file = path.join(bench.dir, "roster.csv");
      const out = ["DANH SÁCH HỘI VIÊN", "STT,Họ và tên,Số điện thoại,Chi hội,Chức vụ,Năm sinh"];
      for (let i = 0; i < rows; i++)
        out.push(
          [
            String(i + 1),
            `${families[i % 10]} Văn ${given[Math.floor(i / 10) % 10]} ${i}`,
            `09${String(10_000_000 + i).padStart(8, "0")}`,
            `Chi hội ${i % 200}`,
            i % 40 === 0 ? "Chi hội trưởng" : "",
            String(1940 + (i % 60)),
          ].join(","),
        );
      writeFileSync(file, `\uFEFF${out.join("\n")}`);
      const loadBefore = load();
      const first = await timeAsync(() =>
        importRosterFile(db, { actor: systemActor(), file, unitId: root.id, createUnits: true }),
      );
      const again = await timeAsync(() => importRosterFile(db, { actor: systemActor(), file, unitId: root.id }));
      return {
        value: first.ms / 1000,
        unit: "s",
        details: {
          rows,
          created: first.result.created,
          reimportUnchanged: again.result.unchanged,
          reimportSeconds: (again.ms / 1000).toFixed(1),
          load: `${loadBefore}→${load()}`,
        },
      };
    });
  } finally {
    await bench.destroy();
  }
}

// ---- the province: 10,101 units, 100,003 people (directive, roll-up), + 1,000,000 tickets -----------

const MEMBERS = 100_000;
const TICKETS = Number(process.env.TICKETS ?? 1_000_000);

async function provinceCopy(engine: Engine, tickets: number): Promise<{ bench: BenchDb; builtMs?: number }> {
  const name = tickets ? `province_t${tickets}_v1` : "province_v1";
  const t = await template(engine, name, (db) => buildProvince(db, MEMBERS, tickets));
  return { bench: await createBenchDb(engine, t.ref), builtMs: t.builtMs };
}

const summary =
  "Tập trung phát triển hội viên mới, nâng cao chất lượng sinh hoạt chi hội; chăm lo đời sống hội viên khó khăn, " +
  "hội viên là thương binh, bệnh binh, người bị ảnh hưởng chất độc da cam; tham gia giữ gìn an ninh trật tự ở cơ sở, " +
  "phòng chống tội phạm và tệ nạn xã hội; mỗi chi hội sinh hoạt định kỳ ít nhất 1 lần/tháng, nội dung thiết thực. " +
  "Các cấp hội báo cáo kết quả thực hiện về Thường trực Hội trước ngày 15/12/2026.";

async function directive(engine: Engine): Promise<Figure> {
  const { bench, builtMs } = await provinceCopy(engine, 0);
  const p = provinceLayout(MEMBERS, 0);
  try {
    return await withDb(bench, async (db) => {
      const d = await createDirective(
        db,
        {
          unitId: p.rootId,
          kind: "nghi_quyet",
          number: "05-NQ/HCCB",
          issuer: "Ban Thường vụ Hội CCB tỉnh",
          title: "Nghị quyết về công tác hội năm 2027",
          summary,
          link: "https://hoiccb.example.vn/nq-05",
          createdById: p.provinceOfficial,
        },
        new Date(provinceNow),
      );
      const loadBefore = load();
      const sending = await timeAsync(() =>
        sendDirective(db, d.id, { now: new Date(provinceNow + 1000), byPersonId: p.provinceOfficial }),
      );
      return {
        value: sending.ms / 1000,
        unit: "s",
        details: {
          recipients: sending.result.total,
          queued: sending.result.queued,
          notLinked: sending.result.notLinked,
          datasetBuiltS: builtMs === undefined ? "cached" : (builtMs / 1000).toFixed(0),
          load: `${loadBefore}→${load()}`,
        },
      };
    });
  } finally {
    await bench.destroy();
  }
}

async function rollUp(engine: Engine): Promise<Figure> {
  const { bench, builtMs } = await provinceCopy(engine, 0);
  const p = provinceLayout(MEMBERS, 0);
  try {
    return await withDb(bench, async (db) => {
      const loadBefore = load();
      const measure = async (fn: () => unknown) => {
        await fn();
        return median(await timesAsync(20, fn));
      };
      const whole = await measure(() => rollUpCounts(db, p.rootId));
      const commune = await measure(() => rollUpCounts(db, p.communeIds[42]!));
      const total = (await rollUpCounts(db, p.rootId))[0]!;
      return {
        value: whole,
        unit: "ms",
        details: {
          units: (await rollUpCounts(db, p.rootId)).length,
          membersTotal: total.membersTotal,
          communeMs: commune.toFixed(2),
          datasetBuiltS: builtMs === undefined ? "cached" : (builtMs / 1000).toFixed(0),
          load: `${loadBefore}→${load()}`,
        },
      };
    });
  } finally {
    await bench.destroy();
  }
}

async function ticketQueue(engine: Engine): Promise<Figure> {
  const { bench, builtMs } = await provinceCopy(engine, TICKETS);
  const p = provinceLayout(MEMBERS, TICKETS);
  try {
    return await withDb(bench, async (db) => {
      const at = new Date(provinceNow);
      const loadBefore = load();
      const measure = async (fn: () => unknown, runs = 15) => {
        await fn();
        return median(await timesAsync(runs, fn));
      };
      const page =
        (personId: number, offset = 0) =>
        () =>
          listOpenTickets(db, personId, { now: at, limit: 15, offset });
      const details: Record<string, string | number> = {
        tickets: TICKETS,
        open: (await countOpenTickets(db, p.provinceOfficial, at)).open,
      };
      const firstPages: number[] = [];
      for (const [name, personId] of [
        ["province", p.provinceOfficial],
        ["commune", p.communeOfficial],
        ["branch", p.branchCadre],
      ] as const) {
        const ms = await measure(page(personId));
        firstPages.push(ms);
        details[`${name}Ms`] = ms.toFixed(2);
        details[`${name}Page5Ms`] = (await measure(page(personId, 60))).toFixed(2);
      }
      details.countProvinceMs = (await measure(() => countOpenTickets(db, p.provinceOfficial, at), 7)).toFixed(1);
      details.datasetBuiltS = builtMs === undefined ? "cached" : (builtMs / 1000).toFixed(0);
      details.load = `${loadBefore}→${load()}`;
      details.worstFirstPageMs = Math.max(...firstPages).toFixed(2);
      return { value: firstPages[0]!, unit: "ms", details };
    });
  } finally {
    await bench.destroy();
  }
}

export const figures: Record<string, (engine: Engine) => Promise<Figure>> = {
  ceiling,
  inbound,
  import: rosterImport,
  directive,
  rollup: rollUp,
  tickets: ticketQueue,
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [name, engine] = process.argv.slice(2) as [string, Engine];
  const fn = figures[name];
  if (!fn || (engine !== "sqlite" && engine !== "postgresql")) {
    process.stderr.write(`usage: engine-figures.ts <${Object.keys(figures).join("|")}> <sqlite|postgresql>\n`);
    process.exit(2);
  }
  if (process.env.PG_PROFILE === "1") startPgProfile();
  const result = await fn(engine);
  if (process.env.PG_PROFILE === "1")
    process.stderr.write(`profile:\n  ${pgProfileLines(Number(process.env.PG_PROFILE_TOP ?? 12)).join("\n  ")}\n`);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}
