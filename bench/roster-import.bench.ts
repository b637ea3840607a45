/**
 * Issue 2: import of a 100,000-row roster (CSV and .xlsx) — target at most 30 s, memory under 500 MB.
 */
import { systemActor } from "../src/domain/access/actor.ts";
import { writeFileSync } from "node:fs";
import path from "node:path";
import ExcelJS from "exceljs";
import { benchDatabase, memorySampler, report, timeAsync } from "./lib.ts";
import { createOrganisation, createUnit } from "../src/domain/units/unit-service.ts";
import { importRosterFile } from "../src/input/roster/import-roster-file.ts";

const rows = Number(process.env.ROWS ?? 100_000);
const families = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"];
const given = ["An", "Bình", "Cường", "Dũng", "Hoa", "Lan", "Mai", "Nam", "Phúc", "Sơn"];

function line(i: number): string[] {
  return [
    String(i + 1),
    `${families[i % 10]} Văn ${given[Math.floor(i / 10) % 10]} ${i}`,
    `09${String(10_000_000 + i).padStart(8, "0")}`,
    `Chi hội ${i % 200}`,
    i % 40 === 0 ? "Chi hội trưởng" : "",
    String(1940 + (i % 60)),
  ];
}

for (const format of ["csv", "xlsx"] as const) {
  const db = await benchDatabase();
  const { id: organisationId } = await createOrganisation(db, systemActor(), { code: "b", name: "Bench" });
  const root = await createUnit(db, systemActor(), { organisationId, name: "Tỉnh" });
  const file = path.join(db.dir, `roster.${format}`);
  const header = ["STT", "Họ và tên", "Số điện thoại", "Chi hội", "Chức vụ", "Năm sinh"];
  if (format === "csv") {
    const out = ["DANH SÁCH HỘI VIÊN", header.join(",")];
    for (let i = 0; i < rows; i++) out.push(line(i).join(","));
    writeFileSync(file, `\uFEFF${out.join("\n")}`);
  } else {
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file });
    const ws = wb.addWorksheet("Danh sách");
    ws.addRow(["DANH SÁCH HỘI VIÊN"]).commit();
    ws.addRow(header).commit();
    for (let i = 0; i < rows; i++) {
      const l = line(i);
      ws.addRow([Number(l[0]), l[1], Number(l[2]), l[3], l[4], Number(l[5])]).commit();
    }
    await wb.commit();
  }
  global.gc?.();
  const mem = memorySampler();
  const first = await timeAsync(() =>
    importRosterFile(db, { actor: systemActor(), file, unitId: root.id, createUnits: true }),
  );
  const again = await timeAsync(() => importRosterFile(db, { actor: systemActor(), file, unitId: root.id }));
  const { peakMb } = mem.stop();
  report(
    `roster import ${format}`,
    {
      rows,
      created: first.result.created,
      seconds: (first.ms / 1000).toFixed(1),
      reimportUnchanged: again.result.unchanged,
      reimportSeconds: (again.ms / 1000).toFixed(1),
      peakRssMb: peakMb,
    },
    "≤ 30 s, < 500 MB",
  );
  await db.destroy();
}
