/**
 * The meeting pages of the web workplace at province scale: 10,101 units (tỉnh → 100 xã → 100 chi
 * hội), 200,000 people (one branch of 5,000), one December meeting per branch (10,000) plus a
 * commune-wide meeting per commune, 60 % of invitees answered. Times are server time: a request
 * through the mounted Hono app, HTML rendered; medians of 9 runs.
 *
 * No target in the issue for these pages; the figures say what a province's official waits for.
 */
import { Hono } from "hono";
import { benchDatabase, median, report, time } from "./lib.ts";
import { createOrganisation } from "../src/domain/units/unit-service.ts";
import { systemActor } from "../src/domain/access/actor.ts";
import { mountAdmin } from "../src/web/admin/admin-app.ts";
import { createWebSession } from "../src/domain/web-auth/web-session-service.ts";

const COMMUNES = 100;
const BRANCHES_PER_COMMUNE = 100;
const PEOPLE = 200_000;
const BIG_BRANCH = 5_000;
const HOUR = 3_600_000;
const now = Date.UTC(2026, 10, 25, 3);

const db = await benchDatabase();
let seed = 11;
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const organisationId = (await createOrganisation(db, systemActor("cli"), { code: "b", name: "Bench" })).id;
const insertUnit = db.sql.db.prepare(
  `INSERT INTO Unit (organisationId, parentId, name, nameKey, levelLabel, path, depth, createdAt) VALUES (?, ?, ?, ?, '', ?, ?, ?)`,
);
const setPath = db.sql.db.prepare(`UPDATE Unit SET path = ? WHERE id = ?`);
const insertPerson = db.sql.db.prepare(
  `INSERT INTO Person (fullName, nameKey, phone, linkedAccounts, locale, createdAt, updatedAt) VALUES (?, ?, ?, 1, 'vi', ?, ?)`,
);
const insertMember = db.sql.db.prepare(
  `INSERT INTO Membership (personId, unitId, role, createdAt) VALUES (?, ?, ?, ?)`,
);
const insertMeeting = db.sql.db.prepare(
  `INSERT INTO Meeting (unitId, title, place, agenda, startsAt, endsAt, includeSubtree, status, createdAt, updatedAt) VALUES (?, ?, '', '', ?, ?, ?, 'scheduled', ?, ?)`,
);
const insertRsvp = db.sql.db.prepare(
  `INSERT INTO Rsvp (meetingId, personId, answer, reason, late, answeredAt) VALUES (?, ?, ?, ?, 0, ?)`,
);

const leaves: number[] = [];
const communes: number[] = [];
let rootId = 0;
let admin = 0;
const membersOf = new Map<number, number[]>();
const build = time(() =>
  db.sql.db.transaction(() => {
    let n = 0;
    const add = (parent: { id: number; path: string; depth: number } | null, name: string) => {
      const id = Number(
        insertUnit.run(
          organisationId,
          parent?.id ?? null,
          name,
          name.toLowerCase(),
          `tmp${n++}`,
          parent ? parent.depth + 1 : 0,
          now,
        ).lastInsertRowid,
      );
      const path = `${parent?.path ?? "/"}${id}/`;
      setPath.run(path, id);
      return { id, path, depth: parent ? parent.depth + 1 : 0 };
    };
    const root = add(null, "Tỉnh");
    rootId = root.id;
    for (let c = 0; c < COMMUNES; c++) {
      const commune = add(root, `Xã ${c}`);
      communes.push(commune.id);
      for (let b = 0; b < BRANCHES_PER_COMMUNE; b++) leaves.push(add(commune, `Chi hội ${c}-${b}`).id);
    }
    for (let i = 0; i < PEOPLE; i++) {
      const unitId = i < BIG_BRANCH ? leaves[0]! : leaves[i % leaves.length]!;
      const id = Number(
        insertPerson.run(`Hội viên ${i}`, `hoi vien ${i}`, `09${String(i + 10_000_000).slice(-8)}`, now, now)
          .lastInsertRowid,
      );
      insertMember.run(id, unitId, "member", now);
      membersOf.set(unitId, [...(membersOf.get(unitId) ?? []), id]);
    }
    admin = Number(insertPerson.run("Quản trị tỉnh", "quan tri tinh", "0999999999", now, now).lastInsertRowid);
    insertMember.run(admin, rootId, "admin", now);
    const answers = ["attend", "attend", "absent", "unsure"];
    const meet = (unitId: number, day: number, subtree: boolean, invitees: number[]) => {
      const startsAt = Date.UTC(2026, 11, day, 12, 30);
      const id = Number(
        insertMeeting.run(
          unitId,
          subtree ? "Sinh hoạt toàn xã" : "Sinh hoạt chi hội",
          startsAt,
          startsAt + 2 * HOUR,
          subtree ? 1 : 0,
          now,
          now,
        ).lastInsertRowid,
      );
      for (const p of invitees) {
        if (random() >= 0.6) continue;
        const answer = answers[Math.floor(random() * answers.length)]!;
        insertRsvp.run(id, p, answer, answer === "absent" ? "Bận việc gia đình" : null, now);
      }
      return id;
    };
    for (const [i, leaf] of leaves.entries()) meet(leaf, 1 + (i % 28), false, membersOf.get(leaf) ?? []);
    for (const [c, commune] of communes.entries()) {
      const members = leaves
        .slice(c * BRANCHES_PER_COMMUNE, (c + 1) * BRANCHES_PER_COMMUNE)
        .flatMap((l) => membersOf.get(l) ?? []);
      meet(commune, 1 + (c % 28), true, members);
    }
  })(),
);
db.sql.db.pragma("optimize");
const bigMeeting = (await db.sql.get<{ id: number }>(`SELECT id FROM Meeting WHERE unitId = ?`, leaves[0]))!.id;
const communeMeeting = (await db.sql.get<{ id: number }>(`SELECT id FROM Meeting WHERE unitId = ?`, communes[0]))!.id;
const communeInvitees = (BRANCHES_PER_COMMUNE - 1) * Math.round((PEOPLE - BIG_BRANCH) / leaves.length) + BIG_BRANCH;

