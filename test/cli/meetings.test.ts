import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { cliTestEnv, cliTestTimeout, removeCliDir, runCli, withCliDatabase } from "../helpers/cli.ts";

let dir: string;
let env: NodeJS.ProcessEnv;
const run = (...args: string[]) => runCli(dir, env, ...args);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "chihoi-cli-meetings-"));
  env = await cliTestEnv(dir);
  expect((await run("init", "--org", "Hội Nông dân xã Long Vĩnh", "--code", "hnd-lv", "--level", "Xã")).code).toBe(0);
  writeFileSync(
    path.join(dir, "roster.csv"),
    "Họ và tên,SĐT\nNguyễn Văn An,0912345678\nLê Thị Hoa,0912345679\nTrần Văn Bình,0912345680\n",
  );
  expect((await run("members", "import", "roster.csv", "--unit", "#1")).stderr).toBe("");
}, cliTestTimeout);
afterAll(() => removeCliDir(dir));

describe("chihoi meetings tally", { timeout: cliTestTimeout }, () => {
  it("should show the answers per category with the reasons given for absences, as the chat does", async () => {
    const added = await run("meetings", "add", "--unit", "#1", "--title", "Sinh hoạt", "--when", "05/12/2099 19:30");
    expect(added.code).toBe(0);
    const id = Number(/#(\d+)/.exec(added.stdout)![1]);
    await withCliDatabase(dir, async (db) => {
      const person = async (fullName: string) =>
        (await db.kysely.selectFrom("Person").select("id").where("fullName", "=", fullName).executeTakeFirstOrThrow())
          .id;
      const at = Date.parse("2099-12-01T00:00:00Z");
      await db.kysely
        .insertInto("Rsvp")
        .values([
          { meetingId: id, personId: await person("Nguyễn Văn An"), answer: "attend", answeredAt: at },
          { meetingId: id, personId: await person("Lê Thị Hoa"), answer: "absent", reason: "đi viện", answeredAt: at },
        ])
        .execute();
    });
    const tally = await run("meetings", "tally", `#${id}`);
    expect(tally.code).toBe(0);
    expect(tally.stdout).toContain("Số người được mời: 3");
    expect(tally.stdout).toContain("Có mặt (1): Nguyễn Văn An");
    expect(tally.stdout).toContain("Xin vắng (1): Lê Thị Hoa (đi viện)");
    expect(tally.stdout).toContain("Chưa trả lời (1): Trần Văn Bình");
  });
});
