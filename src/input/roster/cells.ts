/** One spreadsheet cell as read from a CSV or an .xlsx file, and how it reads as text. */
import { tidyText } from "../../lib/vietnamese.ts";

export interface CellError {
  error: string;
}

/** One cell as read from either format. CSV cells are always strings (or null). */
export type Cell = string | number | boolean | Date | CellError | null;

export function isCellError(cell: Cell): cell is CellError {
  return typeof cell === "object" && cell !== null && !(cell instanceof Date);
}

export const invisible = /[\u200B-\u200D\u2060\uFEFF]/g;

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Dates from exceljs are UTC midnights; show them as a Vietnamese user typed them. */
function formatDate(date: Date): string {
  if (Number.isNaN(date.getTime())) return "?";
  return `${pad2(date.getUTCDate())}/${pad2(date.getUTCMonth() + 1)}/${date.getUTCFullYear()}`;
}

/** A cell as text: for header matching, blank tests, free text and messages. */
export function cellText(cell: Cell): string {
  if (cell === null) return "";
  if (typeof cell === "string") return cell.replace(invisible, "").trim();
  if (typeof cell === "number") return Number.isFinite(cell) ? String(cell) : "";
  if (typeof cell === "boolean") return cell ? "TRUE" : "FALSE";
  if (cell instanceof Date) return formatDate(cell);
  return cell.error;
}

/** A value for a message parameter: short, on one line. */
export function shown(cell: Cell): string {
  const text = tidyText(cellText(cell));
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

export function isBlank(cell: Cell | undefined): boolean {
  return cell === undefined || cellText(cell) === "";
}
