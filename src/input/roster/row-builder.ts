/**
 * Turns the cells of a roster's rows, after its header, into validated rows and per-row issues:
 * names (whole or split in two columns), phones that lost their leading zero, birth years typed
 * every way, genders, units from a column or from a section row ("II. Chi hội Thôn 2"), and the
 * end of the list (totals, signatures). A row with any issue is not in `rows`.
 */
import { normalisePhone } from "../../lib/phone.ts";
import { foldVietnamese, tidyText } from "../../lib/vietnamese.ts";
import {
  cadreDiacritic,
  roleForTitle,
  type RosterIssue,
  type RosterIssueCode,
  type RosterRow,
} from "../../domain/roster/roster-row.ts";
import { type Cell, cellText, invisible, isBlank, isCellError, shown } from "./cells.ts";
import { fileError } from "./file-errors.ts";
import type { FoundHeader } from "./find-header.ts";
import { type HeaderColumn, isNameHeader, unitPrefix } from "./header-names.ts";

export interface RosterReadResult {
  rows: RosterRow[];
  issues: RosterIssue[];
  format: "csv" | "xlsx";
  /** 1-based row number of the header row. */
  headerLine: number;
  /** The fields recognised in the header, in `RosterRow` order ("fullName", "phone", …). */
  columns: string[];
}

const genders: Record<string, "nam" | "nu"> = {
  nam: "nam",
  m: "nam",
  male: "nam",
  trai: "nam",
  nu: "nu",
  f: "nu",
  female: "nu",
  gai: "nu",
};

const footer =
  /^(tong cong|tong so|nguoi lap( bieu| danh sach)?\b|xac nhan\b|t\/m\b|tm[.:]|tm |ky ten\b|ky,? ghi ro)|\bngay\b[\s.,…\d]*\bthang\b[\s.,…\d]*\bnam\b/;

/** "(1) (2) (3)", "1 2 3" or "A B C": the row of column numbers many forms have under the header. */
function isColumnNumbering(cells: readonly Cell[]): boolean {
  let count = 0;
  let previous: number | null = null;
  for (const cell of cells) {
    if (isBlank(cell)) continue;
    const m = /^\(?\s*(\d{1,2}|[A-Za-z])\s*\)?$/.exec(cellText(cell));
    if (!m) return false;
    const token = m[1]!;
    const value = /\d/.test(token) ? Number(token) : 1000 + token.toUpperCase().charCodeAt(0);
    if (previous !== null && value !== previous + 1) return false;
    previous = value;
    count++;
  }
  return count >= 2;
}

function currentYear(): number {
  // Vietnam's calendar year (UTC+7), whatever the server's zone.
  return new Date(Date.now() + 7 * 3600_000).getUTCFullYear();
}

const EXCEL_EPOCH = Date.UTC(1899, 11, 30);

/** Turns cells into rows and issues. One per read; rows after the header are fed in order. */
export class RosterBuilder {
  readonly rows: RosterRow[] = [];
  readonly issues: RosterIssue[] = [];
  private readonly phones = new Map<string, number>();
  private readonly byKind = new Map<string, HeaderColumn>();
  private readonly ignored = new Set<number>();
  private readonly maxYear = currentYear();
  /** Titles and genders repeat down a list: fold each distinct value once. */
  private readonly roles = new Map<string, "member" | "cadre">();
  private readonly genderOf = new Map<string, "nam" | "nu" | null>();
  private readonly unitPrefix: string | null;
  private first = true;
  private ended = false;
  /** The unit named by the last section row ("II. Chi hội Thôn 2"), for rows without one. */
  private section: string | null = null;
  /** The (first) name column: a section title sits in it or to its left. */
  private readonly nameIndex: number;

  constructor(readonly header: FoundHeader) {
    for (const column of header.match.columns) {
      if (column.kind === "ignore") this.ignored.add(column.index);
      else this.byKind.set(column.kind, column);
    }
    this.nameIndex = Math.min(
      ...header.match.columns
        .filter((c) => c.kind === "fullName" || c.kind === "familyName" || c.kind === "givenName")
        .map((c) => c.index),
    );
    const unit = this.byKind.get("unitName");
    this.unitPrefix = unit ? unitPrefix(unit.label) : null;
  }