const app = new Hono();
const clock = () => new Date(now);
mountAdmin(app, {
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
const cookie = `chihoi_admin=${(await createWebSession(db, admin, clock())).token}`;

async function serverMs(path: string, runs = 9, status = 200): Promise<{ ms: number; kb: number }> {
  const times: number[] = [];
  let size = 0;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const res = await app.request(path, { headers: { cookie } });
    const body = await res.text();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    size = body.length;
    if (res.status !== status || (status === 200 && body.length < 300))
      throw new Error(`${path}: ${res.status} ${body.slice(0, 200)}`);
  }
  return { ms: median(times), kb: Math.round(size / 1024) };
}

report("web-meetings data", {
  units: 1 + COMMUNES + COMMUNES * BRANCHES_PER_COMMUNE,
  people: PEOPLE,
  meetings: leaves.length + communes.length,
  answers: (await db.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM Rsvp`))!.n,
  buildMs: build.ms.toFixed(0),
});
const figures: Record<string, string | number> = {};
for (const [name, path] of [
  ["list, upcoming, 25 with counts", "/admin/meetings"],
  ["list, one commune", `/admin/meetings?unit=${communes[0]}`],
  ["calendar, December (10,100 meetings)", "/admin/meetings/calendar?month=2026-12"],
  ["calendar poll (grid only)", "/admin/meetings/calendar?month=2026-12&part=grid"],
  [`meeting page, branch of ${BIG_BRANCH.toLocaleString("en")}`, `/admin/meetings/${bigMeeting}`],
  ["tally poll, same meeting", `/admin/meetings/${bigMeeting}/tally`],
  [
    `meeting page, commune-wide (~${communeInvitees.toLocaleString("en")} invited)`,
    `/admin/meetings/${communeMeeting}`,
  ],
  ["new meeting form (unit picker)", "/admin/meetings/new"],
] as const) {
  const r = await serverMs(path);
  figures[`${name} ms`] = r.ms.toFixed(1);
  figures[`${name} KB`] = r.kb;
}
// The tally refreshes every 4 s; when nothing changed the server answers 204 and renders nothing.
const page = await (await app.request(`/admin/meetings/${bigMeeting}`, { headers: { cookie } })).text();
const poll = /hx-get="(\/admin\/meetings\/\d+\/tally\?[^"]+)"/.exec(page)![1]!.replaceAll("&amp;", "&");
figures["tally poll, nothing changed (204) ms"] = (await serverMs(poll, 9, 204)).ms.toFixed(1);
report("web-meetings pages (server ms, median of 9; HTML size)", figures);
await db.destroy();
