/** Finding the header row of a roster among its first rows (title rows and blank rows come above it). */
import { type Cell, cellText } from "./cells.ts";
import { type HeaderMatch, matchHeaderRow } from "./header-names.ts";

/** How many non-blank rows from the top are searched for the header row. */
export const HEADER_SEARCH_ROWS = 30;

export interface RawRow {
  line: number;
  cells: Cell[];
}

export interface FoundHeader {
  line: number;
  match: HeaderMatch;
}

/** The best header among the first rows: most fields recognised, then most exact names, then the earliest. */
export function findHeader(rows: readonly RawRow[]): FoundHeader | null {
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

export function headerBetter(a: FoundHeader | null, b: FoundHeader | null): boolean {
  if (!a) return false;
  if (!b) return true;
  if (a.match.fields.length !== b.match.fields.length) return a.match.fields.length > b.match.fields.length;
  if (a.match.exactCount !== b.match.exactCount) return a.match.exactCount > b.match.exactCount;
  return a.match.columns.length > b.match.columns.length;
}
