/**
 * Reads a roster (danh sách hội viên) from a CSV or .xlsx file as Vietnamese officials really make
 * them — a title row and blank rows above the header, Vietnamese headers in any order, phones that
 * lost their leading zero in Excel, dates and formulas in cells — into validated rows with the
 * line numbers a spreadsheet user sees, and precise per-row issues for the rows that are wrong.
 *
 * Whole-file problems throw `AppError` ("file_missing", "file_unreadable", "file_empty",
 * "file_format") with `params.reason`, a key under "roster.file." in the locales. Row problems are
 * returned as `issues` (a key under "roster.row."); a row with any issue is not in `rows`.
 * Writing to the database is someone else's job.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { type Options as CsvOptions, parse as parseCsv } from "csv-parse/sync";
import ExcelJS from "exceljs";
import { AppError, isAppError } from "../../lib/app-error.ts";
import { normalisePhone } from "../../lib/phone.ts";
import { foldVietnamese, tidyText } from "../../lib/vietnamese.ts";
import { type HeaderColumn, type HeaderMatch, isNameHeader, matchHeaderRow, unitPrefix } from "./roster-headers.ts";

export interface RosterRow {
  /** 1-based row number in the file, as a spreadsheet shows it. */
  line: number;
  fullName: string;
  phone: string | null;
  unitName: string | null;
  title: string | null;
  role: "member" | "cadre";
  birthYear: number | null;
  gender: "nam" | "nu" | null;
  note: string | null;
}

export interface RosterIssue {
  line: number;
  /** A key under "roster.row." in the locales. */
  code: RosterIssueCode;
  params: Record<string, string | number>;
}

export interface RosterReadResult {
  rows: RosterRow[];
  issues: RosterIssue[];
  format: "csv" | "xlsx";
  /** 1-based row number of the header row. */
  headerLine: number;
  /** The fields recognised in the header, in `RosterRow` order ("fullName", "phone", …). */
  columns: string[];
}

/** Every row issue this reader emits; each has a message under "roster.row." in vi and en. */
export const rosterIssueCodes = [
  "name_missing",
  "name_not_text",
  "phone_invalid",
  "phone_not_text",
  "phone_duplicate",
  "birth_year_invalid",
  "gender_invalid",
  "cell_error",
  "wrong_type",
] as const;
export type RosterIssueCode = (typeof rosterIssueCodes)[number];

/** Every `params.reason` of the AppErrors thrown here; each has a message under "roster.file.". */
export const rosterFileReasons = [
  "missing",
  "io",
  "encoding",
  "xlsx_corrupt",
  "empty",
  "no_rows",
  "no_header",
  "csv_quotes",
  "pdf",
  "xls",
  "encrypted",
  "xlsb",
  "ods",
  "zip_not_xlsx",
  "html",
  "binary",
] as const;
export type RosterFileReason = (typeof rosterFileReasons)[number];

/** How many non-blank rows from the top are searched for the header row. */
export const HEADER_SEARCH_ROWS = 30;

/**
 * The AppError for a file that could not be read: file_missing (no such file), or file_unreadable
 * with a reason in words (a folder, no permission, other I/O).
 */
export function fileReadError(error: unknown, fileName: string): AppError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT" || code === "ENOTDIR")
    return new AppError("file_missing", { file: fileName, reason: "missing" }, { cause: error });
  const reason = code === "EISDIR" ? "folder" : code === "EACCES" || code === "EPERM" ? "permission" : "io";
  return new AppError("file_unreadable", { file: fileName, reason, detail: String(code ?? error) }, { cause: error });
}

/** Reads a roster file from disk. */
export async function readRoster(file: string): Promise<RosterReadResult> {
  const fileName = path.basename(file);
  let buffer: Buffer;
  try {
    buffer = await readFile(file);
  } catch (error) {
    throw fileReadError(error, fileName);
  }
  return readRosterBuffer(buffer, fileName);
}

