/**
 * Recurring branch meetings ("sinh hoạt định kỳ"): rules, what cadres type for them, and the
 * expansion of a series into occurrences in the app time zone.
 *
 * Rules are about LOCAL calendar dates; the start time is a local wall-clock time, so a series at
 * 19:30 stays at 19:30 across a DST change (its UTC instant moves). Dates are computed
 * arithmetically (calendar day numbers), never by scanning time.
 *
 * Policies:
 * - monthly_day with a day a month lacks (31 in April, 29–31 in February): the meeting is on the
 *   LAST day of that month (30/4, 28/2 or 29/2 in a leap year). So every month has exactly one.
 * - monthly_weekday nth 1..4 is the nth such weekday of the month ("thứ Bảy tuần đầu tiên của
 *   tháng" = the first Saturday of the month, even if that week started in the previous month);
 *   nth -1 is the last such weekday.
 * - weekly with interval n: the first occurrence is the first such weekday on or after startsOn,
 *   then every n weeks from it.
 * - once: the given date (still bounded by startsOn/endsOn).
 * - startsOn/endsOn (inclusive) bound the ORIGINAL dates (occurrence keys), not moved times.
 * - exceptions: `skip` removes an occurrence; `move` places it at a new local time with its key
 *   unchanged and `moved: true`. A key that is both skipped and moved is skipped. Exception keys
 *   that are not an occurrence of the series are ignored.
 */
import { AppError } from "../../lib/app-error.ts";
import { translator, type Locale } from "../../lib/i18n.ts";
import {
  dateKey,
  daysInMonth,
  epochDay,
  formatClock,
  formatLocalDate,
  fromEpochDay,
  fromLocal,
  instantOfDayTime,
  parseDateKey,
  toLocal,
  weekdayName,
  weekdayOf,
  type LocalDate,
  type LocalDateTime,
} from "../../lib/zoned-time.ts";
import {
  BAD_WEEKDAY_RE,
  extractTime,
  normaliseDateText,
  ParseFailure,
  WEEKDAY_RE,
  weekdayFromMatch,
  type LocalTime,
} from "./parse-datetime.ts";

export type RecurrenceRule =
  | { kind: "monthly_day"; day: number }
  | { kind: "monthly_last_day" }
  | { kind: "monthly_weekday"; weekday: number; nth: 1 | 2 | 3 | 4 | -1 }
  | { kind: "weekly"; weekday: number; interval?: number }
  | { kind: "once"; date: string };

export interface SeriesSpec {
  rule: RecurrenceRule;
  time: { hour: number; minute: number };
  /** yyyy-mm-dd, local, inclusive. */
  startsOn: string;
  /** yyyy-mm-dd, local, inclusive. */
  endsOn?: string;
  exceptions?: {
    skip?: string[];
    /** original occurrence date → new local start "yyyy-mm-ddTHH:MM". */
    move?: Record<string, string>;
  };
}

export interface Occurrence {
  /** The original local date, yyyy-mm-dd (kept when the occurrence is moved). */
  key: string;
  startsAt: Date;
  moved: boolean;
}

/** Longest accepted "every n weeks". */
export const MAX_WEEKLY_INTERVAL = 52;
/** Without endsOn, assertRecurrenceFires looks this many years ahead of startsOn. */
export const FIRES_HORIZON_YEARS = 2;

// ---------------------------------------------------------------------------------------------
// Parsing what cadres type

function invalidRule(input: string, reason: string): AppError {
  return new AppError("recurrence_invalid", { input, reason });
}

const ORDINALS: Record<string, 1 | 2 | 3 | 4 | -1> = {
  "dau tien": 1,
  dau: 1,
  "thu nhat": 1,
  nhat: 1,
  "thu 1": 1,
  "1": 1,
  "thu hai": 2,
  "thu 2": 2,
  hai: 2,
  "2": 2,
  "thu ba": 3,
  "thu 3": 3,
  ba: 3,
  "3": 3,
  "thu tu": 4,
  "thu 4": 4,
  tu: 4,
  "4": 4,
  "cuoi cung": -1,
  cuoi: -1,
};

const NUMBER_WORDS: Record<string, number> = { mot: 1, hai: 2, ba: 3, bon: 4, tu: 4, nam: 5, sau: 6 };

/** Removes whole words from a folded phrase and tidies the spaces. */
function without(text: string, words: string[]): string {
  const re = new RegExp(`\\b(?:${words.join("|")})\\b`, "g");
  return text.replace(re, " ").replace(/\s+/g, " ").trim();
}

