/**
 * A roster row (one member of a danh sách hội viên) as the importer takes it, the issues a row can
 * have, and the rule that makes a title a cadre's. Reading files into rows is the input layer's
 * job (src/input/roster/); writing them to the database is import-roster.ts's.
 */
import { foldVietnamese } from "../../lib/vietnamese.ts";

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

/** A cadre's word written with its diacritics ("trưởng", "phó", "bí thư"…), in a lower-case title. */
export const cadreDiacritic = /(^|[^\p{L}])(trưởng|phó|bí thư|chủ tịch|cán bộ|truong|pho)(?=$|[^\p{L}])/u;
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
