import { afterEach, beforeEach, expect, it } from "vitest";
import path from "node:path";
import ExcelJS from "exceljs";
import { systemActor } from "../../../src/domain/access/actor.ts";
import { importUnitTreeFile } from "../../../src/input/roster/unit-tree-file.ts";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import { buildTree, type TestTree } from "../../helpers/tree.ts";

let db: TestDatabase;
let tree: TestTree;
beforeEach(async () => {
  db = await createTestDatabase();
  tree = await buildTree(db);
});
afterEach(() => db.destroy());

it("should refuse a unit row whose level or name Excel holds as a date, and write nothing", async () => {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet("Đơn vị");
  ws.addRow(["DANH SÁCH ĐƠN VỊ"]);
  ws.addRow(["STT", "Đơn vị", "Trực thuộc", "Cấp"]);
  ws.addRow([1, "Chi hội 3", "Xã Phước Hòa", "Chi hội"]);
  ws.addRow([2, "Tổ 1", "Chi hội 3", new Date(Date.UTC(2026, 10, 29))]);
  ws.addRow([3, new Date(Date.UTC(2026, 0, 5)), "Xã Phước Hòa", "Chi hội"]);
  const file = path.join(db.dir, "don-vi.xlsx");
  await wb.xlsx.writeFile(file);
  const units = () => db.kysely.selectFrom("Unit").select(["id", "name", "levelLabel"]).orderBy("id").execute();
  const before = await units();
  const result = await importUnitTreeFile(db, { actor: systemActor(), file, rootId: tree.province.id });
  expect(result.created).toEqual([]);
  expect(result.issues).toEqual([
    { line: 4, code: "wrong_type", params: { column: "Cấp", value: "29/11/2026" } },
    { line: 5, code: "wrong_type", params: { column: "Đơn vị", value: "05/01/2026" } },
  ]);
  expect(await units()).toEqual(before);
});