const MONTH_MARKER = /\b(?:hang|moi) thang\b/;

/**
 * What a cadre typed for a recurring meeting, with its time when given:
 * "ngày 5 hằng tháng lúc 19:30", "mùng 5 hàng tháng", "hằng tháng vào ngày 5", "ngày cuối tháng",
 * "cuối tháng", "thứ Bảy tuần đầu tiên của tháng", "thứ 7 đầu tháng", "thứ Sáu cuối cùng của
 * tháng", "thứ Bảy tuần thứ 2 của tháng", "thứ Hai hằng tuần", "mỗi thứ Hai", "thứ 2 hàng tuần 7h",
 * "chủ nhật cách tuần", "thứ Năm, 3 tuần một lần", "một lần vào ngày 05/12/2026". It also reads
 * back every Vietnamese `describeRecurrence` text. `interval` is only present when above 1.
 * Throws AppError("recurrence_invalid", { input, reason }) with reason "weekday" (thứ Tám, thứ 9),
 * "day" (ngày 32), "ordinal", "interval", "time", "date" or "unrecognised".
 */
export function parseRecurrence(text: string): { rule: RecurrenceRule; time?: LocalTime } {
  const input = String(text ?? "");
  let extracted: { time: LocalTime | null; rest: string };
  try {
    extracted = extractTime(normaliseDateText(input));
  } catch (error) {
    if (error instanceof ParseFailure) throw invalidRule(input, "time");
    throw error;
  }
  const rest = without(extracted.rest, ["luc", "vao", "cac", "nhung", "hop", "sinh hoat"]).replace(/[-@]/g, " ").trim();
  const rule = ruleFromText(rest, input);
  return extracted.time ? { rule, time: extracted.time } : { rule };
}

function ruleFromText(text: string, input: string): RecurrenceRule {
  // Once: "(một lần) (ngày) 05/12/2026" or "2026-12-05".
  const once = /^(?:mot lan )?(?:ngay )?(?:(\d{1,2})\/(\d{1,2})\/(\d{4})|(\d{4})-(\d{2})-(\d{2}))$/.exec(text);
  if (once) {
    const date: LocalDate = once[1]
      ? { year: +once[3]!, month: +once[2]!, day: +once[1] }
      : { year: +once[4]!, month: +once[5]!, day: +once[6]! };
    const key = dateKey(date);
    if (!parseDateKey(key)) throw invalidRule(input, "date");
    return { kind: "once", date: key };
  }

  // The first weekday-looking word decides: a real weekday, or an error ("thứ Tám").
  const bad = BAD_WEEKDAY_RE.exec(text);
  const good = WEEKDAY_RE.exec(text);
  if (bad && (!good || bad.index < good.index)) throw invalidRule(input, "weekday");
  if (good) {
    let weekday: number;
    try {
      weekday = weekdayFromMatch(good);
    } catch {
      throw invalidRule(input, "weekday");
    }
    const rest = `${text.slice(0, good.index)} ${text.slice(good.index + good[0].length)}`.replace(/\s+/g, " ").trim();
    return weekdayRule(weekday, rest, input);
  }

  const hasMonth = /\bthang\b/.test(text);
  if (!hasMonth) throw invalidRule(input, "unrecognised");
  const core = without(text, ["ngay", "mung", "mong", "cua", "trong", "hang", "moi", "thang"]);
  if (/^cuoi(?: cung)?$/.test(core)) return { kind: "monthly_last_day" };
  if (/^dau(?: tien)?$/.test(core) && MONTH_MARKER.test(text)) return { kind: "monthly_day", day: 1 };
  if (/^\d{1,3}$/.test(core) && MONTH_MARKER.test(text)) {
    const day = Number(core);
    if (day < 1 || day > 31) throw invalidRule(input, "day");
    return { kind: "monthly_day", day };
  }
  throw invalidRule(input, "unrecognised");
}