/** Reads a roster from the bytes of a file; `fileName` is for messages (and is not trusted for the format). */
export async function readRosterBuffer(buffer: Buffer, fileName: string): Promise<RosterReadResult> {
  const file = path.basename(fileName);
  if (buffer.length === 0) throw fileError("file_empty", file, "empty");
  const kind = sniff(buffer, file);
  if (kind === "xlsx") return readXlsx(buffer, file);
  return readCsv(await decodeText(buffer, file), file);
}

// ————————————————————————————————————————————————————————————— file type

function fileError(
  code: "file_unreadable" | "file_empty" | "file_format",
  file: string,
  reason: RosterFileReason,
  extra: Record<string, string | number> = {},
  cause?: unknown,
): AppError {
  return new AppError(code, { file, reason, ...extra }, cause === undefined ? undefined : { cause });
}

function startsWith(buffer: Buffer, bytes: readonly number[]): boolean {
  return bytes.every((b, i) => buffer[i] === b);
}

/**
 * Decides by content, not by the name: officials rename files, and systems export tab-separated
 * text or HTML as ".xls". Formats we cannot read get a reason that says what the file really is.
 */
function sniff(buffer: Buffer, file: string): "xlsx" | "text" {
  const head = buffer.subarray(0, 4096);
  if (startsWith(buffer, [0x50, 0x4b, 0x03, 0x04]) || startsWith(buffer, [0x50, 0x4b, 0x05, 0x06])) {
    // Entry names are stored uncompressed; a workbook has its parts under "xl/".
    if (buffer.includes("xl/workbook.xml") || buffer.includes("xl/worksheets/") || buffer.includes("xl/_rels/"))
      return "xlsx";
    if (buffer.includes("xl/workbook.bin")) throw fileError("file_format", file, "xlsb");
    if (head.includes("opendocument.spreadsheet")) throw fileError("file_format", file, "ods");
    throw fileError("file_format", file, "zip_not_xlsx");
  }
  if (head.subarray(0, 1024).includes("%PDF-")) throw fileError("file_format", file, "pdf");
  // OLE2 compound file: Excel 97–2003 .xls, or an .xlsx protected by a password.
  if (startsWith(buffer, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) {
    if (buffer.includes(Buffer.from("EncryptedPackage", "utf16le"))) throw fileError("file_format", file, "encrypted");
    throw fileError("file_format", file, "xls");
  }
  return "text";
}

/** Which UTF-16 a buffer without a BOM is, judged by where the zero bytes of ASCII text fall. */
function bomlessUtf16(buffer: Buffer): "le" | "be" | null {
  const n = Math.min(buffer.length, 4096) & ~1;
  if (n < 4) return null;
  let evenZero = 0;
  let oddZero = 0;
  for (let i = 0; i < n; i += 2) {
    if (buffer[i] === 0) evenZero++;
    if (buffer[i + 1] === 0) oddZero++;
  }
  const pairs = n / 2;
  if (oddZero > pairs * 0.4 && evenZero < pairs * 0.05) return "le";
  if (evenZero > pairs * 0.4 && oddZero < pairs * 0.05) return "be";
  return null;
}

function decodeUtf16(bytes: Buffer, endian: "le" | "be"): string {
  const even = bytes.subarray(0, bytes.length & ~1);
  const copy = Buffer.from(even);
  if (endian === "be") copy.swap16();
  return copy.toString("utf16le");
}

/** Control bytes other than tab, line breaks, form feed and the DOS end-of-file mark. */
function looksBinary(buffer: Buffer): boolean {
  const n = Math.min(buffer.length, 65536);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = buffer[i]!;
    if (b === 0) return true;
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1a) || b === 0x7f) control++;
  }
  return control > Math.max(2, n * 0.01);
}

type LegacyDecode = (bytes: Buffer, encoding: string) => string;

