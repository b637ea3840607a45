/**
 * Issue 13: the report of a province — 10,101 units, 200,000 people, 12 months of meetings and
 * answers, 1,000,000 concerns — target ≤ 500 ms; its .xlsx export ≤ 5 s and < 300 MB RSS; an API
 * page of 1,000 people ≤ 100 ms.
 */
import { existsSync } from "node:fs";
import { openDatabase } from "../src/storage/database.ts";
import { benchDatabase, median, memorySampler, report, timeAsync, timesAsync } from "./lib.ts";
import { buildUnitTree } from "./support/unit-tree-data.ts";
import { systemActor } from "../src/domain/access/actor.ts";
import { unitReport } from "../src/domain/reports/unit-report.ts";
import { reportXlsx } from "../src/domain/reports/report-tables.ts";
import { createApiToken } from "../src/domain/api-tokens/api-token-service.ts";
import { createWebServer } from "../src/web/server.ts";
import { mountApi } from "../src/web/api/api.ts";
import { translator } from "../src/lib/i18n.ts";
import { Hono } from "hono";
import { mountAdmin } from "../src/web/admin/admin-app.ts";
import { createWebSession } from "../src/domain/web-auth/web-session-service.ts";
import { createDirective, sendDirective } from "../src/domain/directives/directive-service.ts";

// REPORTS_BENCH_DB=/path/file.db keeps the generated database there and reuses it next time
// (generating it takes minutes). The directive sent below is added to it each run.
const keep = process.env.REPORTS_BENCH_DB;
const reuse = Boolean(keep && existsSync(keep));
const db = keep
  ? Object.assign(await openDatabase(`file:${keep}`), { dir: "", destroy: async () => undefined })
  : await benchDatabase();
const { rootId, units } = reuse
  ? {
      rootId: (await db.sql.get<{ id: number }>(`SELECT id FROM Unit WHERE parentId IS NULL`))!.id,
      units: (await db.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM Unit`))!.n,
    }
  : await buildUnitTree(db);
const now = Date.UTC(2027, 0, 15);
const DAY = 86_400_000;
const raw = db.sql.db;
if (!reuse) await generate();
const meetings = (await db.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM Meeting`))!.n;
const answers = (await db.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM Rsvp`))!.n;

async function generate(): Promise<void> {
  // Chat accounts of the linked third (Telegram and Zalo alternately).
  raw
    .prepare(
      `INSERT INTO ChatAccount (platform, externalId, personId, createdAt) SELECT CASE WHEN id % 2 THEN 'telegram' ELSE 'zalo' END, 'x' || id, id, ? FROM Person WHERE linkedAccounts > 0`,
    )
    .run(now);

  // 12 months: one meeting per branch per month; half the members answer; attendance recorded at a third.
  const branches = (await db.sql.raw<[number]>(`SELECT id FROM Unit WHERE depth = 3`)).map((r) => r[0]);
  const membersOf = new Map<number, number[]>();
  for (const [unitId, personId] of await db.sql.raw<[number, number]>(`SELECT unitId, personId FROM Membership`)) {
    let list = membersOf.get(unitId);
    if (!list) membersOf.set(unitId, (list = []));
    list.push(personId);
  }
  const insertMeeting = raw.prepare(
    `INSERT INTO Meeting (unitId, title, startsAt, endsAt, createdAt, updatedAt) VALUES (?, 'Sinh hoạt', ?, ?, ?, ?)`,
  );
  const insertRsvp = raw.prepare(`INSERT INTO Rsvp (meetingId, personId, answer, answeredAt) VALUES (?, ?, ?, ?)`);
  const insertAttendance = raw.prepare(
    `INSERT INTO Attendance (meetingId, personId, present, recordedAt) VALUES (?, ?, ?, ?)`,
  );
  raw.transaction(() => {
    for (let month = 0; month < 12; month++) {
      const startsAt = now - (month + 1) * 30 * DAY;
      for (const unitId of branches) {
        const id = Number(
          insertMeeting.run(unitId, startsAt, startsAt + 7_200_000, startsAt, startsAt).lastInsertRowid,
        );
        const people = membersOf.get(unitId) ?? [];
        people.forEach((personId, i) => {
          if ((i + month) % 2 === 0) {
            insertRsvp.run(id, personId, i % 5 ? "attend" : "absent", startsAt - DAY);
          }
          if (unitId % 3 === 0) insertAttendance.run(id, personId, i % 4 ? 1 : 0, startsAt);
        });
      }
    }
  })();

  // 1,000,000 concerns over the year, spread over the branches; most answered, some rated.
  const insertTicket =
    raw.prepare(`INSERT INTO Ticket (unitId, originUnitId, personId, category, status, dueAt, satisfied, createdAt, updatedAt, firstAnsweredAt)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const categories = ["che_do_chinh_sach", "doi_song", "ha_tang", "an_ninh_trat_tu", "to_chuc_hoi", "khac"];
  raw.transaction(() => {
    for (let i = 0; i < 1_000_000; i++) {
      const unitId = branches[i % branches.length]!;
      const people = membersOf.get(unitId)!;
      const createdAt = now - (i % 360) * DAY - (i % 1000) * 1000;
      const answered = i % 10 !== 0;
      insertTicket.run(
        unitId,
        unitId,
        people[i % people.length]!,
        categories[i % 6],
        answered ? "answered" : "new",
        createdAt + 7 * DAY,
        answered && i % 3 === 0 ? i % 2 : null,
        createdAt,
        createdAt,
        answered ? createdAt + ((i % 97) + 1) * 3_600_000 : null,
      );
    }
  })();
  raw.pragma("optimize");
}

