/**
 * Wall-clock arithmetic in an IANA time zone, without a date library and without ever reading the
 * process time zone (only `Date.UTC`, `getUTC*` and `Intl.DateTimeFormat` with an explicit
 * `timeZone`). The app zone is always a parameter ("Asia/Ho_Chi_Minh" in production, but any zone
 * works, including ones with daylight saving time).
 *
 * Local dates are plain `{ year, month, day }` records (month 1–12) and are handled as "calendar
 * days" counted from 1970-01-01 (`epochDay`), which makes day arithmetic exact and zone-free.
 */
import { translator, type Locale } from "./i18n.ts";

export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

export interface LocalDateTime extends LocalDate {
  hour: number;
  minute: number;
}

export const DEFAULT_ZONE = "Asia/Ho_Chi_Minh";

const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** One cached formatter per zone; `format()` is about three times faster than `formatToParts()`. */
function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone, // throws RangeError for an unknown zone, which is a programming error
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
    });
    formatters.set(zone, f);
  }
  return f;
}

// en-US with the options above: "12/5/2026, 19:30". Years before 1 AD are not supported.
const FORMAT_RE = /^(\d{1,2})\/(\d{1,2})\/(\d{1,6}),? (\d{1,2}):(\d{2})$/;

/** Milliseconds since the epoch of a wall-clock reading taken as if it were UTC (years 0–99 kept). */
function wallMs(year: number, month: number, day: number, hour = 0, minute = 0): number {
  if (year >= 100) return Date.UTC(year, month - 1, day, hour, minute);
  const d = new Date(Date.UTC(2000, month - 1, day, hour, minute));
  d.setUTCFullYear(year, month - 1, day);
  return d.getTime();
}

/** The calendar day number (days since 1970-01-01) of a local date. */
export function epochDay(date: LocalDate): number {
  return Math.floor(wallMs(date.year, date.month, date.day) / MS_PER_DAY);
}