/** iconv-lite, when it happens to be installed; it is not a dependency of this project. */
async function legacyDecoder(): Promise<LegacyDecode | null> {
  const specifier = "iconv-lite";
  try {
    const mod = (await import(specifier)) as { default?: { decode?: LegacyDecode }; decode?: LegacyDecode };
    const decode = mod.decode ?? mod.default?.decode;
    return decode ? (bytes, encoding) => decode(bytes, encoding) : null;
  } catch {
    return null;
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

async function decodeText(buffer: Buffer, file: string): Promise<DecodedText> {
  if (startsWith(buffer, [0xff, 0xfe])) return { text: decodeUtf16(buffer.subarray(2), "le") };
  if (startsWith(buffer, [0xfe, 0xff])) return { text: decodeUtf16(buffer.subarray(2), "be") };
  const utf16 = bomlessUtf16(buffer);
  if (utf16) return { text: decodeUtf16(buffer, utf16) };
  const hasBom = startsWith(buffer, [0xef, 0xbb, 0xbf]);
  const body = hasBom ? buffer.subarray(3) : buffer;
  if (looksBinary(body)) throw fileError("file_format", file, "binary");
  try {
    return { text: utf8.decode(body) };
  } catch (error) {
    // Not UTF-8: an old "CSV (Comma delimited)" saved by Excel in a Windows code page.
    const decode = hasBom ? null : await legacyDecoder();
    if (!decode) throw fileError("file_unreadable", file, "encoding", {}, error);
    return { text: decode(body, "windows-1258"), fallback: (bytes) => decode(bytes, "windows-1252"), bytes: body };
  }
}

interface DecodedText {
  text: string;
  /** A second legacy code page to try when the first gives no recognisable header. */
  fallback?: (bytes: Buffer) => string;
  bytes?: Buffer;
}

// ————————————————————————————————————————————————————————————— cells

interface CellError {
  error: string;
}

/** One cell as read from either format. CSV cells are always strings (or null). */
type Cell = string | number | boolean | Date | CellError | null;

function isCellError(cell: Cell): cell is CellError {
  return typeof cell === "object" && cell !== null && !(cell instanceof Date);
}

const invisible = /[\u200B-\u200D\u2060\uFEFF]/g;

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Dates from exceljs are UTC midnights; show them as a Vietnamese user typed them. */
function formatDate(date: Date): string {
  if (Number.isNaN(date.getTime())) return "?";
  return `${pad2(date.getUTCDate())}/${pad2(date.getUTCMonth() + 1)}/${date.getUTCFullYear()}`;
}

/** A cell as text: for header matching, blank tests, free text and messages. */
function cellText(cell: Cell): string {
  if (cell === null) return "";
  if (typeof cell === "string") return cell.replace(invisible, "").trim();
  if (typeof cell === "number") return Number.isFinite(cell) ? String(cell) : "";
  if (typeof cell === "boolean") return cell ? "TRUE" : "FALSE";
  if (cell instanceof Date) return formatDate(cell);
  return cell.error;
}

/** A value for a message parameter: short, on one line. */
function shown(cell: Cell): string {
  const text = tidyText(cellText(cell));
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

function isBlank(cell: Cell | undefined): boolean {
  return cell === undefined || cellText(cell) === "";
}

type RichTextRun = { text?: string | null };

/** exceljs cell values → Cell. Rich text is joined, hyperlinks give their text, formulas their result. */
function fromExcel(value: unknown, depth = 0): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return unescapeExcel(value);
  if (typeof value === "number") return Number.isNaN(value) ? { error: "#VALUE!" } : value;
  if (typeof value === "boolean") return value;
  if (value instanceof Date) return value;
  if (typeof value !== "object" || depth > 3) return String(value);
  const v = value as Record<string, unknown>;
  if (Array.isArray(v.richText)) return unescapeExcel((v.richText as RichTextRun[]).map((r) => r.text ?? "").join(""));
  if (typeof v.error === "string") return { error: v.error };
  if ("formula" in v || "sharedFormula" in v) {
    // The streaming reader parses an error result ("#N/A") as a number: NaN.
    if (typeof v.result === "number" && Number.isNaN(v.result))
      return { error: `=${String(v.formula ?? v.sharedFormula)}` };
    if (v.result === undefined) return null;
    return fromExcel(v.result, depth + 1);
  }
  if ("hyperlink" in v || "text" in v) return fromExcel(v.text, depth + 1);
  return String(value);
}

/**
 * The cells of an exceljs row, 0-based. Read cell by cell: a formula whose cached result is an
 * error ("#DIV/0!") comes out of the streaming reader as a NaN result that `row.values` drops.
 */
function excelRowCells(row: ExcelJS.Row): Cell[] {
  const cells: Cell[] = [];
  row.eachCell({ includeEmpty: false }, (cell, col) => {
    // The in-memory reader repeats a merged cell's value in every cell it covers; keep it once.
    if (cell.type === ExcelJS.ValueType.Merge) return;
    let value: Cell;
    if (cell.type === ExcelJS.ValueType.Formula) {
      const result = cell.result as unknown;
      value = typeof result === "number" && Number.isNaN(result) ? { error: `=${cell.formula}` } : fromExcel(result);
    } else value = fromExcel(cell.value);
    cells[col - 1] = value;
  });
  for (let i = 0; i < cells.length; i++) if (cells[i] === undefined) cells[i] = null;
  return cells;
}

/** Excel escapes control characters in XML as _x000D_. */
function unescapeExcel(text: string): string {
  return text.includes("_x")
    ? text.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    : text;
}

// ————————————————————————————————————————————————————————————— header

interface RawRow {
  line: number;
  cells: Cell[];
}

interface FoundHeader {
  line: number;
  match: HeaderMatch;
}

/** The best header among the first rows: most fields recognised, then most exact names, then the earliest. */
function findHeader(rows: readonly RawRow[]): FoundHeader | null {
  let best: FoundHeader | null = null;
  for (const row of rows) {
    const match = matchHeaderRow(row.cells.map(cellText));
    if (!match) continue;
    if (
      !best ||
      match.fields.length > best.match.fields.length ||
      (match.fields.length === best.match.fields.length && match.exactCount > best.match.exactCount)
    )
      best = { line: row.line, match };
  }
  return best;
}

function headerBetter(a: FoundHeader | null, b: FoundHeader | null): boolean {
  if (!a) return false;
  if (!b) return true;
  if (a.match.fields.length !== b.match.fields.length) return a.match.fields.length > b.match.fields.length;
  if (a.match.exactCount !== b.match.exactCount) return a.match.exactCount > b.match.exactCount;
  return a.match.columns.length > b.match.columns.length;
}

// ————————————————————————————————————————————————————————————— rows

const cadreDiacritic = /(^|[^\p{L}])(trưởng|phó|bí thư|chủ tịch|cán bộ|truong|pho)(?=$|[^\p{L}])/u;
/** Words that stay unambiguous without diacritics, and the usual abbreviations (CHT = chi hội trưởng). */
const cadreFolded = /(^| )(bi thu|chu tich|can bo|cht|chp|bt|pbt|ct|pct)( |$)/;
const cadreAmbiguous = /(^| )(truong|pho)( |$)/;

/**
 * "Chi hội trưởng", "Phó bí thư", "Cán bộ", "CHT" → cadre. "trưởng" and "phó" are matched with
 * their diacritics when the title has any, so "Giáo viên trường…" (school) and "Tổ dân phố"
 * (street) stay members; a title typed without diacritics ("To truong") is matched folded, and so
 * is a word left unaccented in an accented title ("Tổ truong").
 */
export function roleForTitle(title: string | null): "member" | "cadre" {
  if (!title) return "member";
  const lower = title.normalize("NFC").toLowerCase();
  const folded = foldVietnamese(title);
  const plain = folded.replace(/[^a-z0-9]+/g, " ").trim();
  if (cadreFolded.test(plain)) return "cadre";
  const hasDiacritics = folded !== lower.replace(/\s+/g, " ").trim();
  return (hasDiacritics ? cadreDiacritic.test(lower) : cadreAmbiguous.test(plain)) ? "cadre" : "member";
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
class RosterBuilder {
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

function finish(builder: RosterBuilder, format: "csv" | "xlsx", file: string): RosterReadResult {
  if (builder.rows.length === 0 && builder.issues.length === 0)
    throw fileError("file_empty", file, "no_rows", { headerLine: builder.header.line });
  return {
    rows: builder.rows,
    issues: builder.issues,
    format,
    headerLine: builder.header.line,
    columns: [...builder.header.match.fields],
  };
}

// ————————————————————————————————————————————————————————————— CSV

const delimiters = [",", ";", "\t", "|"] as const;

/** The first records of a text, cut at a record boundary outside quotes. */
function sampleRecords(text: string, records: number, maxChars: number): string {
  let inQuotes = false;
  let count = 0;
  let lastEnd = 0;
  const limit = Math.min(text.length, maxChars);
  for (let i = 0; i < limit; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 34) inQuotes = !inQuotes;
    else if (!inQuotes && (ch === 10 || ch === 13)) {
      if (ch === 13 && text.charCodeAt(i + 1) === 10) i++;
      lastEnd = i + 1;
      if (++count >= records) break;
    }
  }
  if (count >= records) return text.slice(0, lastEnd);
  if (limit === text.length) return text;
  return text.slice(0, lastEnd || limit);
}

const csvOptions: CsvOptions = {
  relax_column_count: true,
  relax_quotes: true,
  skip_empty_lines: false,
  record_delimiter: ["\r\n", "\n", "\r"],
  trim: true,
  bom: true,
};

function firstNonBlankRows(records: string[][], n: number): RawRow[] {
  const rows: RawRow[] = [];
  for (let i = 0; i < records.length && rows.length < n; i++) {
    const cells = records[i]!;
    if (cells.some((c) => !isBlank(c))) rows.push({ line: i + 1, cells });
  }
  return rows;
}

function readCsv(decoded: DecodedText, file: string): RosterReadResult {
  try {
    return readCsvText(decoded.text, file);
  } catch (error) {
    if (decoded.fallback && decoded.bytes && isAppError(error, "file_format"))
      return readCsvText(decoded.fallback(decoded.bytes), file);
    throw error;
  }
}

function readCsvText(input: string, file: string): RosterReadResult {
  let text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  // Nothing but blank lines, or the bare separators Excel writes for an empty sheet (";;;").
  if (/^[\s,;|\t"]*$/.test(text)) throw fileError("file_empty", file, "empty");
  if (/^\s*<(!doctype html|html|table|\?xml)/i.test(text.slice(0, 512))) throw fileError("file_format", file, "html");

  // Excel's "sep=;" hint line: Excel hides it, so the rows keep their numbers without it.
  let forced: string | null = null;
  const sep = /^sep=(.)\r?\n/i.exec(text);
  if (sep) {
    forced = sep[1]!;
    text = text.slice(sep[0].length);
  }

  const bytes = Buffer.from(text, "utf8");
  const sample = sampleRecords(text, HEADER_SEARCH_ROWS + 20, 512 * 1024);
  let best: { delimiter: string; header: FoundHeader | null; ends: number[] } | null = null;
  let sawContent = false;
  for (const delimiter of forced ? [forced] : delimiters) {
    // Records read before an error (an unclosed quote) still count; the full read reports it.
    const records: string[][] = [];
    const ends: number[] = []; // byte offset just after each record
    try {
      parseCsv(sample, {
        ...csvOptions,
        delimiter,
        on_record: (record: string[], context) => {
          records.push(record);
          ends.push(context.bytes);
          return null;
        },
      });
    } catch {
      // keep what was read
    }
    const rows = firstNonBlankRows(records, HEADER_SEARCH_ROWS);
    if (rows.length) sawContent = true;
    const header = findHeader(rows);
    if (!best || headerBetter(header, best.header)) best = { delimiter, header, ends };
  }
  if (!sawContent) throw fileError("file_format", file, "csv_quotes", { line: 1 });
  if (!best?.header) throw fileError("file_format", file, "no_header", { rows: HEADER_SEARCH_ROWS });

  // Read on from the header record. Besides skipping the title rows, this makes the header the
  // first record, which csv-parse measures every other record's length against: with a one-cell
  // title row first, every row would be "too long" and cost csv-parse an error object.
  const headerLine = best.header.line;
  const start = headerLine === 1 ? 0 : best.ends[headerLine - 2]!;
  const builder = new RosterBuilder(best.header);
  let line = headerLine - 1;
  try {
    parseCsv(bytes.subarray(start), {
      ...csvOptions,
      delimiter: best.delimiter,
      on_record: (record: string[]) => {
        line++;
        builder.add(line, record);
        return null;
      },
    });
  } catch (error) {
    if (isAppError(error)) throw error;
    // A quote opened and never closed swallows the rest of the file: point at where it starts.
    throw fileError("file_format", file, "csv_quotes", { line: line + 1 }, error);
  }
  return finish(builder, "csv", file);
}

// ————————————————————————————————————————————————————————————— XLSX

/** One worksheet: whether it is hidden, and its rows in order (exceljs skips absent rows). */
interface SheetSource {
  hidden: boolean;
  rows: AsyncIterable<ExcelJS.Row> | Iterable<ExcelJS.Row>;
}

function isHidden(state: unknown): boolean {
  return state === "hidden" || state === "veryHidden";
}

/** Streaming: memory stays small however long the sheet. */
async function* streamedSheets(buffer: Buffer): AsyncGenerator<SheetSource> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from(buffer), {
    worksheets: "emit",
    sharedStrings: "cache",
    styles: "cache", // needed to tell a date from a number
    hyperlinks: "ignore", // a hyperlinked cell then reads as its text
    entries: "ignore",
  });
  for await (const sheet of reader) {
    yield { hidden: isHidden((sheet as unknown as { state?: unknown }).state), rows: sheet };
  }
}

/**
 * The whole workbook in memory. Only used when the streaming reader fails, which it does on some
 * valid files whose ZIP entries come in an order it does not expect (workbook.xml after sheets).
 */
async function* loadedSheets(buffer: Buffer): AsyncGenerator<SheetSource> {
  const workbook = new ExcelJS.Workbook();
  // exceljs types its "Buffer" as an ArrayBuffer; at run time it takes a Node Buffer.
  await workbook.xlsx.load(buffer as unknown as Parameters<typeof workbook.xlsx.load>[0]);
  for (const sheet of workbook.worksheets) {
    const rows: ExcelJS.Row[] = [];
    sheet.eachRow({ includeEmpty: false }, (row) => rows.push(row));
    yield { hidden: isHidden(sheet.state), rows };
  }
}

async function readXlsx(buffer: Buffer, file: string): Promise<RosterReadResult> {
  try {
    return await scanSheets(streamedSheets(buffer), file);
  } catch (error) {
    if (isAppError(error)) throw error;
    try {
      return await scanSheets(loadedSheets(buffer), file);
    } catch (again) {
      if (isAppError(again)) throw again;
      throw fileError(
        "file_unreadable",
        file,
        "xlsx_corrupt",
        { detail: String((error as Error)?.message ?? error) },
        error,
      );
    }
  }
}

/**
 * Uses the first visible worksheet whose first rows hold a header; a sheet of instructions before
 * the list is passed over. The rows of sheets that are not used are read past, not kept.
 */
async function scanSheets(sheets: AsyncIterable<SheetSource>, file: string): Promise<RosterReadResult> {
  let sawContent = false;
  for await (const sheet of sheets) {
    let builder: RosterBuilder | null = null;
    let searching = !sheet.hidden;
    const pending: RawRow[] = [];
    for await (const row of sheet.rows) {
      if (builder) {
        builder.add(row.number, excelRowCells(row));
        continue;
      }
      if (!searching) continue;
      const cells = excelRowCells(row);
      if (cells.every(isBlank)) continue;
      sawContent = true;
      pending.push({ line: row.number, cells });
      if (pending.length >= HEADER_SEARCH_ROWS) {
        builder = startBuilder(pending);
        searching = false;
      }
    }
    if (searching && pending.length) builder = startBuilder(pending);
    if (builder) return finish(builder, "xlsx", file);
  }
  if (sawContent) throw fileError("file_format", file, "no_header", { rows: HEADER_SEARCH_ROWS });
  throw fileError("file_empty", file, "empty");
}

function startBuilder(pending: RawRow[]): RosterBuilder | null {
  const header = findHeader(pending);
  if (!header) return null;
  const builder = new RosterBuilder(header);
  for (const row of pending) builder.add(row.line, row.cells);
  return builder;
}
