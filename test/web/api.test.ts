import { describe, expect, it } from "vitest";
import ExcelJS from "exceljs";
import { createWebServer } from "../../src/web/server.ts";
import { mountApi } from "../../src/web/api/api.ts";
import { createApiToken, listApiTokens, revokeApiToken } from "../../src/domain/api-tokens/api-token-service.ts";
import { personActor, systemActor } from "../../src/domain/access/actor.ts";
import { unitReport } from "../../src/domain/reports/unit-report.ts";
import { addTestPerson } from "../helpers/people.ts";
import { useTreeDatabase } from "../helpers/tree.ts";

const ctx = useTreeDatabase();

function api(requestsPerMinute?: number) {
  const web = createWebServer({ host: "127.0.0.1", port: 0, locale: "en", demo: false, chat: false });
  mountApi(web.app, { db: ctx.db, locale: "en", timeZone: "Asia/Ho_Chi_Minh", requestsPerMinute });
  return (path: string, token?: string, init: RequestInit = {}) =>
    web.app.request(`/api/v1${path}`, {
      ...init,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string>) },
    });
}

async function token(unitId: number, access: "read" | "write" = "read"): Promise<string> {
  return (await createApiToken(ctx.db, systemActor("cli"), { unitId, name: "Phần mềm tỉnh", access })).secret;
}

async function expectError(response: Response, status: number, code: string): Promise<void> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect(body.error.message.length).toBeGreaterThan(0);
}

describe("API tokens", () => {
  it("should store only a hash, show the secret once, and be created and revoked by an admin only", async () => {
    const { db, tree } = ctx;
    const { secret, token: row } = await createApiToken(db, systemActor("cli"), {
      unitId: tree.communeA.id,
      name: "Sở",
      access: "write",
    });
    expect(secret).toMatch(/^chk_[A-Za-z0-9_-]{43}$/);
    const stored = await db.kysely
      .selectFrom("ApiToken")
      .select(["tokenHash", "prefix"])
      .where("id", "=", row.id)
      .executeTakeFirstOrThrow();
    expect(stored.tokenHash).not.toContain(secret.slice(4));
    expect(secret.startsWith(stored.prefix)).toBe(true);
    expect(await listApiTokens(db)).toEqual([
      expect.objectContaining({ id: row.id, access: "write", unitName: "Xã Phước Hòa", revokedAt: null }),
    ]);
    const cadre = await addTestPerson(db, tree.communeA.id, "Trần Văn Bình", { role: "cadre" });
    await expect(
      createApiToken(db, personActor(cadre, "web"), { unitId: tree.communeA.id, name: "x", access: "read" }),
    ).rejects.toThrow(expect.objectContaining({ code: "forbidden" }));
    await expect(revokeApiToken(db, personActor(cadre, "web"), row.id)).rejects.toThrow(
      expect.objectContaining({ code: "forbidden" }),
    );
  });
});