const options = { from: new Date(now - 365 * DAY), to: new Date(now), now: new Date(now) };

/**
 * Runs `fn` with every SQLite statement timed: prints each query (its first words), its time and
 * rows, and the time spent outside SQL (JavaScript), so the slow steps of the report show.
 */
async function profileQueries(name: string, fn: () => Promise<unknown>): Promise<void> {
  type Stmt = {
    source: string;
    all(...a: unknown[]): unknown[];
    get(...a: unknown[]): unknown;
    run(...a: unknown[]): unknown;
  };
  const proto = Object.getPrototypeOf(raw.prepare("SELECT 1")) as Stmt;
  const original = { all: proto.all, get: proto.get, run: proto.run };
  const log: { sql: string; ms: number; rows: number }[] = [];
  const timed = (method: "all" | "get" | "run") =>
    function (this: Stmt, ...args: unknown[]) {
      const start = process.hrtime.bigint();
      const result = original[method].apply(this, args) as unknown;
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      log.push({ sql: this.source, ms, rows: Array.isArray(result) ? result.length : result === undefined ? 0 : 1 });
      return result;
    };
  proto.all = timed("all") as Stmt["all"];
  proto.get = timed("get");
  proto.run = timed("run");
  const total = await timeAsync(fn).finally(() => Object.assign(proto, original));
  let sqlMs = 0;
  for (const q of log) {
    sqlMs += q.ms;
    const text = q.sql.replace(/\s+/g, " ").replace(/"/g, "");
    process.stdout.write(
      `  ${q.ms.toFixed(1).padStart(8)} ms ${String(q.rows).padStart(7)} rows  ${text.slice(0, 110)}\n`,
    );
  }
  report(`${name} by query`, {
    totalMs: total.ms.toFixed(0),
    queries: log.length,
    sqlMs: sqlMs.toFixed(0),
    otherMs: (total.ms - sqlMs).toFixed(0),
  });
}
// RSS before and at most during each step (after a collection), so each step's memory shows.
const rssMb = () => Math.round(process.memoryUsage().rss / 1048576);
const collect = () => (globalThis as { gc?: () => void }).gc?.();
collect();
const reportRssBefore = rssMb();
const reportSampler = memorySampler();
// CPU time beside the wall time: on a loaded machine it shows what the report itself costs.
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const cpuRuns: number[] = [];
const runs = await timesAsync(3, async () => {
  const start = cpuMs();
  await unitReport(db, systemActor(), rootId, options);
  cpuRuns.push(cpuMs() - start);
});
const province = await unitReport(db, systemActor(), rootId, options);
const reportPeak = reportSampler.stop().peakMb;
await profileQueries("province report", () => unitReport(db, systemActor(), rootId, options));
report(
  "province report",
  {
    units,
    people: 200_000,
    meetings,
    answers,
    concerns: 1_000_000,
    medianMs: median(runs).toFixed(0),
    runsMs: runs.map((r) => r.toFixed(0)).join("/"),
    cpuMedianMs: median(cpuRuns).toFixed(0),
    members: province.unit.members,
    children: province.children.length,
    rssBeforeMb: reportRssBefore,
    peakRssMb: reportPeak,
  },
  "≤ 500 ms",
);
collect();
const xlsxRssBefore = rssMb();

const sampler = memorySampler();
const xlsx = await timeAsync(() => reportXlsx(province, translator("vi")));
report(
  "province report .xlsx",
  { ms: xlsx.ms.toFixed(0), bytes: xlsx.result.length, rssBeforeMb: xlsxRssBefore, peakRssMb: sampler.stop().peakMb },
  "≤ 5 s and < 300 MB RSS",
);

const web = createWebServer({ host: "127.0.0.1", port: 0, locale: "vi", demo: false, chat: false });
mountApi(web.app, { db, locale: "vi", timeZone: "Asia/Ho_Chi_Minh", requestsPerMinute: 1_000_000 });
const { secret } = await createApiToken(db, systemActor("cli"), { unitId: rootId, name: "bench", access: "read" });
const headers = { authorization: `Bearer ${secret}` };
const commune = (await db.sql.get<{ id: number }>(`SELECT id FROM Unit WHERE depth = 1 LIMIT 1 OFFSET 42`))!.id;
const pageTimes: number[] = [];
const communeTimes: number[] = [];
let cursor: number | null = 0;
for (let i = 0; i < 20 && cursor !== null; i++) {
  const start = process.hrtime.bigint();
  const body = (await (await web.app.request(`/api/v1/people?limit=1000&after=${cursor}`, { headers })).json()) as {
    items: unknown[];
    nextCursor: number | null;
  };
  pageTimes.push(Number(process.hrtime.bigint() - start) / 1e6);
  cursor = body.nextCursor;
  const s2 = process.hrtime.bigint();
  await (await web.app.request(`/api/v1/people?limit=1000&unit=${commune}`, { headers })).json();
  communeTimes.push(Number(process.hrtime.bigint() - s2) / 1e6);
}
report(
  "API page of 1,000 people",
  {
    provinceMedianMs: median(pageTimes).toFixed(1),
    provinceMaxMs: Math.max(...pageTimes).toFixed(1),
    communeMedianMs: median(communeTimes).toFixed(1),
  },
  "≤ 100 ms",
);

// The same through the workplace's pages (server time: a request through the mounted app, the
// HTML or file complete), as a provincial official sees them.
const officialId = (await db.sql.get<{ id: number }>(`SELECT id FROM Person ORDER BY id LIMIT 1`))!.id;
raw
  .prepare(`INSERT OR IGNORE INTO Membership (personId, unitId, role, createdAt) VALUES (?, ?, 'official', ?)`)
  .run(officialId, rootId, now);
const clock = () => new Date(now);
const admin = new Hono();
mountAdmin(admin, {
  db,
  demo: false,
  defaultLocale: "vi",
  timeZone: "Asia/Ho_Chi_Minh",
  trustProxy: false,
  linkCodeTtlDays: 30,
  channels: [],
  serviceUrl: () => "http://localhost",
  now: clock,
});
const cookie = `chihoi_admin=${(await createWebSession(db, officialId, clock())).token}`;
const get = async (path: string) => {
  const start = process.hrtime.bigint();
  const res = await admin.request(path, { headers: { cookie } });
  const bytes = (await res.arrayBuffer()).byteLength;
  if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, bytes };
};
// The page itself answers at once; its figures come in a second request (the report, cached for
// two minutes so the downloads that follow reuse it).
const shellRuns = [];
for (let i = 0; i < 3; i++) shellRuns.push((await get(`/admin/reports?unit=${rootId}`)).ms);
const bodyCold = await get(`/admin/reports/body?unit=${rootId}`);
const bodyCached = await get(`/admin/reports/body?unit=${rootId}`);
const communeCold = await get(`/admin/reports/body?unit=${commune}`);
report(
  "report page",
  {
    shellMedianMs: median(shellRuns).toFixed(0),
    provinceFiguresMs: bodyCold.ms.toFixed(0),
    provinceCachedMs: bodyCached.ms.toFixed(0),
    communeFiguresMs: communeCold.ms.toFixed(0),
    htmlKb: Math.round(bodyCold.bytes / 1024),
  },
  "report ≤ 500 ms",
);
collect();
const webRssBefore = rssMb();
const webSampler = memorySampler();
const webXlsx = await get(`/admin/reports/export.xlsx?unit=${rootId}`);
// Another period: computed afresh for the download.
const webXlsxCold = await get(`/admin/reports/export.xlsx?unit=${rootId}&from=2026-02-01&to=2027-01-14`);
report(
  "report .xlsx download",
  {
    afterViewingMs: webXlsx.ms.toFixed(0),
    freshMs: webXlsxCold.ms.toFixed(0),
    bytes: webXlsx.bytes,
    rssBeforeMb: webRssBefore,
    peakRssMb: webSampler.stop().peakMb,
  },
  "≤ 5 s and < 300 MB RSS",
);

