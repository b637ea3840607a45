import { describe, expect, it } from "vitest";
import { dumpRoster, initOrganisation, setUpChauThanh, useCliFolder } from "../helpers/cli.ts";

const cli = useCliFolder();

describe("chihoi units", () => {
  it("should build a unit tree, refuse a cycle and leave the database as it was", async () => {
    await initOrganisation(cli, "Hội Cựu chiến binh tỉnh Quảng Trị", "ccb-qt", "Tỉnh");
    const added = await cli.run(
      "units",
      "add",
      "Hội CCB xã Triệu Phong",
      "--parent",
      "Hội Cựu chiến binh tỉnh Quảng Trị",
      "--level",
      "Xã",
    );
    expect(added.stderr).toBe("");
    expect(added.code).toBe(0);
    expect(
      (await cli.run("units", "add", "Chi hội thôn An Lợi", "--parent", "trieu phong", "--level", "Chi hội")).code,
    ).toBe(0);
    expect((await cli.run("units", "add", "Hội CCB xã Gio Linh", "--parent", "#1", "--level", "Xã")).code).toBe(0);
    const tree = await cli.run("units", "tree");
    expect(tree.stdout).toContain("  #2 Hội CCB xã Triệu Phong (Xã)");
    expect(tree.stdout).toContain("    #3 Chi hội thôn An Lợi (Chi hội)");
    const before = await dumpRoster(cli);
    const cycle = await cli.run(
      "units",
      "move",
      "Triệu Phong",
      "--to",
      "An Lợi".replace("An Lợi", "Chi hội thôn An Lợi"),
    );
    expect(cycle.code).toBe(1);
    expect(cycle.stderr).toContain("nằm bên trong");
    expect(await dumpRoster(cli)).toEqual(before);
    const missing = await cli.run("units", "add", "X", "--parent", "Không Có");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Không tìm thấy đơn vị");
    expect((await cli.run("units", "move", "Chi hội thôn An Lợi", "--to", "Gio Linh")).code).toBe(0);
    expect((await cli.run("units", "move", "Chi hội thôn An Lợi", "--to", "Triệu Phong")).code).toBe(0);
  });

  it("should resolve a path of short names as the short names resolve alone", async () => {
    await setUpChauThanh(cli);
    const alone = await cli.run("units", "tree", "Long Vĩnh");
    expect(alone.stdout).toContain("Hội Nông dân xã Long Vĩnh (Xã)");
    const short = await cli.run("units", "tree", "Long Vĩnh / Chi hội ấp 3");
    expect(short.stderr).toBe("");
    expect(short.stdout.trim()).toMatch(/^#\d+ Chi hội ấp 3 \(Chi hội\)$/);
    const ambiguous = await cli.run("units", "tree", "Chi hội ấp 3");
    expect(ambiguous.stderr).toContain("Có nhiều đơn vị tên");
  });

  it("should not suggest options units import does not have", async () => {
    await setUpChauThanh(cli);
    cli.file("bad-units.csv", "Đơn vị,Trực thuộc\nChi hội ấp 9,Xã Không Có\n");
    const r = await cli.run("units", "import", "bad-units.csv", "--parent", "#1");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      "Dòng 2: không tìm thấy đơn vị cấp trên “Xã Không Có” trong “Hội Nông dân huyện Châu Thành”.",
    );
    expect(r.stdout + r.stderr).not.toMatch(/--create-units|--skip-invalid/);
  });
});
