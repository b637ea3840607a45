/**
 * Reads the meeting dates and times that cadres type in chat, in Vietnamese (with or without
 * diacritics, any case and spacing), relative to `now` in the app time zone.
 *
 * Grammar, after folding ("Thứ Sáu" → "thu sau"):
 * - a time is REQUIRED: "19:30", "19h30", "19g30", "19h", "19 giờ 30 (phút)", "7 giờ rưỡi" (7:30),
 *   "7 giờ kém 15" (6:45), optionally with a period of the day: sáng, trưa, chiều, tối, đêm
 *   ("7h tối" = 19:00, "8 giờ sáng" = 08:00) or am/pm. Contradictions ("19h sáng") and the
 *   ambiguous "12 giờ tối/đêm" are rejected.
 * - a date: "05/12/2026", "5-12-26", "5.12.2026", "2026-12-05" (also "2026-12-05T19:30"),
 *   "ngày 5 tháng 12 (năm 2026)", a year-less "5/12" (see `resolveYearless`), "hôm nay"/"nay",
 *   "(ngày) mai", "ngày kia"/"ngày mốt" (+2 days), "hôm qua"/"hôm kia" (past), or a weekday
 *   ("thứ 2".."thứ 7", "thứ Hai".."thứ Bảy", "T2".."T7", "chủ nhật", "CN") with an optional week:
 *     - no week, "thứ 6 này", "thứ 6 tới": the next such weekday whose time has not passed yet
 *       (today if today is that weekday and the time is still ahead);
 *     - "tuần này": that weekday in the current calendar week; weeks run Monday → Sunday (Chủ nhật
 *       is the LAST day of the week), so on a Sunday "thứ 6 tuần này" is two days ago and is
 *       rejected as meeting_in_past;
 *     - "tuần sau" / "tuần tới" / "sang tuần": that weekday in the next calendar week (on a Sunday
 *       that is the week starting tomorrow; on a Monday it is 7–13 days ahead, never this week);
 *     - "tuần sau nữa": the week after next; "tuần trước": last week (→ meeting_in_past).
 *   A weekday together with an explicit date must agree with it ("thứ 6 05/12/2026" is rejected:
 *   05/12/2026 is a Saturday).
 * - filler words "lúc", "vào", "ngày", "buổi", "hồi" are ignored; anything else is an error, so a
 *   typo is never silently dropped.
 *
 * Errors: AppError("date_invalid", { input, reason }) with reason one of "unrecognised",
 * "time_missing", "date_missing", "time_impossible", "time_ambiguous", "date_impossible",
 * "weekday", "weekday_mismatch", "date_conflict", "duration_range";
 * AppError("meeting_in_past", { input, date: "dd/mm/yyyy", time: "HH:MM" }).
 */
import { AppError } from "../../lib/app-error.ts";
import { foldVietnamese } from "../../lib/vietnamese.ts";
import {
  epochDay,
  formatClock,
  formatLocalDate,
  fromEpochDay,
  fromLocal,
  isValidDate,
  toLocal,
  weekdayOf,
  type LocalDate,
} from "../../lib/zoned-time.ts";

export interface LocalTime {
  hour: number;
  minute: number;
}

export type ParseFailureReason =
  | "unrecognised"
  | "time_missing"
  | "date_missing"
  | "time_impossible"
  | "time_ambiguous"
  | "date_impossible"
  | "weekday"
  | "weekday_mismatch"
  | "date_conflict"
  | "duration_range";

/** Internal: thrown by the scanners, turned into the caller's AppError code. */
export class ParseFailure extends Error {
  constructor(readonly reason: ParseFailureReason) {
    super(reason);
  }
}

/** A year-less date that passed at most this many days ago is a mistake, not next year's. */
export const YEARLESS_GRACE_DAYS = 30;

// ---------------------------------------------------------------------------------------------
// Normalising and consuming

/**
 * Folds the text for matching. "tới" (next) and "tối" (evening) fold to the same "toi", so "tới"
 * is rewritten to "ke tiep" first; without diacritics "toi" is read as "tối" except in "tuần toi".
 */
