/**
 * The officials' web workplace at province scale: 10,101 units (tỉnh → 100 xã → 100 chi hội),
 * 200,000 people (one branch of 5,000), 1,000,000 concerns with their messages (indexed for
 * search). Times are server time: a request through the mounted Hono app, HTML rendered.
 *
 * Targets (issue 12): the queue's first page with any single filter ≤ 150 ms, a text search
 * ≤ 300 ms, a concern's page ≤ 50 ms; sign-in (code request, code, first page) ≤ 1 s.
 */
import { existsSync } from "node:fs";
import { Hono } from "hono";
import { openDatabase } from "../src/storage/database.ts";
import { benchDatabase, median, report, timeAsync, timesAsync } from "./lib.ts";
import { createOrganisation } from "../src/domain/units/unit-service.ts";
import { systemActor } from "../src/domain/access/actor.ts";
import { mountAdmin } from "../src/web/admin/admin-app.ts";
import { createWebSession } from "../src/domain/web-auth/web-session-service.ts";
import { listMembers } from "../src/domain/people/people-service.ts";
import { unitRoster } from "../src/domain/people/people-directory.ts";

const UNITS_PER_COMMUNE = 100;
const COMMUNES = 100;
const PEOPLE = 200_000;
const BIG_BRANCH = 5_000;
const TICKETS = 1_000_000;
const DAY = 86_400_000;

// WEB_ADMIN_BENCH_DB=/path/file.db keeps the generated database there and reuses it next time
// (building a million concerns with their search index takes minutes).
const keep = process.env.WEB_ADMIN_BENCH_DB;
const reuse = Boolean(keep && existsSync(keep));
const db = keep
  ? Object.assign(await openDatabase(`file:${keep}`), { dir: "", destroy: async () => undefined })
  : await benchDatabase();
const now = Date.UTC(2026, 10, 20, 3);
let seed = 7;
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;

const organisationId = reuse ? 0 : (await createOrganisation(db, systemActor("cli"), { code: "b", name: "Bench" })).id;
const insertUnit = db.sql.db.prepare(
  `INSERT INTO Unit (organisationId, parentId, name, nameKey, levelLabel, path, depth, createdAt) VALUES (?, ?, ?, ?, '', ?, ?, ?)`,
);
const setPath = db.sql.db.prepare(`UPDATE Unit SET path = ? WHERE id = ?`);
const leaves: number[] = [];
const communes: number[] = [];
const communeOf = new Map<number, number>();
let rootId = 0;
const buildTree = await timeAsync(
  async () =>
    !reuse &&
    (await db.transaction(async () => {
      const add = (parent: { id: number; path: string; depth: number } | null, name: string) => {
        const id = Number(
          insertUnit.run(
            organisationId,
            parent?.id ?? null,
            name,
            name.toLowerCase(),
            `tmp${id0++}`,
            parent ? parent.depth + 1 : 0,
            now,
          ).lastInsertRowid,
        );
        const path = `${parent?.path ?? "/"}${id}/`;
        setPath.run(path, id);
        return { id, path, depth: parent ? parent.depth + 1 : 0 };
      };
      let id0 = 0;
      const root = add(null, "Tỉnh");
      rootId = root.id;
      for (let c = 0; c < COMMUNES; c++) {
        const commune = add(root, `Xã ${c}`);
        communes.push(commune.id);
        for (let b = 0; b < UNITS_PER_COMMUNE; b++) {
          const leaf = add(commune, `Chi hội ${c}-${b}`).id;
          leaves.push(leaf);
          communeOf.set(leaf, commune.id);
        }
      }
    })),
);