  add(line: number, cells: Cell[]): void {
    if (this.ended || line <= this.header.line) return;
    const firstFilled = cells.find((cell) => !isBlank(cell));
    if (firstFilled === undefined) return;
    if (this.first) {
      this.first = false;
      if (isColumnNumbering(cells)) return;
    }
    // "Tổng cộng", "Người lập biểu", "Hà Nội, ngày … tháng … năm …" (often in the STT column):
    // the list has ended; what follows is a signature block, not members.
    const phoneColumn = this.byKind.get("phone");
    if (
      typeof firstFilled === "string" &&
      !/^\d+\.?$/.test(firstFilled) &&
      (!phoneColumn || isBlank(cells[phoneColumn.index])) &&
      footer.test(foldVietnamese(firstFilled))
    ) {
      this.ended = true;
      return;
    }
    // A row with only its STT filled in (a numbered, empty template row) is blank.
    const blank = cells.every((cell, index) => this.ignored.has(index) || isBlank(cell));
    // "I. CHI HỘI THÔN 1" on a row of its own: the rows below belong to that unit.
    const section = this.sectionOf(cells);
    if (section) this.section = section;
    if (section || blank) return;
    // The header again (lists pasted one under another, a header on each printed page).
    const nameCell = cells[this.nameIndex];
    if (typeof nameCell === "string" && isNameHeader(nameCell)) return;

    const issues: RosterIssue[] = [];
    const issue = (code: RosterIssueCode, params: Record<string, string | number> = {}) =>
      issues.push({ line, code, params: { line, ...params } });
    const cellOf = (kind: string): { cell: Cell; column: HeaderColumn } | null => {
      const column = this.byKind.get(kind);
      return column ? { cell: cells[column.index] ?? null, column } : null;
    };

    // Name — whole, or "Họ đệm" + "Tên".
    const nameParts: string[] = [];
    let nameTyped = true;
    for (const kind of ["fullName", "familyName", "givenName"]) {
      const got = cellOf(kind);
      if (!got || isBlank(got.cell)) continue;
      const { cell, column } = got;
      if (isCellError(cell)) {
        issue("cell_error", { column: column.label, value: shown(cell) });
        nameTyped = false;
      } else if (typeof cell !== "string" || !/\p{L}/u.test(cell)) {
        issue("name_not_text", { column: column.label, value: shown(cell) });
        nameTyped = false;
      } else nameParts.push(cell.replace(invisible, ""));
    }
    // "Họ đệm" comes before "Tên" whatever the column order (the loop above reads it first).
    const fullName = tidyText(nameParts.join(" "));
    if (!fullName && nameTyped) issue("name_missing");

    // Phone.
    let phone: string | null = null;
    const phoneCell = cellOf("phone");
    if (phoneCell && !isBlank(phoneCell.cell)) {
      const { cell, column } = phoneCell;
      if (isCellError(cell)) issue("cell_error", { column: column.label, value: shown(cell) });
      else if (cell instanceof Date || typeof cell === "boolean")
        issue("phone_not_text", { column: column.label, value: shown(cell) });
      else {
        const raw = typeof cell === "number" ? cell : cleanPhoneText(cell as string);
        phone = normalisePhone(raw);
        if (!phone) issue("phone_invalid", { column: column.label, value: shown(cell) });
        else {
          const firstLine = this.phones.get(phone);
          if (firstLine !== undefined) issue("phone_duplicate", { phone, firstLine });
          else this.phones.set(phone, line);
        }
      }
    }

    // Unit, title, note: free text.
    const unitName = this.text(cellOf("unitName"), issue, true) ?? this.section;
    const title = this.text(cellOf("title"), issue, false);
    const note = this.text(cellOf("note"), issue, false, true);

    // Birth year.
    let birthYear: number | null = null;
    const birthCell = cellOf("birthYear");
    if (birthCell && !isBlank(birthCell.cell)) {
      const { cell, column } = birthCell;
      if (isCellError(cell)) issue("cell_error", { column: column.label, value: shown(cell) });
      else if (typeof cell === "boolean") issue("wrong_type", { column: column.label, value: shown(cell) });
      else {
        const year = yearOf(cell);
        if (year !== null && year >= 1900 && year <= this.maxYear) birthYear = year;
        else issue("birth_year_invalid", { column: column.label, value: shown(cell), min: 1900, max: this.maxYear });
      }
    }

    // Gender.
    let gender: "nam" | "nu" | null = null;
    const genderCell = cellOf("gender");
    if (genderCell && !isBlank(genderCell.cell)) {
      const { cell, column } = genderCell;
      if (isCellError(cell)) issue("cell_error", { column: column.label, value: shown(cell) });
      else {
        const text = cellText(cell);
        gender = this.genderOf.get(text) ?? null;
        if (!this.genderOf.has(text)) {
          gender = genders[foldVietnamese(text).replace(/[^a-z]/g, "")] ?? null;
          if (this.genderOf.size < 1000) this.genderOf.set(text, gender);
        }
        if (!gender) issue("gender_invalid", { column: column.label, value: shown(cell) });
      }
    }

    if (issues.length) {
      this.issues.push(...issues);
      return;
    }
    let role = title === null ? "member" : this.roles.get(title);
    if (role === undefined) {
      role = roleForTitle(title);
      if (this.roles.size < 1000) this.roles.set(title!, role);
    }
    this.rows.push({ line, fullName, phone, unitName, title, role, birthYear, gender, note });
  }

