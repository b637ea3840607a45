/**
 * What a cadre types for a meeting's time, read the same way in chat and in the web workplace:
 * words of repetition ("hằng tháng", "mỗi", "cách tuần", "đầu/cuối tháng") make it a series read by
 * `parseRecurrence`; anything else is one meeting read by `parseMeetingDateTime`. Plus the next
 * dates of a series, for the preview shown before it is created. No database.
 */
import { isAppError } from "../../lib/app-error.ts";
import { foldVietnamese } from "../../lib/vietnamese.ts";
import { localDateKey } from "../../lib/zoned-time.ts";
import { parseMeetingDateTime, type LocalTime } from "./parse-datetime.ts";
import {
  assertRecurrenceFires,
  nextOccurrence,
  parseRecurrence,
  type RecurrenceRule,
  type SeriesSpec,
} from "./recurrence.ts";

export type MeetingWhen =
  | { kind: "once"; startsAt: Date }
  /** `time` is absent when the cadre did not type one (a series needs it: ask again). */
  | { kind: "series"; rule: RecurrenceRule; time?: LocalTime };

const repeatWords = /\b(hang|hang thang|moi|cach tuan|cuoi thang|dau thang)\b/;

/** Whether the text describes a repeating meeting rather than one date. */
export function looksRepeating(text: string): boolean {
  return repeatWords.test(foldVietnamese(text));
}

function series(text: string): MeetingWhen {
  const parsed = parseRecurrence(text);
  return parsed.time ? { kind: "series", rule: parsed.rule, time: parsed.time } : { kind: "series", rule: parsed.rule };
}

/**
 * Reads a meeting's time. Text without words of repetition that is not one date but is a rule
 * ("thứ Bảy tuần đầu tiên của tháng 8h") is a series too. Throws recurrence_invalid (words of
 * repetition, but no rule) or date_invalid (neither a date nor a rule), as the parsers do.
 */
export function parseMeetingWhen(text: string, now: Date, timeZone: string): MeetingWhen {
  if (looksRepeating(text)) return series(text);
  try {
    return { kind: "once", startsAt: parseMeetingDateTime(text, now, timeZone) };
  } catch (error) {
    if (!isAppError(error, "date_invalid")) throw error;
    try {
      return series(text);
    } catch {
      throw error;
    }
  }
}

/**
 * The first `count` starts of a series after `now`, as `createSeries` would create them (startsOn
 * defaults to today). Throws recurrence_invalid / recurrence_never_fires like `createSeries`.
 */
export function nextSeriesDates(
  input: { rule: RecurrenceRule; time: LocalTime; startsOn?: string; endsOn?: string },
  now: Date,
  timeZone: string,
  count = 5,
): Date[] {
  const spec: SeriesSpec = {
    rule: input.rule,
    time: input.time,
    startsOn: input.startsOn ?? localDateKey(now, timeZone),
  };
  if (input.endsOn !== undefined) spec.endsOn = input.endsOn;
  assertRecurrenceFires(spec, timeZone);
  const out: Date[] = [];
  let after = now;
  while (out.length < count) {
    const next = nextOccurrence(spec, after, timeZone);
    if (!next) break;
    out.push(next.startsAt);
    after = next.startsAt;
  }
  return out;
}
