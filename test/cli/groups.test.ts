import { describe, expect, it } from "vitest";
import { setUpQuangTri, useCliFolder } from "../helpers/cli.ts";

const cli = useCliFolder();

describe("chihoi groups", () => {
  it("should list group chats and allow one for a unit", async () => {
    await setUpQuangTri(cli);
    await cli.db((db) =>
      db.kysely
        .insertInto("ChatGroup")
        .values({ platform: "zalo", externalId: "g-123", title: "Chi hội An Lợi", allowed: false, createdAt: 0 })
        .execute(),
    );
    expect((await cli.run("groups", "list")).stdout).toContain("Chi hội An Lợi\t—\tchưa cho phép");
    expect((await cli.run("groups", "allow", "1", "--unit", "Chi hội thôn An Lợi")).code).toBe(0);
    expect((await cli.run("groups", "list")).stdout).toContain("Chi hội An Lợi\tChi hội thôn An Lợi\tđã cho phép");
    expect((await cli.run("groups", "allow", "99")).code).toBe(1);
  });
});