  /**
   * A section row: one text cell, in the STT or name column or left of the name (where a merged
   * title starts), after an optional "I"/"II"/"A" in the STT column, naming a unit with diacritics:
   * "Tô Văn Lâm" is a person, "Tổ 3" a unit, and unaccented text cannot tell them apart.
   */
  private sectionOf(cells: readonly Cell[]): string | null {
    let found: string | null = null;
    for (let index = 0; index < cells.length; index++) {
      const cell = cells[index]!;
      if (isBlank(cell)) continue;
      const ignored = this.ignored.has(index);
      if (found === null && ignored && /^([IVXLC]+|[A-Z])\.?$/.test(cellText(cell))) continue;
      if (found !== null || typeof cell !== "string" || (!ignored && index > this.nameIndex)) return null;
      found = cell;
    }
    if (found === null) return null;
    const text = tidyText(found.replace(invisible, "")).replace(/^([IVXLC]+|[A-Za-z]|\d{1,2})[.)]\s*/, "");
    const lower = text.toLowerCase();
    // Not "Chi hội trưởng: Nguyễn Văn A" nor a long sentence.
    if (!sectionWords.test(lower) || text.includes(":") || cadreDiacritic.test(lower) || text.split(" ").length > 8)
      return null;
    return text;
  }

  /** Free text; a number under "Tổ"/"Chi hội" becomes "Tổ 1". Dates are accepted only in notes. */
  private text(
    got: { cell: Cell; column: HeaderColumn } | null,
    issue: (code: RosterIssueCode, params: Record<string, string | number>) => void,
    isUnit: boolean,
    anyType = false,
  ): string | null {
    if (!got || isBlank(got.cell)) return null;
    const { cell, column } = got;
    if (isCellError(cell)) {
      issue("cell_error", { column: column.label, value: shown(cell) });
      return null;
    }
    if (!anyType && (cell instanceof Date || typeof cell === "boolean")) {
      // "1/5" typed in a unit column becomes 1 May in Excel.
      issue("wrong_type", { column: column.label, value: shown(cell) });
      return null;
    }
    const text = tidyText(cellText(cell));
    if (isUnit && this.unitPrefix && /^\d{1,4}[A-Za-z]?$/.test(text)) return `${this.unitPrefix} ${text}`;
    return text || null;
  }
}

const sectionWords = /^(chi hội|chi đoàn|chi bộ|tổ|tổ hội|tổ dân phố|thôn|xóm|ấp|khu phố|đơn vị)(\s|$)/u;

/** "'0912…" (forced text) and ="0912…" (a CSV trick to keep the 0) → the number inside. */
function cleanPhoneText(text: string): string {
  let t = text.replace(invisible, "").trim();
  const formula = /^="(.*)"$/.exec(t);
  if (formula) t = formula[1]!;
  return t.replace(/^'/, "");
}

/** Day and month in either order (12/05 or 05/12): the year is all we keep. */
function plausibleDayMonth(a: number, b: number): boolean {
  return a >= 1 && b >= 1 && ((a <= 31 && b <= 12) || (a <= 12 && b <= 31));
}

/** The year in a birth-year cell: 1955, "1955", "12/05/1955", "1955-05-12", a date, or a date serial. */
function yearOf(cell: Cell): number | null {
  if (cell instanceof Date) return Number.isNaN(cell.getTime()) ? null : cell.getUTCFullYear();
  if (typeof cell === "number") {
    if (!Number.isInteger(cell)) return null;
    // A date cell formatted "General" shows its serial number (20221 = 10/05/1955).
    if (cell > 3000 && cell < 2958466) return new Date(EXCEL_EPOCH + cell * 86400_000).getUTCFullYear();
    return cell;
  }
  if (typeof cell !== "string") return null;
  const text = cell.replace(invisible, "").trim();
  let m = /^(\d{4})$/.exec(text);
  if (m) return Number(m[1]);
  m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(text);
  if (m) return plausibleDayMonth(Number(m[1]), Number(m[2])) ? Number(m[3]) : null;
  m = /^(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})$/.exec(text);
  if (m)
    return Number(m[2]) >= 1 && Number(m[2]) <= 12 && Number(m[3]) >= 1 && Number(m[3]) <= 31 ? Number(m[1]) : null;
  m = /^(\d{1,2})[/.-](\d{4})$/.exec(text);
  if (m) return Number(m[1]) >= 1 && Number(m[1]) <= 12 ? Number(m[2]) : null;
  return null;
}

export function finish(builder: RosterBuilder, format: "csv" | "xlsx", file: string): RosterReadResult {
  if (builder.rows.length === 0 && builder.issues.length === 0)
    throw fileError("file_empty", { file, reason: "no_rows", extra: { headerLine: builder.header.line } });
  return {
    rows: builder.rows,
    issues: builder.issues,
    format,
    headerLine: builder.header.line,
    columns: [...builder.header.match.fields],
  };
}
