/**
 * Issue 13: the report of a province — 10,101 units, 200,000 people, 12 months of meetings and
 * answers, 1,000,000 concerns — target ≤ 500 ms; its .xlsx export ≤ 5 s and < 300 MB RSS; an API
 * page of 1,000 people ≤ 100 ms.
 */
import { benchDatabase, median, memorySampler, report, timeAsync, timesAsync } from "./lib.ts";
import { buildUnitTree } from "./support/unit-tree-data.ts";
import { systemActor } from "../src/domain/access/actor.ts";
import { unitReport } from "../src/domain/reports/unit-report.ts";
import { reportXlsx } from "../src/domain/reports/report-tables.ts";
import { createApiToken } from "../src/domain/api-tokens/api-token-service.ts";
import { createWebServer } from "../src/web/server.ts";
import { mountApi } from "../src/web/api/api.ts";
import { translator } from "../src/lib/i18n.ts";

const db = await benchDatabase();
const { rootId, units } = await buildUnitTree(db);
const now = Date.UTC(2027, 0, 15);
const DAY = 86_400_000;
const raw = db.sql.db;

// Chat accounts of the linked third (Telegram and Zalo alternately).
raw.prepare(`INSERT INTO ChatAccount (platform, externalId, personId, createdAt) SELECT CASE WHEN id % 2 THEN 'telegram' ELSE 'zalo' END, 'x' || id, id, ? FROM Person WHERE linkedAccounts > 0`).run(now);

// 12 months: one meeting per branch per month; half the members answer; attendance recorded at a third.
const branches = (await db.sql.raw<[number]>(`SELECT id FROM Unit WHERE depth = 3`)).map((r) => r[0]);
const membersOf = new Map<number, number[]>();
for (const [unitId, personId] of await db.sql.raw<[number, number]>(`SELECT unitId, personId FROM Membership`)) {
  let list = membersOf.get(unitId);
  if (!list) membersOf.set(unitId, (list = []));
  list.push(personId);
}
const insertMeeting = raw.prepare(`INSERT INTO Meeting (unitId, title, startsAt, endsAt, createdAt, updatedAt) VALUES (?, 'Sinh hoạt', ?, ?, ?, ?)`);
const insertRsvp = raw.prepare(`INSERT INTO Rsvp (meetingId, personId, answer, answeredAt) VALUES (?, ?, ?, ?)`);
const insertAttendance = raw.prepare(`INSERT INTO Attendance (meetingId, personId, present, recordedAt) VALUES (?, ?, ?, ?)`);
let meetings = 0;
let answers = 0;
await db.transaction(async () => {
  for (let month = 0; month < 12; month++) {
    const startsAt = now - (month + 1) * 30 * DAY;
    for (const unitId of branches) {
      const id = Number(insertMeeting.run(unitId, startsAt, startsAt + 7_200_000, startsAt, startsAt).lastInsertRowid);
      meetings++;
      const people = membersOf.get(unitId) ?? [];
      people.forEach((personId, i) => {
        if ((i + month) % 2 === 0) {
          insertRsvp.run(id, personId, i % 5 ? "attend" : "absent", startsAt - DAY);
          answers++;
        }
        if (unitId % 3 === 0) insertAttendance.run(id, personId, i % 4 ? 1 : 0, startsAt);
      });
    }
  }
});

// 1,000,000 concerns over the year, spread over the branches; most answered, some rated.
const insertTicket = raw.prepare(`INSERT INTO Ticket (unitId, originUnitId, personId, category, status, dueAt, satisfied, createdAt, updatedAt, firstAnsweredAt)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
const categories = ["che_do_chinh_sach", "doi_song", "ha_tang", "an_ninh_trat_tu", "to_chuc_hoi", "khac"];
await db.transaction(async () => {
  for (let i = 0; i < 1_000_000; i++) {
    const unitId = branches[i % branches.length]!;
    const people = membersOf.get(unitId)!;
    const createdAt = now - (i % 360) * DAY - (i % 1000) * 1000;
    const answered = i % 10 !== 0;
    insertTicket.run(unitId, unitId, people[i % people.length]!, categories[i % 6], answered ? "answered" : "new", createdAt + 7 * DAY,
      answered && i % 3 === 0 ? i % 2 : null, createdAt, createdAt, answered ? createdAt + ((i % 97) + 1) * 3_600_000 : null);
  }
});
raw.pragma("optimize");

const options = { from: new Date(now - 365 * DAY), to: new Date(now), now: new Date(now) };
const runs = await timesAsync(3, () => unitReport(db, systemActor(), rootId, options));
const province = await unitReport(db, systemActor(), rootId, options);
report("province report", {
  units, people: 200_000, meetings, answers, concerns: 1_000_000,
  medianMs: median(runs).toFixed(0), runsMs: runs.map((r) => r.toFixed(0)).join("/"),
  members: province.unit.members, children: province.children.length,
}, "≤ 500 ms");

const sampler = memorySampler();
const xlsx = await timeAsync(() => reportXlsx(province, translator("vi")));
report("province report .xlsx", { ms: xlsx.ms.toFixed(0), bytes: xlsx.result.length, peakRssMb: sampler.stop().peakMb }, "≤ 5 s and < 300 MB RSS");

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
  const body = (await (await web.app.request(`/api/v1/people?limit=1000&after=${cursor}`, { headers })).json()) as { items: unknown[]; nextCursor: number | null };
  pageTimes.push(Number(process.hrtime.bigint() - start) / 1e6);
  cursor = body.nextCursor;
  const s2 = process.hrtime.bigint();
  await (await web.app.request(`/api/v1/people?limit=1000&unit=${commune}`, { headers })).json();
  communeTimes.push(Number(process.hrtime.bigint() - s2) / 1e6);
}
report("API page of 1,000 people", {
  provinceMedianMs: median(pageTimes).toFixed(1), provinceMaxMs: Math.max(...pageTimes).toFixed(1),
  communeMedianMs: median(communeTimes).toFixed(1),
}, "≤ 100 ms");
await db.destroy();