function weekdayRule(weekday: number, rest: string, input: string): RecurrenceRule {
  // Weekly: "hằng tuần", "mỗi tuần", "mỗi thứ Hai", "cách tuần", "cách 1 tuần", "3 tuần một lần".
  if (/^(?:(?:hang|moi) tuan|moi|tat ca)$/.test(rest) || rest === "moi hang tuan") return { kind: "weekly", weekday };
  if (/^cach (?:(?:1|mot) )?tuan$/.test(rest)) return { kind: "weekly", weekday, interval: 2 };
  const every = /^(?:cu )?(\d{1,2}|mot|hai|ba|bon|nam|sau) tuan (?:1|mot) lan$/.exec(rest);
  if (every) {
    const n = NUMBER_WORDS[every[1]!] ?? Number(every[1]);
    if (!Number.isInteger(n) || n < 1 || n > MAX_WEEKLY_INTERVAL) throw invalidRule(input, "interval");
    return n === 1 ? { kind: "weekly", weekday } : { kind: "weekly", weekday, interval: n };
  }
  // Monthly by weekday: the month must be mentioned; what remains is the ordinal.
  if (/\bthang\b/.test(rest)) {
    const ordinal = without(rest, ["tuan", "cua", "trong", "hang", "moi", "thang"]);
    const nth = ORDINALS[ordinal];
    if (nth === undefined) throw invalidRule(input, "ordinal");
    return { kind: "monthly_weekday", weekday, nth };
  }
  throw invalidRule(input, "unrecognised");
}

// ---------------------------------------------------------------------------------------------
// Validating a series

interface Compiled {
  rule: RecurrenceRule;
  time: LocalTime;
  startDay: number;
  /** Inclusive; Infinity when open-ended. */
  endDay: number;
  skip: Set<string>;
  moves: Map<string, LocalDateTime>;
}

function invalidSpec(spec: SeriesSpec, reason: string): AppError {
  let input: string;
  try {
    input = JSON.stringify(spec.rule) ?? String(spec.rule);
  } catch {
    input = String(spec.rule);
  }
  return new AppError("recurrence_invalid", { input, reason });
}

const isInt = (n: unknown, lo: number, hi: number): boolean =>
  typeof n === "number" && Number.isInteger(n) && n >= lo && n <= hi;

function checkRule(spec: SeriesSpec): void {
  const rule = spec.rule as RecurrenceRule | undefined;
  switch (rule?.kind) {
    case "monthly_day":
      if (!isInt(rule.day, 1, 31)) throw invalidSpec(spec, "day");
      return;
    case "monthly_last_day":
      return;
    case "monthly_weekday":
      if (!isInt(rule.weekday, 0, 6)) throw invalidSpec(spec, "weekday");
      if (![1, 2, 3, 4, -1].includes(rule.nth)) throw invalidSpec(spec, "ordinal");
      return;
    case "weekly":
      if (!isInt(rule.weekday, 0, 6)) throw invalidSpec(spec, "weekday");
      if (rule.interval !== undefined && !isInt(rule.interval, 1, MAX_WEEKLY_INTERVAL)) {
        throw invalidSpec(spec, "interval");
      }
      return;
    case "once":
      if (typeof rule.date !== "string" || !parseDateKey(rule.date)) throw invalidSpec(spec, "date");
      return;
    default:
      throw invalidSpec(spec, "kind");
  }
}

const MOVE_RE = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})$/;

function compile(spec: SeriesSpec): Compiled {
  checkRule(spec);
  const time = spec.time;
  if (!time || !isInt(time.hour, 0, 23) || !isInt(time.minute, 0, 59)) throw invalidSpec(spec, "time");
  const start = typeof spec.startsOn === "string" ? parseDateKey(spec.startsOn) : null;
  if (!start) throw invalidSpec(spec, "starts_on");
  let endDay = Infinity;
  if (spec.endsOn !== undefined && spec.endsOn !== null) {
    const end = typeof spec.endsOn === "string" ? parseDateKey(spec.endsOn) : null;
    if (!end) throw invalidSpec(spec, "ends_on");
    endDay = epochDay(end);
  }
  const skip = new Set<string>();
  for (const key of spec.exceptions?.skip ?? []) {
    if (typeof key !== "string" || !parseDateKey(key)) throw invalidSpec(spec, "exception");
    skip.add(key);
  }
  const moves = new Map<string, LocalDateTime>();
  for (const [key, target] of Object.entries(spec.exceptions?.move ?? {})) {
    const m = typeof target === "string" ? MOVE_RE.exec(target) : null;
    const date = m ? parseDateKey(m[1]!) : null;
    const hour = m ? Number(m[2]) : NaN;
    const minute = m ? Number(m[3]) : NaN;
    if (!parseDateKey(key) || !date || !isInt(hour, 0, 23) || !isInt(minute, 0, 59)) {
      throw invalidSpec(spec, "exception");
    }
    moves.set(key, { ...date, hour, minute });
  }
  return { rule: spec.rule, time, startDay: epochDay(start), endDay, skip, moves };
}