describe("/api/v1", () => {
  it("should list only the token's subtree, page by cursor, and refuse units outside it", async () => {
    const { db, tree } = ctx;
    const secret = await token(tree.communeA.id);
    const inside = [
      await addTestPerson(db, tree.branchA1.id, "Nguyễn Văn An"),
      await addTestPerson(db, tree.branchA2.id, "Lê Thị Hoa"),
      await addTestPerson(db, tree.communeA.id, "Phạm Văn Chủ"),
    ];
    await addTestPerson(db, tree.branchB1.id, "Đỗ Văn Dũng");
    const call = api();

    const units = (await (await call("/units", secret)).json()) as { items: { id: number }[] };
    expect(units.items.map((u) => u.id).sort()).toEqual([tree.communeA.id, tree.branchA1.id, tree.branchA2.id].sort());

    const first = (await (await call("/people?limit=2", secret)).json()) as {
      items: { id: number; fullName: string }[];
      nextCursor: number;
    };
    expect(first.items.map((p) => p.id)).toEqual(inside.slice(0, 2));
    const second = (await (await call(`/people?limit=2&after=${first.nextCursor}`, secret)).json()) as {
      items: { id: number }[];
      nextCursor: null;
    };
    expect(second).toEqual({ items: [expect.objectContaining({ id: inside[2] })], nextCursor: null });

    const memberships = (await (await call(`/memberships?unit=${tree.branchA1.id}`, secret)).json()) as {
      items: { personId: number }[];
    };
    expect(memberships.items.map((m) => m.personId)).toEqual([inside[0]]);

    await expectError(await call(`/people?unit=${tree.communeB.id}`, secret), 403, "forbidden");
    await expectError(await call(`/units?unit=${tree.province.id}`, secret), 403, "forbidden");
    await expectError(await call(`/reports/${tree.branchB1.id}`, secret), 403, "forbidden");
    await expectError(await call(`/people?unit=999999`, secret), 404, "unit_not_found");
  });

  it("should refuse no token, a wrong token and a revoked one, and answer malformed input in the error shape", async () => {
    const { db, tree } = ctx;
    const secret = await token(tree.province.id);
    const call = api();
    await expectError(await call("/units"), 401, "unauthorized");
    await expectError(await call("/units", "chk_not-a-real-token"), 401, "unauthorized");
    await expectError(
      await call("/units", undefined, { headers: { authorization: "Basic abc" } }),
      401,
      "unauthorized",
    );
    expect((await call("/units", secret)).status).toBe(200);
    await expectError(await call("/people?limit=5000", secret), 400, "invalid_input");
    await expectError(await call("/people?limit=abc", secret), 400, "invalid_input");
    await expectError(await call("/people?after=-1", secret), 400, "invalid_input");
    await expectError(await call("/reports/abc", secret), 400, "invalid_input");
    await expectError(
      await call(`/reports/${tree.province.id}?from=2027-01-01&to=2026-01-01`, secret),
      400,
      "report_period_invalid",
    );
    await expectError(await call("/nothing-here", secret), 404, "not_found");

    const id = (await listApiTokens(db))[0]!.id;
    await revokeApiToken(db, systemActor("cli"), id);
    await expectError(await call("/units", secret), 401, "unauthorized");
  });

  it("should import a roster only with a read-write token, as a dry run unless told otherwise, within its subtree", async () => {
    const { db, tree } = ctx;
    const reader = await token(tree.communeA.id, "read");
    const writer = await token(tree.communeA.id, "write");
    const call = api();
    const csv = "Họ và tên,SĐT,Chi hội\nNguyễn Văn Mới,0987654321,Chi hội 1\nLê Thị Hai,0987654322,Chi hội 2\n";
    const post = (secret: string, query: string, body: string | Buffer = csv, type = "text/csv") =>
      call(`/roster/import${query}`, secret, { method: "POST", body, headers: { "content-type": type } });
    const people = async () =>
      (
        await db.kysely
          .selectFrom("Person")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow()
      ).n;

    await expectError(await post(reader, ""), 403, "forbidden");
    expect(await people()).toBe(0);
    const dry = await post(writer, "");
    expect(dry.status).toBe(200);
    expect(await dry.json()).toMatchObject({ created: 2, written: false });
    expect(await people()).toBe(0);
    await expectError(await post(writer, `?unit=${tree.communeB.id}&dryRun=false`), 403, "forbidden");
    await expectError(await post(writer, "?dryRun=maybe"), 400, "invalid_input");
    await expectError(await post(writer, "", "x", "application/json"), 415, "unsupported_media_type");
    await expectError(await post(writer, "", "\u0000\u0001\u0002garbage"), 422, "file_format");
    expect(await people()).toBe(0);

    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet("DS");
    ws.addRows([
      ["Họ và tên", "SĐT", "Chi hội"],
      ["Nguyễn Văn Mới", "0987654321", "Chi hội 1"],
    ]);
    const xlsx = Buffer.from(await wb.xlsx.writeBuffer());
    const real = await post(
      writer,
      "?dryRun=false",
      xlsx,
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    );
    expect(await real.json()).toMatchObject({ created: 1, written: true });
    expect(
      (
        await db.kysely
          .selectFrom("Membership as m")
          .innerJoin("Person as p", "p.id", "m.personId")
          .select("m.unitId")
          .where("p.phone", "=", "0987654321")
          .executeTakeFirstOrThrow()
      ).unitId,
    ).toBe(tree.branchA1.id);
    await expectError(await post(writer, "", "a".repeat(1_000_001)), 413, "too_large");
  });

  it("should give meetings with tallies, directives with read rates and the report the domain computes", async () => {
    const { db, tree } = ctx;
    const secret = await token(tree.province.id);
    const a = await addTestPerson(db, tree.branchA1.id, "Nguyễn Văn An");
    await addTestPerson(db, tree.branchA1.id, "Lê Thị Hoa");
    const starts = Date.now() - 86_400_000;
    const { id } = await db.kysely
      .insertInto("Meeting")
      .values({
        unitId: tree.branchA1.id,
        title: "Sinh hoạt",
        startsAt: starts,
        endsAt: starts + 1,
        createdAt: starts,
        updatedAt: starts,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await db.kysely
      .insertInto("Rsvp")
      .values({ meetingId: id, personId: a, answer: "absent", answeredAt: starts })
      .execute();
    const call = api();
    const meetings = (await (await call("/meetings", secret)).json()) as {
      items: { id: number; tally: Record<string, unknown> }[];
    };
    expect(meetings.items).toEqual([
      expect.objectContaining({
        id,
        tally: { invited: 2, answered: 1, attending: 0, excused: 1, unsure: 0, came: null },
      }),
    ]);
    expect(await (await call("/directives", secret)).json()).toEqual({ items: [], nextCursor: null });
    const report = (await (await call(`/reports/${tree.communeA.id}`, secret)).json()) as {
      unit: { members: number; responseRate: number };
      children: unknown[];
    };
    const direct = await unitReport(db, systemActor(), tree.communeA.id);
    expect(report.unit).toMatchObject({ members: direct.unit.members, responseRate: direct.unit.responseRate });
    expect(report.unit.members).toBe(2);
    expect(report.children).toHaveLength(2);
  });

  it("should limit requests per token and serve an OpenAPI 3.1 document built from the same schemas", async () => {
    const { tree } = ctx;
    const call = api(3);
    const one = await token(tree.province.id);
    const other = await token(tree.province.id);
    for (let i = 0; i < 3; i++) expect((await call("/units", one)).status).toBe(200);
    const limited = await call("/units", one);
    expect(limited.headers.get("retry-after")).toBe("60");
    await expectError(limited, 429, "rate_limited");
    expect((await call("/units", other)).status).toBe(200);

    const doc = (await (await call("/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { parameters: { name: string; schema: { maximum?: number } }[] }>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/directives",
      "/meetings",
      "/memberships",
      "/people",
      "/reports/{unitId}",
      "/roster/import",
      "/units",
    ]);
    expect(doc.paths["/people"]!.get!.parameters.find((p) => p.name === "limit")!.schema.maximum).toBe(1000);
    expect(doc.components.schemas.Error).toMatchObject({ type: "object", required: ["error"] });
  });
});
