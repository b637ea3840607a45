/**
 * Recognises the header row of a roster (danh sách hội viên) as Vietnamese officials write it:
 * any order and case, with or without diacritics, with decorations such as "Họ và tên (*)",
 * "Số ĐT:" or "Giới tính (Nam/Nữ)", in Vietnamese or English.
 *
 * Matching works on a "label": the folded text (no diacritics, lower case) with parenthesised
 * parts removed and punctuation turned into spaces. A label matches a field exactly, or contains
 * an alias as whole words (the longest alias wins, so "Tên chi hội" is a unit, not a name).
 */
import { foldVietnamese } from "../../lib/vietnamese.ts";

/** The fields a roster can carry, named like the keys of `RosterRow`. */
export type RosterField = "fullName" | "phone" | "unitName" | "title" | "birthYear" | "gender" | "note";

/** What a header cell can mean: a field, one half of a split name, or a column to ignore (STT). */
export type ColumnKind = RosterField | "familyName" | "givenName" | "ignore";

export const rosterFields: readonly RosterField[] = [
  "fullName",
  "phone",
  "unitName",
  "title",
  "birthYear",
  "gender",
  "note",
];

const aliases: Record<Exclude<ColumnKind, "givenName">, readonly string[]> = {
  fullName: [
    "ho va ten",
    "ho ten",
    "ho va ten hoi vien",
    "ho ten hoi vien",
    "ho va ten doan vien",
    "ho ten doan vien",
    "ho va ten can bo",
    "ho va ten thanh vien",
    "ten hoi vien",
    "ten doan vien",
    "ten thanh vien",
    "ten", // a lone "Tên" is the given name when a "Họ" column sits beside it (see resolve below)
    "full name",
    "fullname",
    "name",
    "member name",
  ],
  familyName: [
    "ho",
    "ho dem",
    "ho va dem",
    "ho va ten dem",
    "ho lot",
    "ho va chu lot",
    "family name",
    "surname",
    "last name",
  ],
  phone: [
    "so dien thoai",
    "dien thoai",
    "sdt",
    "so dt",
    "dt",
    "d thoai",
    "dtdd",
    "dt di dong",
    "so di dong",
    "di dong",
    "dien thoai di dong",
    "so dien thoai di dong",
    "so dien thoai lien he",
    "so zalo",
    "zalo",
    "phone",
    "phone number",
    "mobile",
    "mobile phone",
    "tel",
    "telephone",
  ],
  unitName: [
    "don vi",
    "ten don vi",
    "chi hoi",
    "chi doan",
    "chi bo",
    "to",
    "to hoi",
    "to dan pho",
    "thon",
    "xom",
    "ap",
    "khu pho",
    "thon xom",
    "unit",
    "unit name",
    "branch",
    "group",
  ],
  title: ["chuc vu", "chuc danh", "chuc vu trong hoi", "vai tro", "title", "position", "job title", "role"],
  birthYear: [
    "nam sinh",
    "ngay sinh",
    "ngay thang nam sinh",
    "sinh nam",
    "birth year",
    "year of birth",
    "date of birth",
    "birth date",
    "birthday",
    "dob",
    "born",
  ],
  gender: ["gioi tinh", "gioi", "nam nu", "gender", "sex"],
  note: ["ghi chu", "ghi chu khac", "note", "notes", "remark", "remarks", "comment", "comments"],
  ignore: ["stt", "tt", "so tt", "so thu tu", "thu tu", "no", "nr", "#"],
};

const exact = new Map<string, Exclude<ColumnKind, "givenName">>();
for (const [kind, list] of Object.entries(aliases) as [Exclude<ColumnKind, "givenName">, readonly string[]][])
  for (const alias of list) exact.set(alias, kind);

/**
 * Aliases longest first, for "contains" matching. Family-name aliases only match exactly ("Hộ
 * khẩu" folds to "ho khau", which must not become a "Họ" column), and so does the ignore list.
 */
const containable = [...exact.entries()]
  .filter(([alias, kind]) => kind !== "ignore" && kind !== "familyName" && /^[a-z0-9 ]+$/.test(alias))
  .sort((a, b) => b[0].length - a[0].length)
  .map(([alias, kind]) => ({ padded: ` ${alias} `, kind, words: alias.split(" ").length }));

