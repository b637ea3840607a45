/**
 * Reads a roster from CSV text: the separator (comma, semicolon, tab, bar) is the one that makes a
 * header, Excel's "sep=" line is obeyed, and rows keep the numbers a spreadsheet shows.
 */
import { type Options as CsvOptions, parse as parseCsv } from "csv-parse/sync";
import { isAppError } from "../../lib/app-error.ts";
import { isBlank } from "./cells.ts";
import type { DecodedText } from "./decode.ts";
import { fileError } from "./file-errors.ts";
import { type FoundHeader, findHeader, HEADER_SEARCH_ROWS, headerBetter, type RawRow } from "./find-header.ts";
import { finish, RosterBuilder, type RosterReadResult } from "./row-builder.ts";

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

export function readCsv(decoded: DecodedText, file: string): RosterReadResult {
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
  if (/^[\s,;|\t"]*$/.test(text)) throw fileError("file_empty", { file, reason: "empty" });
  if (/^\s*<(!doctype html|html|table|\?xml)/i.test(text.slice(0, 512)))
    throw fileError("file_format", { file, reason: "html" });

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
  if (!sawContent) throw fileError("file_format", { file, reason: "csv_quotes", extra: { line: 1 } });
  if (!best?.header) throw fileError("file_format", { file, reason: "no_header", extra: { rows: HEADER_SEARCH_ROWS } });

  // Read on from the header record. Besides skipping the title rows, this makes the header the
  // first record, which csv-parse measures every other record's length against: with a one-cell
  // title row first, every row would be "too long" and cost csv-parse an error object.
  const headerLine = best.header.line;
  const start = headerLine === 1 ? 0 : best.ends[headerLine - 2]!;
  const builder = new RosterBuilder(best.header);
  const body = bytes.subarray(start);
  const options = { ...csvOptions, delimiter: best.delimiter };
  let records: string[][];
  try {
    // All records at once: an on_record callback would cost csv-parse an info object per record.
    records = parseCsv(body, options) as string[][];
  } catch (error) {
    if (isAppError(error)) throw error;
    // A quote opened and never closed swallows the rest of the file: point at where it starts
    // (read again, counting the records before the error).
    let read = 0;
    try {
      parseCsv(body, { ...options, on_record: () => (read++, null) });
    } catch {
      // the same error
    }
    throw fileError("file_format", { file, reason: "csv_quotes", extra: { line: headerLine + read }, cause: error });
  }
  for (let i = 0; i < records.length; i++) builder.add(headerLine + i, records[i]!);
  return finish(builder, "csv", file);
}