// ---------------------------------------------------------------------------------------------
// Dates of a rule

/** The day number of the rule's date in a month, or null when the month has none. */
function dayInMonth(rule: RecurrenceRule, year: number, month: number): number | null {
  const dim = daysInMonth(year, month);
  switch (rule.kind) {
    case "monthly_day":
      return epochDay({ year, month, day: Math.min(rule.day, dim) });
    case "monthly_last_day":
      return epochDay({ year, month, day: dim });
    case "monthly_weekday": {
      if (rule.nth === -1) {
        const last = { year, month, day: dim };
        return epochDay(last) - ((weekdayOf(last) - rule.weekday + 7) % 7);
      }
      const first = { year, month, day: 1 };
      return epochDay(first) + ((rule.weekday - weekdayOf(first) + 7) % 7) + 7 * (rule.nth - 1);
    }
    default:
      return null;
  }
}

/** The rule's original dates (day numbers) within [from, to], both inclusive, ascending. */
function ruleDays(c: Compiled, from: number, to: number): number[] {
  const lo = Math.max(from, c.startDay);
  const hi = Math.min(to, c.endDay);
  const days: number[] = [];
  if (lo > hi) return days;
  const rule = c.rule;
  switch (rule.kind) {
    case "once": {
      const d = epochDay(parseDateKey(rule.date)!);
      if (d >= lo && d <= hi) days.push(d);
      return days;
    }
    case "weekly": {
      const step = 7 * (rule.interval ?? 1);
      const anchor = c.startDay + ((rule.weekday - weekdayOf(fromEpochDay(c.startDay)) + 7) % 7);
      const k = Math.max(0, Math.ceil((lo - anchor) / step));
      for (let d = anchor + k * step; d <= hi; d += step) days.push(d);
      return days;
    }
    default: {
      const first = fromEpochDay(lo);
      const last = fromEpochDay(hi);
      let { year, month } = first;
      while (year < last.year || (year === last.year && month <= last.month)) {
        const d = dayInMonth(rule, year, month);
        if (d !== null && d >= lo && d <= hi) days.push(d);
        month += 1;
        if (month > 12) {
          month = 1;
          year += 1;
        }
      }
      return days;
    }
  }
}

function isRuleDay(c: Compiled, key: string): boolean {
  const date = parseDateKey(key);
  if (!date) return false;
  const d = epochDay(date);
  return ruleDays(c, d, d).length === 1;
}

function startOf(c: Compiled, day: number, zone: string): Date {
  return new Date(instantOfDayTime(day, c.time.hour, c.time.minute, zone));
}

/** Moved occurrences (not skipped, of a real original date), any time. */
function movedOccurrences(c: Compiled, zone: string): Occurrence[] {
  const out: Occurrence[] = [];
  for (const [key, target] of c.moves) {
    if (c.skip.has(key) || !isRuleDay(c, key)) continue;
    out.push({ key, startsAt: fromLocal(target, zone), moved: true });
  }
  return out;
}