/** "Họ và tên (*)" → "ho va ten"; "Số ĐT:" → "so dt"; "#" stays "#". */
export function headerLabel(text: string): string {
  const folded = foldVietnamese(text.replace(/[\u200B-\u200D\uFEFF]/g, ""));
  const bare = folded
    .replace(/\([^)]*\)|\[[^\]]*\]/g, " ")
    .replace(/[^a-z0-9#]+/g, " ")
    .trim();
  return bare;
}

export interface ColumnMatch {
  kind: ColumnKind;
  /** true when the label is an alias as is, false when it only contains one. */
  exact: boolean;
}

/** What one header cell means, or null when it is not a column we know. */
export function matchHeader(text: string): ColumnMatch | null {
  const label = headerLabel(text);
  if (!label) return null;
  const hit = exact.get(label);
  if (hit) return { kind: hit, exact: true };
  if (/^#+$/.test(label)) return { kind: "ignore", exact: true };
  // "Tên tổ", "Tên đơn vị": the name *of* a unit, not a person's name.
  if (label.startsWith("ten ")) {
    const rest = matchHeader(label.slice(4));
    if (rest && rest.kind !== "fullName" && rest.kind !== "ignore") return { kind: rest.kind, exact: false };
  }
  const words = label.split(" ").length;
  const padded = ` ${label} `;
  for (const alias of containable) {
    // A label much longer than the alias is a sentence (a title row), not a column header.
    if (words > alias.words + 2) continue;
    if (padded.includes(alias.padded)) return { kind: alias.kind, exact: false };
  }
  return null;
}

/** Whether a cell is, exactly, a name header ("Họ và tên", "Tên", "Họ đệm"): a repeated header row. */
export function isNameHeader(text: string): boolean {
  if (text.length > 40) return false;
  const kind = exact.get(headerLabel(text));
  return kind === "fullName" || kind === "familyName";
}

export interface HeaderColumn {
  /** 0-based position of the column in the row. */
  index: number;
  kind: ColumnKind;
  /** The header text as written in the file, tidied, for messages ("Số điện thoại"). */
  label: string;
}

export interface HeaderMatch {
  columns: HeaderColumn[];
  /** Fields recognised, in `rosterFields` order (a split name counts as fullName). */
  fields: RosterField[];
  exactCount: number;
}

/**
 * Reads a row as a header, or returns null when it has no name column. The first column of a kind
 * wins; a lone "Tên" next to a "Họ"/"Họ đệm" column is the given name.
 */
export function matchHeaderRow(cells: readonly string[]): HeaderMatch | null {
  const columns: HeaderColumn[] = [];
  const seen = new Set<ColumnKind>();
  let exactCount = 0;
  cells.forEach((cell, index) => {
    const match = matchHeader(cell);
    if (!match) return;
    const label = cell.replace(/\s+/g, " ").trim().normalize("NFC");
    if (match.kind === "ignore") {
      columns.push({ index, kind: "ignore", label });
      return;
    }
    if (seen.has(match.kind)) return;
    // "Tên" as the given name: decided once the whole row is known.
    seen.add(match.kind);
    if (match.exact) exactCount++;
    columns.push({ index, kind: match.kind, label });
  });

  const family = columns.find((c) => c.kind === "familyName");
  const full = columns.find((c) => c.kind === "fullName");
  if (family) {
    if (full && headerLabel(full.label) === "ten") full.kind = "givenName";
    else {
      // "Họ" without "Tên" is not a name column we can use.
      family.kind = "ignore";
    }
  }
  const hasName = columns.some((c) => c.kind === "fullName" || c.kind === "givenName");
  if (!hasName) return null;
  const fields = rosterFields.filter((field) => (field === "fullName" ? true : columns.some((c) => c.kind === field)));
  return { columns, fields, exactCount };
}

/** Canonical Vietnamese names of unit kinds, used to turn a bare "1" under "Tổ" into "Tổ 1". */
const unitPrefixes: Record<string, string> = {
  to: "Tổ",
  "to hoi": "Tổ",
  "chi hoi": "Chi hội",
  "chi doan": "Chi đoàn",
  "chi bo": "Chi bộ",
  "to dan pho": "Tổ dân phố",
  thon: "Thôn",
  xom: "Xóm",
  ap: "Ấp",
  "khu pho": "Khu phố",
};

/** For a unit column headed "Tổ", "Chi hội"…: the word to put before a bare number. */
export function unitPrefix(headerText: string): string | null {
  return unitPrefixes[headerLabel(headerText)] ?? null;
}