const insertPerson = db.sql.db.prepare(
  `INSERT INTO Person (fullName, nameKey, phone, linkedAccounts, locale, createdAt, updatedAt) VALUES (?, ?, ?, ?, 'vi', ?, ?)`,
);
const insertMember = db.sql.db.prepare(
  `INSERT INTO Membership (personId, unitId, role, createdAt) VALUES (?, ?, ?, ?)`,
);
const insertAccount = db.sql.db.prepare(
  `INSERT INTO ChatAccount (platform, externalId, personId, preferred, linkedAt, createdAt) VALUES ('telegram', ?, ?, 1, ?, ?)`,
);
const families = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"];
const given = [
  "Văn An",
  "Thị Bình",
  "Văn Cường",
  "Thị Dung",
  "Minh Đức",
  "Thị Hoa",
  "Quốc Khánh",
  "Thị Lan",
  "Văn Nam",
  "Thị Oanh",
];
const members: number[] = [];
const memberUnit: number[] = [];
let phones = 0;
const person = (unitId: number, role: string, name: string) => {
  const id = Number(
    insertPerson.run(name, name.toLowerCase(), `09${String(++phones + 10_000_000).slice(-8)}`, 1, now, now)
      .lastInsertRowid,
  );
  insertMember.run(id, unitId, role, now);
  insertAccount.run(`tg${id}`, id, now, now);
  return id;
};
let provinceAdmin = 0;
let communeOfficial = 0;
const buildPeople = await timeAsync(
  async () =>
    !reuse &&
    (await db.transaction(async () => {
      for (let i = 0; i < PEOPLE; i++) {
        const unitId = i < BIG_BRANCH ? leaves[0]! : leaves[i % leaves.length]!;
        const id = person(unitId, "member", `${pick(families)} ${pick(given)}`);
        members.push(id);
        memberUnit.push(unitId);
      }
      provinceAdmin = person(rootId, "admin", "Quản trị tỉnh");
      communeOfficial = person(communes[0]!, "official", "Lãnh đạo xã 0");
    })),
);