// A directive to the whole province: two thirds of the copies delivered, a third of those read.
const sendStart = process.hrtime.bigint();
const directive = await createDirective(
  db,
  {
    unitId: rootId,
    kind: "thong_bao",
    title: "Thông báo toàn tỉnh",
    summary: "Nội dung.",
    createdById: officialId,
    source: "web",
  },
  new Date(now),
);
const sent = await sendDirective(db, directive.id, { now: new Date(now), byPersonId: officialId, source: "web" });
const sendMs = Number(process.hrtime.bigint() - sendStart) / 1e6;
raw
  .prepare(
    `UPDATE Outbox SET status = 'sent', sentAt = ? WHERE entityType = 'Directive' AND entityId = ? AND id % 3 != 0`,
  )
  .run(now, directive.id);
raw
  .prepare(
    `UPDATE DirectiveDelivery SET readAt = ? WHERE directiveId = ? AND personId % 3 = 0 AND outboxId % 3 != 0 AND personId % 9 = 0`,
  )
  .run(now, directive.id);
const directiveRuns = [];
for (let i = 0; i < 3; i++) directiveRuns.push((await get(`/admin/directives/${directive.id}`)).ms);
const liveRuns = [];
for (let i = 0; i < 3; i++) liveRuns.push((await get(`/admin/directives/${directive.id}/live?unit=${rootId}`)).ms);
const communeDirective = [];
for (let i = 0; i < 3; i++) communeDirective.push((await get(`/admin/directives/${directive.id}?unit=${commune}`)).ms);
const composer = await get(`/admin/directives/reach?unit=${rootId}`);
report("directive to the province", {
  audience: sent.total,
  queued: sent.queued,
  sendMs: sendMs.toFixed(0),
  pageMedianMs: median(directiveRuns).toFixed(0),
  livePollMedianMs: median(liveRuns).toFixed(0),
  communePageMedianMs: median(communeDirective).toFixed(0),
  composerReachMs: composer.ms.toFixed(0),
});
const auditRuns = [];
for (let i = 0; i < 3; i++) auditRuns.push((await get(`/admin/audit?unit=${rootId}`)).ms);
report("audit log page", { medianMs: median(auditRuns).toFixed(0) });
await db.destroy();