export function normaliseDateText(text: string): string {
  const lowered = text
    .normalize("NFC")
    .toLowerCase()
    .replace(/(^|\s)tới(?=\s|$|[,.;!?])/gu, "$1 ke tiep ");
  return foldVietnamese(lowered)
    .replace(/[,;!?()]+/g, " ")
    .replace(/\.(?=\s|$)/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

/** A working copy of the text from which recognised pieces are cut out. */
class Cursor {
  constructor(public text: string) {}

  /** Cuts the first match of `re` out of the text and returns it. */
  take(re: RegExp): RegExpExecArray | null {
    const m = re.exec(this.text);
    if (!m) return null;
    this.text = `${this.text.slice(0, m.index)} ${this.text.slice(m.index + m[0].length)}`;
    return m;
  }

  has(re: RegExp): boolean {
    return re.test(this.text);
  }

  /** What is left once filler words are removed. */
  leftover(fillers: RegExp): string {
    return this.text.replace(fillers, " ").replace(/\s+/g, " ").trim();
  }
}

const NB = "(?<![\\d:/.\\-])"; // not glued to a preceding number
const CLOCK_PATTERNS: RegExp[] = [
  // 19:30, 7:05
  new RegExp(`${NB}(\\d{1,2}):(\\d{2})(?![\\d:])`),
  // 19h30, 19g30, 19h, 19 h, 19h30p, 19h30 phut
  new RegExp(`${NB}(\\d{1,2}) ?[hg](?:(\\d{2})(?: ?(?:phut|p))?)?(?![a-z\\d])`),
  // 8 gio, 19 gio 30, 19 gio 30 phut
  new RegExp(`${NB}(\\d{1,2}) ?gio(?: (\\d{1,2})(?![\\d/.\\-])(?: ?(?:phut|p))?)?(?![a-z\\d])`),
  // 7 pm (the period itself is read afterwards)
  new RegExp(`${NB}(\\d{1,2})(?= ?(?:am|pm)(?![a-z]))`),
];
const CLOCK_TAIL = /^ ?(?:(ruoi)|kem (\d{1,2})(?: ?(?:phut|p))?)(?![a-z\d])/;
const PERIOD_RE = /\b(?:buoi )?(sang|trua|chieu|toi|dem|am|pm)\b/;

type Period = "sang" | "trua" | "chieu" | "toi" | "dem" | "am" | "pm";

/** 24-hour hour for an hour said with a period of the day, or a failure. */
function applyPeriod(hour: number, period: Period): number {
  const within = (lo: number, hi: number) => hour >= lo && hour <= hi;
  switch (period) {
    case "am":
      if (within(1, 12)) return hour % 12;
      break;
    case "pm":
      if (within(1, 12)) return (hour % 12) + 12;
      if (within(13, 23)) return hour;
      break;
    case "sang":
      if (within(0, 11)) return hour;
      break;
    case "trua":
      if (within(10, 14)) return hour;
      if (within(1, 2)) return hour + 12;
      break;
    case "chieu":
      if (within(1, 11)) return hour + 12;
      if (within(12, 23)) return hour;
      break;
    case "toi":
      if (hour === 12) throw new ParseFailure("time_ambiguous");
      if (within(4, 11)) return hour + 12;
      if (within(16, 23)) return hour;
      break;
    case "dem":
      if (hour === 12) throw new ParseFailure("time_ambiguous");
      if (within(8, 11)) return hour + 12;
      if (within(20, 23) || within(0, 4)) return hour;
      break;
  }
  throw new ParseFailure("time_impossible");
}

/**
 * Cuts a time of day (and its period word) out of the cursor. Returns null when there is none;
 * fails on an impossible time or on two times.
 */
function takeTime(cursor: Cursor): LocalTime | null {
  let found: { hour: number; minute: number } | null = null;
  for (const re of CLOCK_PATTERNS) {
    const m = re.exec(cursor.text);
    if (!m) continue;
    let hour = Number(m[1]);
    let minute = m[2] === undefined ? 0 : Number(m[2]);
    const end = m.index + m[0].length;
    const tail = CLOCK_TAIL.exec(cursor.text.slice(end));
    let consumedTail = 0;
    if (tail) {
      if (m[2] !== undefined) throw new ParseFailure("time_impossible"); // "7h30 rưỡi"
      consumedTail = tail[0].length;
      if (tail[1]) minute = 30;
      else {
        const before = Number(tail[2]);
        if (before < 1 || before > 59) throw new ParseFailure("time_impossible");
        hour -= 1;
        minute = 60 - before;
        if (hour < 0) throw new ParseFailure("time_impossible");
      }
    }
    cursor.text = `${cursor.text.slice(0, m.index)} ${cursor.text.slice(end + consumedTail)}`;
    found = { hour, minute };
    break;
  }
  if (!found) return null; // a lone period word ("tối mai") is left for the caller
  const periodMatch = cursor.take(PERIOD_RE);
  if (CLOCK_PATTERNS.some((re) => re.test(cursor.text))) throw new ParseFailure("unrecognised");
  if (found.minute > 59 || found.hour > 23) throw new ParseFailure("time_impossible");
  if (periodMatch) {
    found.hour = applyPeriod(found.hour, periodMatch[1] as Period);
    if (cursor.has(PERIOD_RE)) throw new ParseFailure("unrecognised");
  }
  return found;
}

/**
 * Internal, shared with recurrence parsing: cuts a time of day out of already-normalised text.
 * Throws ParseFailure on an impossible or ambiguous time.
 */
export function extractTime(normalised: string): { time: LocalTime | null; rest: string } {
  const cursor = new Cursor(normalised);
  const time = takeTime(cursor);
  return { time, rest: cursor.text.replace(/\s+/g, " ").trim() };
}

// ---------------------------------------------------------------------------------------------
// Weekdays

const WEEKDAY_WORDS: Record<string, number> = {
  "2": 1,
  hai: 1,
  "3": 2,
  ba: 2,
  "4": 3,
  tu: 3,
  "5": 4,
  nam: 4,
  "6": 5,
  sau: 5,
  "7": 6,
  bay: 6,
};

/** "thu 6", "thu sau", "t6", "chu nhat", "cn" → weekday (0 = Sunday); an "ordinal" text → null. */
export const WEEKDAY_RE = /\b(?:thu ?(2|3|4|5|6|7|hai|ba|tu|nam|sau|bay)|(chu ?nhat|cn)|t([2-7]))\b/;
/** "thứ Tám", "thứ 9", "thứ nhất", "thứ 1", "thứ bốn": looks like a weekday but is none. */
export const BAD_WEEKDAY_RE = /\bthu ?(\d+|nhat|mot|tam|chin|muoi|bon)\b/;

export function weekdayFromMatch(m: RegExpExecArray): number {
  if (m[2]) return 0;
  const word = m[1] ?? m[3] ?? "";
  const weekday = WEEKDAY_WORDS[word];
  if (weekday === undefined) throw new ParseFailure("weekday");
  return weekday;
}

// ---------------------------------------------------------------------------------------------
// Dates

type DateSpec =
  | { kind: "absolute"; date: LocalDate }
  | { kind: "yearless"; month: number; day: number }
  | { kind: "relative"; days: number };

const RELATIVE_DAYS: Record<string, number> = {
  "hom nay": 0,
  nay: 0,
  "ngay mai": 1,
  mai: 1,
  "ngay kia": 2,
  "ngay mot": 2,
  mot: 2,
  "hom qua": -1,
  "hom kia": -2,
};

const DATE_PATTERNS: Array<{ re: RegExp; read: (m: RegExpExecArray) => DateSpec }> = [
  {
    // 2026-12-05, 2026-12-05T (the time was already cut out)
    re: /(?<![\d/.-])(\d{4})-(\d{1,2})-(\d{1,2})t?(?![\d/.-])/,
    read: (m) => ({ kind: "absolute", date: { year: +m[1]!, month: +m[2]!, day: +m[3]! } }),
  },
  {
    // 05/12/2026, 5-12-2026, 5.12.26
    re: /(?<![\d/.-])(\d{1,2}) ?[/.-] ?(\d{1,2}) ?[/.-] ?(\d{4}|\d{2})(?![\d/.-])/,
    read: (m) => ({ kind: "absolute", date: { year: fullYear(m[3]!), month: +m[2]!, day: +m[1]! } }),
  },
  {
    // ngày 5 tháng 12 (năm 2026), mùng 5 tháng 12
    re: /\b(?:(?:ngay|mung|mong) )?(\d{1,2}) thang (\d{1,2})(?: nam (\d{4}))?(?![\d/.-])/,
    read: (m) =>
      m[3]
        ? { kind: "absolute", date: { year: +m[3], month: +m[2]!, day: +m[1]! } }
        : { kind: "yearless", month: +m[2]!, day: +m[1]! },
  },
  {
    // 5/12, 5.12, 5-12
    re: /(?<![\d/.-])(\d{1,2}) ?[/.-] ?(\d{1,2})(?![\d/.-])/,
    read: (m) => ({ kind: "yearless", month: +m[2]!, day: +m[1]! }),
  },
  {
    re: /\b(hom nay|ngay mai|ngay kia|ngay mot|hom qua|hom kia|nay|mai|mot)\b/,
    read: (m) => ({ kind: "relative", days: RELATIVE_DAYS[m[1]!]! }),
  },
];

function fullYear(text: string): number {
  return text.length === 2 ? 2000 + Number(text) : Number(text);
}

const WEEK_RE =
  /\b(tuan nay|tuan sau nua|tuan sau|tuan ke tiep|tuan toi|tuan ke|sang tuan(?! (?:sau|nay|toi|ke|truoc)\b)|tuan truoc)\b/;
/** A weekday in a date, with "này" / "tới" after it meaning the same as nothing. */
const DATE_WEEKDAY_RE = new RegExp(`${WEEKDAY_RE.source}(?: (?:nay|ke tiep)\\b)?`);
const WEEK_OFFSETS: Record<string, number> = {
  "tuan nay": 0,
  "tuan sau nua": 2,
  "tuan sau": 1,
  "tuan ke tiep": 1,
  "tuan toi": 1,
  "tuan ke": 1,
  "sang tuan": 1,
  "tuan truoc": -1,
};

const FILLERS = /\b(?:luc|vao|ngay|buoi|hoi|ke tiep)\b|[@\-/]/g;

function mondayIndex(weekday: number): number {
  return (weekday + 6) % 7;
}

/** Error helper: every failure of the parser carries the raw input. */
function invalid(input: string, reason: ParseFailureReason): AppError {
  return new AppError("date_invalid", { input, reason });
}

/**
 * A meeting's start typed by a cadre, as an instant. `now` decides "today", "tuần này", the year of
 * a year-less date and what is in the past. The result is never before `now`.
 */
export function parseMeetingDateTime(text: string, now: Date, zone: string): Date {
  const input = String(text ?? "");
  try {
    return parseOrFail(input, now, zone);
  } catch (error) {
    if (error instanceof ParseFailure) throw invalid(input, error.reason);
    throw error;
  }
}

function parseOrFail(input: string, now: Date, zone: string): Date {
  const cursor = new Cursor(normaliseDateText(input));
  // The week qualifier goes first: "tuan toi" / "sang tuan" must not be read as tối / sáng.
  const weekMatch = cursor.take(WEEK_RE);
  const time = takeTime(cursor);

  if (cursor.has(BAD_WEEKDAY_RE) && !cursor.has(WEEKDAY_RE)) throw new ParseFailure("weekday");
  const weekdayMatch = cursor.take(DATE_WEEKDAY_RE);
  const weekday = weekdayMatch ? weekdayFromMatch(weekdayMatch) : null;
  if (cursor.has(WEEKDAY_RE) || cursor.has(BAD_WEEKDAY_RE)) {
    throw new ParseFailure(cursor.has(WEEKDAY_RE) ? "date_conflict" : "weekday");
  }
  const explicit: DateSpec[] = [];
  for (const { re, read } of DATE_PATTERNS) {
    for (let m = cursor.take(re); m; m = cursor.take(re)) explicit.push(read(m));
  }
  const loosePeriod = time ? null : cursor.take(PERIOD_RE); // "tối mai" without a time

  if (cursor.leftover(FILLERS) !== "") throw new ParseFailure("unrecognised");
  if (explicit.length > 1) throw new ParseFailure("date_conflict");
  if (weekMatch && weekday === null) throw new ParseFailure("unrecognised"); // "tuần sau 19h"
  const hasDate = explicit.length > 0 || weekday !== null;
  if (!time) throw new ParseFailure(hasDate || loosePeriod ? "time_missing" : "unrecognised");
  if (!hasDate) throw new ParseFailure("date_missing");

  const today: LocalDate = toLocal(now, zone);
  const todayNumber = epochDay(today);
  const at = (date: LocalDate): Date => fromLocal({ ...date, ...time }, zone);

  let date: LocalDate;
  const spec = explicit[0];
  if (spec) {
    date = resolveDate(spec, today);
    if (weekday !== null && weekdayOf(date) !== weekday) throw new ParseFailure("weekday_mismatch");
  } else {
    const target = weekday!;
    if (weekMatch) {
      const weeks = WEEK_OFFSETS[weekMatch[1]!]!;
      const monday = todayNumber - mondayIndex(weekdayOf(today));
      date = fromEpochDay(monday + 7 * weeks + mondayIndex(target));
    } else {
      const delta = (target - weekdayOf(today) + 7) % 7;
      date = fromEpochDay(todayNumber + delta);
      if (at(date).getTime() < now.getTime()) date = fromEpochDay(todayNumber + delta + 7);
    }
  }

  const instant = at(date);
  if (instant.getTime() < now.getTime()) {
    throw new AppError("meeting_in_past", {
      input,
      date: formatLocalDate(date),
      time: formatClock(time),
    });
  }
  return instant;
}

function resolveDate(spec: DateSpec, today: LocalDate): LocalDate {
  switch (spec.kind) {
    case "absolute":
      if (!isValidDate(spec.date)) throw new ParseFailure("date_impossible");
      return spec.date;
    case "relative":
      return fromEpochDay(epochDay(today) + spec.days);
    case "yearless":
      return resolveYearless(spec.month, spec.day, today);
  }
}

/**
 * A date typed without a year ("5/12"): this year's if it is today or later; if it passed more
 * than YEARLESS_GRACE_DAYS ago, next year's ("5/1" typed on 20/12/2026 → 05/01/2027); if it passed
 * within the grace period, this year's, which the caller rejects as meeting_in_past (someone
 * typing "18/12" on 20/12 made a mistake rather than planned a meeting a year ahead). A date that
 * is today with a time already passed is also this year's (→ meeting_in_past). 29/2 is accepted
 * only when the chosen year is a leap year.
 */
function resolveYearless(month: number, day: number, today: LocalDate): LocalDate {
  if (month < 1 || month > 12 || day < 1 || day > 31) throw new ParseFailure("date_impossible");
  const thisYear = { year: today.year, month, day };
  const notYetPassed = month > today.month || (month === today.month && day >= today.day);
  let chosen: LocalDate = thisYear;
  if (!notYetPassed) {
    const passedDays = isValidDate(thisYear) ? epochDay(today) - epochDay(thisYear) : Infinity;
    if (passedDays > YEARLESS_GRACE_DAYS) chosen = { year: today.year + 1, month, day };
  }
  if (!isValidDate(chosen)) throw new ParseFailure("date_impossible");
  return chosen;
}

// ---------------------------------------------------------------------------------------------
// Times and durations on their own

/** A time of day on its own: "19:30", "19h30", "7h tối", "lúc 8 giờ sáng". */
export function parseLocalTime(text: string): LocalTime {
  const input = String(text ?? "");
  try {
    const cursor = new Cursor(normaliseDateText(input));
    const time = takeTime(cursor);
    if (cursor.leftover(/\b(?:luc|vao|buoi)\b/g) !== "") throw new ParseFailure("unrecognised");
    if (!time) throw new ParseFailure("time_missing");
    return time;
  } catch (error) {
    if (error instanceof ParseFailure) throw invalid(input, error.reason);
    throw error;
  }
}

/** Longest accepted meeting duration, in minutes. */
export const MAX_DURATION_MINUTES = 24 * 60;

/**
 * A duration in minutes: "2 tiếng", "2 giờ", "2h", "1h30", "1 tiếng 30 phút", "1 tiếng rưỡi",
 * "1,5 tiếng", "90 phút", "90p", "1:30". Between 1 minute and 24 hours; a bare number is rejected
 * (minutes or hours?).
 */
export function parseDuration(text: string): number {
  const input = String(text ?? "");
  const s = foldVietnamese(input)
    .replace(/^(?:khoang|trong) /, "")
    .replace(/[.!]$/, "")
    .trim();
  let minutes: number | null = null;
  const hours =
    /^(\d{1,3}(?:[.,]\d{1,2})?) ?(?:tieng|gio|h|g|hours?|hrs?)(?: ?(ruoi)| ?(\d{1,2}) ?(?:phut|p|'|min)?)?$/.exec(s);
  const onlyMinutes = /^(\d{1,4}) ?(?:phut|p|'|min|mins|minutes?)$/.exec(s);
  const clock = /^(\d{1,2}):(\d{2})$/.exec(s);
  if (hours) {
    const h = Number(hours[1]!.replace(",", "."));
    const isWhole = Number.isInteger(h);
    if (!isWhole && (hours[2] || hours[3])) throw invalid(input, "unrecognised");
    const extra = hours[2] ? 30 : hours[3] ? Number(hours[3]) : 0;
    if (extra > 59) throw invalid(input, "time_impossible");
    minutes = Math.round(h * 60) + extra;
  } else if (onlyMinutes) {
    minutes = Number(onlyMinutes[1]);
  } else if (clock) {
    if (Number(clock[2]) > 59) throw invalid(input, "time_impossible");
    minutes = Number(clock[1]) * 60 + Number(clock[2]);
  }
  if (minutes === null) throw invalid(input, "unrecognised");
  if (minutes < 1 || minutes > MAX_DURATION_MINUTES) throw invalid(input, "duration_range");
  return minutes;
}