// Concerns: years of them, 92 % closed; 5 % passed up to the commune, 1 % to the province. Texts
// drawn from a vocabulary so that words have realistic selectivity.
const subjects = [
  "Đường giao thông",
  "Mương thoát nước",
  "Đèn chiếu sáng",
  "Chế độ trợ cấp",
  "Bảo hiểm y tế",
  "Hội phí",
  "Nhà văn hóa",
  "Nước sạch",
  "Tiếng ồn karaoke",
  "Vay vốn",
];
const problems = [
  "xuống cấp",
  "bị ngập khi mưa",
  "hỏng đã lâu",
  "chưa được giải quyết",
  "chậm chi trả",
  "cần kiểm tra lại",
  "gây mất an toàn",
  "chưa rõ thủ tục",
];
const places = [
  "thôn An Lợi",
  "xóm Đông",
  "khu phố 3",
  "ấp Bình Minh",
  "tổ 7",
  "chợ xã",
  "trường tiểu học",
  "ngã ba Đồng Lộc",
];
const categories = ["che_do_chinh_sach", "doi_song", "ha_tang", "an_ninh_trat_tu", "to_chuc_hoi", "khac"];
const insertTicket = db.sql.db.prepare(
  `INSERT INTO Ticket (unitId, originUnitId, personId, category, status, assigneeId, satisfied, dueAt, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
);
const insertMessage = db.sql.db.prepare(
  `INSERT INTO TicketMessage (ticketId, authorRole, authorPersonId, text, createdAt) VALUES (?, ?, ?, ?, ?)`,
);
const buildTickets = await timeAsync(async () => {
  for (let batch = 0; !reuse && batch < TICKETS; batch += 50_000)
    await db.transaction(async () => {
      for (let i = batch; i < batch + 50_000; i++) {
        const k = Math.floor(random() * members.length);
        const leaf = memberUnit[k]!;
        const r = random();
        const status = r < 0.92 ? "closed" : r < 0.95 ? "new" : r < 0.98 ? "in_progress" : "answered";
        const created =
          status === "closed" ? now - Math.floor(random() * 1000 * DAY) : now - Math.floor(random() * 60 * DAY);
        const u = random();
        const commune = communeOf.get(leaf)!;
        const unitId = u < 0.94 ? leaf : u < 0.99 ? commune : rootId;
        const answered = status === "answered" || status === "closed";
        const satisfied = answered && random() < 0.6 ? (random() < 0.85 ? 1 : 0) : null;
        const assignee = status === "new" ? null : random() < 0.02 ? communeOfficial : provinceAdmin;
        const id = Number(
          insertTicket.run(
            unitId,
            leaf,
            members[k]!,
            pick(categories),
            status,
            assignee,
            satisfied,
            created + 7 * DAY,
            created,
            created,
          ).lastInsertRowid,
        );
        insertMessage.run(
          id,
          "member",
          members[k]!,
          `${pick(subjects)} ở ${pick(places)} ${pick(problems)}, đề nghị Hội kiến nghị xem xét.`,
          created,
        );
        if (answered)
          insertMessage.run(
            id,
            "official",
            assignee,
            `Đã chuyển ý kiến tới cơ quan chức năng, dự kiến giải quyết trong tháng ${1 + (i % 12)}.`,
            created + DAY,
          );
      }
    });
});
db.sql.db.pragma("optimize");
if (reuse) {
  rootId = (await db.sql.get<{ id: number }>(`SELECT id FROM Unit WHERE parentId IS NULL`))!.id;
  communes.push(
    ...(await db.sql.all<{ id: number }>(`SELECT id FROM Unit WHERE depth = 1 ORDER BY id`)).map((r) => r.id),
  );
  leaves.push(
    ...(await db.sql.all<{ id: number }>(`SELECT id FROM Unit WHERE depth = 2 ORDER BY id`)).map((r) => r.id),
  );
  provinceAdmin = (await db.sql.get<{ id: number }>(`SELECT id FROM Person WHERE fullName = 'Quản trị tỉnh'`))!.id;
  communeOfficial = (await db.sql.get<{ id: number }>(`SELECT id FROM Person WHERE fullName = 'Lãnh đạo xã 0'`))!.id;
}

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
const cookieOf = async (personId: number) => `chihoi_admin=${(await createWebSession(db, personId, clock())).token}`;
const adminCookie = await cookieOf(provinceAdmin);
const officialCookie = await cookieOf(communeOfficial);

async function serverMs(path: string, cookie: string, runs = 9, minLength = 500): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const res = await app.request(path, { headers: { cookie } });
    const body = await res.text();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (res.status !== 200 || body.length < minLength) throw new Error(`${path}: ${res.status} ${body.slice(0, 200)}`);
  }
  return median(times);
}

report("web-admin data", {
  units: leaves.length + communes.length + 1,
  people: PEOPLE,
  tickets: TICKETS,
  treeS: (buildTree.ms / 1000).toFixed(1),
  peopleS: (buildPeople.ms / 1000).toFixed(1),
  ticketsS: (buildTickets.ms / 1000).toFixed(0),
});

const monthAgo = new Date(now - 30 * DAY).toISOString().slice(0, 10);
const today = new Date(now).toISOString().slice(0, 10);
const filters: [string, string][] = [
  ["default (open)", ""],
  ["status=new", "status=new"],
  ["status=closed", "status=closed"],
  ["all statuses", "status="],
  ["unit=commune", `unit=${communes[5]}&status=`],
  ["unit=branch", `unit=${leaves[500]}&status=`],
  ["category", "category=an_ninh_trat_tu&status="],
  ["overdue", "overdue=1"],
  ["assignee=me", "assignee=me&status="],
  ["assignee=none", "assignee=none&status="],
  ["satisfaction=no", "satisfaction=no&status="],
  ["date range (30 days)", `from=${monthAgo}&to=${today}&status=`],
  ["sort=age", "sort=age"],
  ["page 40", "offset=1000"],
];
const queue: Record<string, string> = {};
for (const [name, q] of filters) queue[name] = (await serverMs(`/admin/tickets?${q}`, adminCookie)).toFixed(1);
report("queue first page, province admin (ms)", queue, "≤ 150 ms each");
const communeQueue: Record<string, string> = {};
for (const [name, q] of filters.slice(0, 4))
  communeQueue[name] = (await serverMs(`/admin/tickets?${q}`, officialCookie)).toFixed(1);
report("queue first page, commune official (ms)", communeQueue, "≤ 150 ms each");
report(
  "status counts fragment (ms)",
  {
    province: (await serverMs(`/admin/tickets/counts?status=`, adminCookie, 5, 100)).toFixed(1),
    commune: (await serverMs(`/admin/tickets/counts?status=`, officialCookie, 5, 100)).toFixed(1),
  },
  "loaded after the page, not part of it",
);

const search: Record<string, string> = {};
for (const [name, q] of [
  ["'duong ngap' open", "q=duong+ngap"],
  ["'đường ngập' all", "q=%C4%91%C6%B0%E1%BB%9Dng+ng%E1%BA%ADp&status="],
  ["'karaoke' all", "q=karaoke&status="],
  ["'dong loc tro cap' all", "q=dong+loc+tro+cap&status="],
  ["'thang 12' all (answers)", "q=thang+12&status="],
] as [string, string][])
  search[name] = (await serverMs(`/admin/tickets?${q}`, adminCookie, 5)).toFixed(1);
search["commune 'duong ngap' all"] = (await serverMs(`/admin/tickets?q=duong+ngap&status=`, officialCookie, 5)).toFixed(
  1,
);
report("text search (ms)", search, "≤ 300 ms");

const someTicket = (await db.sql.get<{ id: number }>(
  `SELECT id FROM Ticket WHERE status = 'closed' AND unitId = ? LIMIT 1`,
  leaves[0],
))!.id;
report(
  "concern page (ms)",
  {
    page: (await serverMs(`/admin/tickets/${someTicket}`, adminCookie)).toFixed(1),
    threadPoll: (await serverMs(`/admin/tickets/${someTicket}/thread`, adminCookie)).toFixed(1),
  },
  "≤ 50 ms",
);

report(
  "unit roster of 5,000 people (ms)",
  {
    pageOf500: (await serverMs(`/admin/units/${leaves[0]}`, adminCookie, 5)).toFixed(1),
    all5000Domain: median(
      await timesAsync(5, () => unitRoster(db, provinceAdmin, leaves[0]!, { limit: 5000 })),
    ).toFixed(1),
    listMembersDomain: median(await timesAsync(5, () => listMembers(db, leaves[0]!))).toFixed(1),
    peopleSearch: (await serverMs(`/admin/people?q=nguyen+van+an`, adminCookie, 5)).toFixed(1),
  },
  "≤ 200 ms",
);

// Sign-in to first page: the sign-in page, the code request, the code (read from the outbox as the
// chat would show it), the first page of the queue.
const adminPhone = (await db.sql.get<{ phone: string }>(`SELECT phone FROM Person WHERE id = ?`, provinceAdmin))!.phone;
const signIns: number[] = [];
for (let i = 0; i < 3; i++) {
  const start = process.hrtime.bigint();
  const page = await app.request("/admin/sign-in");
  const pre = /chihoi_presign=([^;]+)/.exec(page.headers.get("set-cookie") ?? "")![1]!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  const form = (fields: Record<string, string>) => ({
    method: "POST",
    body: new URLSearchParams(fields).toString(),
    headers: { cookie: `chihoi_presign=${pre}`, "content-type": "application/x-www-form-urlencoded" },
  });
  await (await app.request("/admin/sign-in", form({ _csrf: csrf, phone: adminPhone }))).text();
  const body = (await db.sql.get<{ body: string }>(
    `SELECT body FROM Outbox WHERE personId = ? ORDER BY id DESC LIMIT 1`,
    provinceAdmin,
  ))!.body;
  const code = /(\d{6})/.exec(JSON.parse(body).text)![1]!;
  const verified = await app.request("/admin/sign-in/verify", form({ _csrf: csrf, phone: adminPhone, code }));
  const session = /chihoi_admin=([^;]+)/.exec(verified.headers.get("set-cookie") ?? "")![1]!;
  const first = await app.request("/admin/tickets", { headers: { cookie: `chihoi_admin=${session}` } });
  await first.text();
  if (first.status !== 200) throw new Error(`sign-in failed: ${verified.status} ${first.status}`);
  signIns.push(Number(process.hrtime.bigint() - start) / 1e6);
  await db.sql.run(`DELETE FROM WebSignInCode`);
  await db.sql.run(`DELETE FROM WebSignInAttempt`);
}
report(
  "sign-in to first page (ms)",
  { median: median(signIns).toFixed(1), max: Math.max(...signIns).toFixed(1) },
  "≤ 1,000 ms",
);
await db.destroy();