function byStart(a: Occurrence, b: Occurrence): number {
  return a.startsAt.getTime() - b.startsAt.getTime() || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------
// Public expansion

/**
 * The occurrences starting in [from, to), exceptions applied (skipped ones removed, moved ones at
 * their new time with their original key), sorted by start. Cost is proportional to the number of
 * dates in the window (plus the number of moves), not to its length in minutes.
 */
export function expandOccurrences(spec: SeriesSpec, from: Date, to: Date, zone: string): Occurrence[] {
  const c = compile(spec);
  const fromMs = from.getTime();
  const toMs = to.getTime();
  if (!(fromMs < toMs)) return [];
  // One day of margin each side: the local date of an instant differs by at most a day from a
  // start computed on that date (and a DST gap can push a start across midnight).
  const firstDay = epochDay(toLocal(from, zone)) - 1;
  const lastDay = epochDay(toLocal(to, zone)) + 1;
  const out: Occurrence[] = [];
  for (const day of ruleDays(c, firstDay, lastDay)) {
    const key = dateKey(fromEpochDay(day));
    if (c.skip.has(key) || c.moves.has(key)) continue;
    const startsAt = startOf(c, day, zone);
    const ms = startsAt.getTime();
    if (ms >= fromMs && ms < toMs) out.push({ key, startsAt, moved: false });
  }
  for (const occurrence of movedOccurrences(c, zone)) {
    const ms = occurrence.startsAt.getTime();
    if (ms >= fromMs && ms < toMs) out.push(occurrence);
  }
  return out.sort(byStart);
}

/** Base dates are searched up to this far ahead when the series has no end. */
const SEARCH_YEARS = 10;

/** The first occurrence starting strictly after `after`, or null when the series is over. */
export function nextOccurrence(spec: SeriesSpec, after: Date, zone: string): Occurrence | null {
  const c = compile(spec);
  const afterMs = after.getTime();
  let best: Occurrence | null = null;
  for (const occurrence of movedOccurrences(c, zone)) {
    if (occurrence.startsAt.getTime() > afterMs && (!best || byStart(occurrence, best) < 0)) best = occurrence;
  }
  const firstDay = Math.max(c.startDay, epochDay(toLocal(after, zone)) - 1);
  const limit = Math.min(c.endDay, firstDay + Math.ceil(366 * SEARCH_YEARS));
  for (let windowStart = firstDay; windowStart <= limit; windowStart += 366) {
    const windowEnd = Math.min(limit, windowStart + 365);
    for (const day of ruleDays(c, windowStart, windowEnd)) {
      const key = dateKey(fromEpochDay(day));
      if (c.skip.has(key) || c.moves.has(key)) continue;
      const startsAt = startOf(c, day, zone);
      if (startsAt.getTime() <= afterMs) continue;
      const base: Occurrence = { key, startsAt, moved: false };
      return best && byStart(best, base) < 0 ? best : base;
    }
    if (best && startOf(c, windowEnd, zone).getTime() > best.startsAt.getTime()) return best;
  }
  return best;
}

/**
 * Throws AppError("recurrence_never_fires", { startsOn, endsOn }) when the series has no
 * occurrence (after skips; a moved one counts) with an original date between startsOn and endsOn,
 * or, without endsOn, within FIRES_HORIZON_YEARS years of startsOn. Also validates the spec
 * (recurrence_invalid) and the zone (RangeError).
 */
export function assertRecurrenceFires(spec: SeriesSpec, zone: string): void {
  const c = compile(spec);
  toLocal(new Date(0), zone); // an unknown zone is a programming error: fail loudly here
  const start = fromEpochDay(c.startDay);
  const horizonYear = start.year + FIRES_HORIZON_YEARS;
  const horizon =
    epochDay({
      year: horizonYear,
      month: start.month,
      day: Math.min(start.day, daysInMonth(horizonYear, start.month)),
    }) - 1;
  const last = Math.min(c.endDay, horizon);
  const fires = ruleDays(c, c.startDay, last).some((day) => !c.skip.has(dateKey(fromEpochDay(day))));
  if (!fires) {
    throw new AppError("recurrence_never_fires", { startsOn: spec.startsOn, endsOn: spec.endsOn ?? "" });
  }
}

// ---------------------------------------------------------------------------------------------
// Describing

/**
 * A rule in words, from locales/<lang>/time.json: vi "ngày 5 hằng tháng lúc 19:30", "thứ Bảy đầu
 * tiên hằng tháng", "Chủ nhật cách tuần"; en "on day 5 of every month at 19:30", "on the first
 * Saturday of every month", "every other Sunday". Without a time, the "at" part is left out.
 */
export function describeRecurrence(
  rule: RecurrenceRule,
  time: LocalTime | null | undefined,
  locale: Locale | string,
): string {
  const t = translator(locale);
  let text: string;
  switch (rule.kind) {
    case "monthly_day":
      text = t("time.recurrence.monthly_day", { day: rule.day });
      break;
    case "monthly_last_day":
      text = t("time.recurrence.monthly_last_day");
      break;
    case "monthly_weekday":
      text = t("time.recurrence.monthly_weekday", {
        weekday: weekdayName(rule.weekday, locale),
        nth: t(`time.ordinal.${rule.nth === -1 ? "last" : rule.nth}`),
      });
      break;
    case "weekly": {
      const interval = rule.interval ?? 1;
      const weekday = weekdayName(rule.weekday, locale);
      if (interval === 1) text = t("time.recurrence.weekly", { weekday });
      else if (interval === 2) text = t("time.recurrence.weekly_other", { weekday });
      else text = t("time.recurrence.weekly_interval", { weekday, interval });
      break;
    }
    case "once": {
      const date = parseDateKey(rule.date);
      text = t("time.recurrence.once", { date: date ? formatLocalDate(date) : rule.date });
      break;
    }
  }
  return time ? t("time.recurrence.at_time", { rule: text, time: formatClock(time) }) : text;
}