/** The local date of a calendar day number. */
export function fromEpochDay(dayNumber: number): LocalDate {
  const d = new Date(dayNumber * MS_PER_DAY);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** Day of the week of a local date, 0 = Sunday … 6 = Saturday. */
export function weekdayOf(date: LocalDate): number {
  return (((epochDay(date) + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
}

/** The zone's offset at an instant straight from Intl, in ms (minute precision). Slow: ~1 µs. */
function intlOffsetMs(ms: number, zone: string): number {
  const flooredMs = Math.floor(ms / MS_PER_MINUTE) * MS_PER_MINUTE;
  const text = formatterFor(zone).format(new Date(flooredMs));
  const m = FORMAT_RE.exec(text);
  if (!m) throw new Error(`zoned-time: unexpected Intl output ${JSON.stringify(text)}`);
  const wall = wallMs(Number(m[3]), Number(m[1]), Number(m[2]), Number(m[4]) % 24, Number(m[5]));
  return wall - flooredMs;
}

/**
 * The offsets of one zone during one UTC year: `offsets[i]` applies from `starts[i]` (inclusive)
 * to the next start. Built once per zone and year from daily Intl samples, each change located to
 * the minute by bisection (so two offset changes less than a day apart would be missed; no real
 * zone has them). Makes every later conversion pure arithmetic, which keeps expanding thousands of
 * series cheap.
 */
interface OffsetTable {
  zone: string;
  /** [start, end): the UTC year covered. */
  start: number;
  end: number;
  starts: number[];
  offsets: number[];
}

const offsetTables = new Map<string, Map<number, OffsetTable>>();
let lastTable: OffsetTable | null = null;

function offsetTable(zone: string, ms: number): OffsetTable {
  if (lastTable && lastTable.zone === zone && ms >= lastTable.start && ms < lastTable.end) return lastTable;
  const year = new Date(ms).getUTCFullYear();
  let byYear = offsetTables.get(zone);
  if (!byYear) offsetTables.set(zone, (byYear = new Map()));
  let table = byYear.get(year);
  if (!table) byYear.set(year, (table = buildOffsetTable(zone, year)));
  lastTable = table;
  return table;
}

function buildOffsetTable(zone: string, year: number): OffsetTable {
  const start = wallMs(year, 1, 1);
  const end = wallMs(year + 1, 1, 1);
  let previousMs = start;
  let previous = intlOffsetMs(start, zone);
  const table: OffsetTable = { zone, start, end, starts: [start], offsets: [previous] };
  while (previousMs < end) {
    const sampleMs = Math.min(previousMs + MS_PER_DAY, end);
    const offset = intlOffsetMs(sampleMs, zone);
    if (offset !== previous) {
      let lo = previousMs; // still the previous offset
      let hi = sampleMs; // already the new one
      while (hi - lo > MS_PER_MINUTE) {
        const mid = lo + Math.floor((hi - lo) / 2 / MS_PER_MINUTE) * MS_PER_MINUTE;
        if (intlOffsetMs(mid, zone) === previous) lo = mid;
        else hi = mid;
      }
      table.starts.push(hi);
      table.offsets.push(offset);
      previous = offset;
    }
    previousMs = sampleMs;
  }
  return table;
}

/** The zone's offset from UTC at an instant, in ms. */
function offsetMs(ms: number, zone: string): number {
  const { starts, offsets } = offsetTable(zone, ms);
  let i = starts.length - 1;
  while (i > 0 && starts[i]! > ms) i -= 1;
  return offsets[i]!;
}

/** The wall-clock reading of an instant in a zone (seconds are dropped). */
export function toLocal(instant: Date, zone: string): LocalDateTime & { weekday: number } {
  const ms = instant.getTime();
  if (!Number.isFinite(ms)) throw new RangeError("toLocal: invalid Date");
  const wall = new Date(Math.floor(ms / MS_PER_MINUTE) * MS_PER_MINUTE + offsetMs(ms, zone));
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    weekday: wall.getUTCDay(),
  };
}

/** The zone's offset from UTC at an instant, in whole minutes (Ho Chi Minh: +420). */
export function zoneOffsetMinutes(instant: Date | number, zone: string): number {
  const ms = typeof instant === "number" ? instant : instant.getTime();
  return Math.round(offsetMs(ms, zone) / MS_PER_MINUTE);
}

/**
 * The instant at which the zone's clocks show `local`.
 * - In a DST gap (the reading never happens, e.g. 02:30 on the spring-forward night in Berlin) the
 *   reading is taken with the offset in force before the gap, which lands after the gap, shifted
 *   forward by the gap's length: 02:30 → 03:30 CEST (the "later valid instant").
 * - In an overlap (the reading happens twice, 02:30 on the fall-back night) the earlier instant,
 *   still in summer time, is returned.
 * Assumes at most one offset change within ±1 day of the reading (true of every real zone).
 */
export function fromLocal(local: LocalDateTime, zone: string): Date {
  const { year, month, day, hour, minute } = local;
  if (![year, month, day, hour, minute].every(Number.isInteger)) {
    throw new RangeError(`fromLocal: not a local date-time ${JSON.stringify(local)}`);
  }
  return new Date(instantOfWall(wallMs(year, month, day, hour, minute), zone));
}

/**
 * `fromLocal` for a calendar day number and a time of day, without intermediate objects (used
 * when expanding many occurrences). Returns epoch milliseconds.
 */
export function instantOfDayTime(dayNumber: number, hour: number, minute: number, zone: string): number {
  return instantOfWall(dayNumber * MS_PER_DAY + (hour * 60 + minute) * MS_PER_MINUTE, zone);
}

/** The instant (ms) at which the zone's clocks read `wall` (a wall-clock reading taken as UTC). */
function instantOfWall(wall: number, zone: string): number {
  const before = offsetMs(wall - MS_PER_DAY, zone);
  const after = offsetMs(wall + MS_PER_DAY, zone);
  if (before === after) return wall - before;
  const early = wall - before; // candidate using the offset in force before the change
  const late = wall - after; // candidate using the offset in force after the change
  const earlyValid = offsetMs(early, zone) === before;
  const lateValid = offsetMs(late, zone) === after;
  if (earlyValid && lateValid) return Math.min(early, late); // overlap: the earlier
  if (earlyValid) return early;
  if (lateValid) return late;
  return early; // gap: the pre-change offset lands after the gap
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

function pad4(n: number): string {
  return String(n).padStart(4, "0");
}

/** "2026-12-05" for a local date. */
export function dateKey(date: LocalDate): string {
  return `${pad4(date.year)}-${pad2(date.month)}-${pad2(date.day)}`;
}

/** Reads "yyyy-mm-dd" (strictly; the date must exist). Returns null otherwise. */
export function parseDateKey(key: string): LocalDate | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(key);
  if (!m) return null;
  const date = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  return isValidDate(date) ? date : null;
}

/** Whether a local date exists (31/02 does not). */
export function isValidDate(date: LocalDate): boolean {
  return (
    Number.isInteger(date.year) &&
    Number.isInteger(date.month) &&
    Number.isInteger(date.day) &&
    date.month >= 1 &&
    date.month <= 12 &&
    date.day >= 1 &&
    date.day <= daysInMonth(date.year, date.month)
  );
}

/** The local calendar date of an instant, "2026-12-05". */
export function localDateKey(instant: Date, zone: string): string {
  return dateKey(toLocal(instant, zone));
}

/** A local date moved by whole calendar days (negative goes back). */
export function addLocalDays(date: LocalDate, days: number): LocalDate {
  return fromEpochDay(epochDay(date) + days);
}

/** Days in a month (month 1–12), leap years included. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** "19:30". */
export function formatClock(time: { hour: number; minute: number }): string {
  return `${pad2(time.hour)}:${pad2(time.minute)}`;
}

/** "05/12/2026" for a local date. */
export function formatLocalDate(date: LocalDate): string {
  return `${pad2(date.day)}/${pad2(date.month)}/${pad4(date.year)}`;
}

/** The weekday's name in a language: vi "thứ Sáu" / "Chủ nhật", en "Friday". */
export function weekdayName(weekday: number, locale: Locale | string): string {
  return translator(locale)(`time.weekday.${weekday}`);
}

/** "19:30 thứ Bảy, 05/12/2026" (vi) / "19:30 Saturday, 05/12/2026" (en): dd/mm/yyyy in both. */
export function formatMeetingTime(instant: Date, zone: string, locale: Locale | string): string {
  const l = toLocal(instant, zone);
  return translator(locale)("time.format.meeting", {
    time: formatClock(l),
    weekday: weekdayName(l.weekday, locale),
    date: formatLocalDate(l),
  });
}

/** "19:30 thứ Bảy 05/12" (vi) / "19:30 Saturday 05/12" (en). */
export function formatShortDate(instant: Date, zone: string, locale: Locale | string): string {
  const l = toLocal(instant, zone);
  return translator(locale)("time.format.short", {
    time: formatClock(l),
    weekday: weekdayName(l.weekday, locale),
    date: `${pad2(l.day)}/${pad2(l.month)}`,
  });
}

/** "05/12/2026": the instant's local date. */
export function formatDate(instant: Date, zone: string): string {
  return formatLocalDate(toLocal(instant, zone));
}
