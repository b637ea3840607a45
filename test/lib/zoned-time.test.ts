import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { localesDir } from "../../src/lib/i18n.ts";
import {
  addLocalDays,
  daysInMonth,
  formatDate,
  formatMeetingTime,
  formatShortDate,
  fromLocal,
  localDateKey,
  toLocal,
  weekdayName,
  zoneOffsetMinutes,
} from "../../src/lib/zoned-time.ts";

const HCM = "Asia/Ho_Chi_Minh";
const BERLIN = "Europe/Berlin";

describe("test environment", () => {
  it("should run in a process zone that is neither UTC nor the app zone", () => {
    // Sao Paulo (UTC-3, no DST since 2019): 12:30Z is 09:30 for the process, 19:30 in Vietnam.
    expect(new Date("2026-12-05T12:30:00Z").getHours()).toBe(9);
  });
});

describe("toLocal", () => {
  it("should give the Ho Chi Minh wall clock and weekday of an instant", () => {
    expect(toLocal(new Date("2026-12-05T12:30:00Z"), HCM)).toEqual({
      year: 2026,
      month: 12,
      day: 5,
      hour: 19,
      minute: 30,
      weekday: 6, // 05/12/2026 is a Saturday
    });
  });

  it("should move to the next local day and year after 17:00 UTC", () => {
    expect(toLocal(new Date("2026-12-31T17:30:00Z"), HCM)).toEqual({
      year: 2027,
      month: 1,
      day: 1,
      hour: 0,
      minute: 30,
      weekday: 5,
    });
  });

  it("should follow daylight saving time in Berlin", () => {
    expect(toLocal(new Date("2026-03-29T00:30:00Z"), BERLIN)).toMatchObject({ day: 29, hour: 1, minute: 30 });
    expect(toLocal(new Date("2026-03-29T01:30:00Z"), BERLIN)).toMatchObject({ day: 29, hour: 3, minute: 30 });
    expect(toLocal(new Date("2026-10-25T00:30:00Z"), BERLIN)).toMatchObject({ day: 25, hour: 2, minute: 30 });
    expect(toLocal(new Date("2026-10-25T01:30:00Z"), BERLIN)).toMatchObject({ day: 25, hour: 2, minute: 30 });
  });

  it("should agree with Intl for every hour of a year in a DST zone", () => {
    const intl = new Intl.DateTimeFormat("en-US", {
      timeZone: "America/New_York",
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
    });
    for (let ms = Date.UTC(2026, 0, 1); ms < Date.UTC(2027, 0, 1); ms += 3_600_000 + 60_000 * 7) {
      const l = toLocal(new Date(ms), "America/New_York");
      expect(
        `${l.month}/${l.day}/${l.year}, ${String(l.hour).padStart(2, "0")}:${String(l.minute).padStart(2, "0")}`,
      ).toBe(intl.format(new Date(ms)));
    }
  });

  it("should report the zone offset in minutes", () => {
    expect(zoneOffsetMinutes(new Date("2026-12-05T12:30:00Z"), HCM)).toBe(420);
    expect(zoneOffsetMinutes(new Date("2026-01-15T12:00:00Z"), BERLIN)).toBe(60);
    expect(zoneOffsetMinutes(new Date("2026-07-15T12:00:00Z"), BERLIN)).toBe(120);
  });
});

describe("fromLocal", () => {
  it("should turn 19:30 on 05/12/2026 in Ho Chi Minh into 12:30 UTC", () => {
    expect(fromLocal({ year: 2026, month: 12, day: 5, hour: 19, minute: 30 }, HCM)).toEqual(
      new Date("2026-12-05T12:30:00Z"),
    );
  });

  it("should handle local midnight on New Year's day", () => {
    expect(fromLocal({ year: 2027, month: 1, day: 1, hour: 0, minute: 0 }, HCM)).toEqual(
      new Date("2026-12-31T17:00:00Z"),
    );
  });

  it("should use winter and summer offsets in Berlin", () => {
    expect(fromLocal({ year: 2026, month: 1, day: 15, hour: 19, minute: 0 }, BERLIN)).toEqual(
      new Date("2026-01-15T18:00:00Z"),
    );
    expect(fromLocal({ year: 2026, month: 7, day: 15, hour: 19, minute: 0 }, BERLIN)).toEqual(
      new Date("2026-07-15T17:00:00Z"),
    );
  });

  it("should pick the later valid instant in a DST gap", () => {
    // 02:30 does not exist on 29/03/2026 in Berlin: it becomes 03:30 CEST.
    expect(fromLocal({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, BERLIN)).toEqual(
      new Date("2026-03-29T01:30:00Z"),
    );
    // New York, 08/03/2026 02:30 → 03:30 EDT.
    expect(fromLocal({ year: 2026, month: 3, day: 8, hour: 2, minute: 30 }, "America/New_York")).toEqual(
      new Date("2026-03-08T07:30:00Z"),
    );
    // Lord Howe moves by 30 minutes: 02:15 on 04/10/2026 → 02:45 (+11:00).
    expect(fromLocal({ year: 2026, month: 10, day: 4, hour: 2, minute: 15 }, "Australia/Lord_Howe")).toEqual(
      new Date("2026-10-03T15:45:00Z"),
    );
  });

  it("should pick the earlier instant in a DST overlap", () => {
    expect(fromLocal({ year: 2026, month: 10, day: 25, hour: 2, minute: 30 }, BERLIN)).toEqual(
      new Date("2026-10-25T00:30:00Z"),
    );
    expect(fromLocal({ year: 2026, month: 11, day: 1, hour: 1, minute: 30 }, "America/New_York")).toEqual(
      new Date("2026-11-01T05:30:00Z"),
    );
  });

  it("should invert toLocal for every hour of a year in Ho Chi Minh", () => {
    for (let ms = Date.UTC(2026, 0, 1); ms < Date.UTC(2027, 0, 1); ms += 3_600_000) {
      expect(fromLocal(toLocal(new Date(ms), HCM), HCM).getTime()).toBe(ms);
    }
  });

  it("should reject a non-integer field", () => {
    expect(() => fromLocal({ year: 2026, month: 12, day: 5.5, hour: 19, minute: 30 }, HCM)).toThrow(RangeError);
  });
});

describe("localDateKey", () => {
  it("should give the local calendar date, not the UTC or process one", () => {
    expect(localDateKey(new Date("2026-12-05T16:59:00Z"), HCM)).toBe("2026-12-05");
    expect(localDateKey(new Date("2026-12-05T17:00:00Z"), HCM)).toBe("2026-12-06");
    expect(localDateKey(new Date("2026-12-05T01:00:00Z"), "America/Sao_Paulo")).toBe("2026-12-04");
  });
});

describe("addLocalDays", () => {
  it("should cross month and year ends", () => {
    expect(addLocalDays({ year: 2026, month: 12, day: 31 }, 1)).toEqual({ year: 2027, month: 1, day: 1 });
    expect(addLocalDays({ year: 2027, month: 3, day: 1 }, -1)).toEqual({ year: 2027, month: 2, day: 28 });
    expect(addLocalDays({ year: 2028, month: 2, day: 28 }, 1)).toEqual({ year: 2028, month: 2, day: 29 });
    expect(addLocalDays({ year: 2026, month: 12, day: 5 }, 365)).toEqual({ year: 2027, month: 12, day: 5 });
    expect(addLocalDays({ year: 2026, month: 12, day: 5 }, 0)).toEqual({ year: 2026, month: 12, day: 5 });
  });
});

describe("daysInMonth", () => {
  it("should know leap years and short months", () => {
    expect(daysInMonth(2024, 2)).toBe(29);
    expect(daysInMonth(2026, 2)).toBe(28);
    expect(daysInMonth(2000, 2)).toBe(29);
    expect(daysInMonth(2100, 2)).toBe(28);
    expect(daysInMonth(2026, 4)).toBe(30);
    expect(daysInMonth(2026, 12)).toBe(31);
  });
});

describe("formatMeetingTime", () => {
  it("should format in Vietnamese with the real weekday of 05/12/2026 (a Saturday)", () => {
    expect(formatMeetingTime(new Date("2026-12-05T12:30:00Z"), HCM, "vi")).toBe("19:30 thứ Bảy, 05/12/2026");
  });

  it("should format in English keeping dd/mm/yyyy", () => {
    expect(formatMeetingTime(new Date("2026-12-05T12:30:00Z"), HCM, "en")).toBe("19:30 Saturday, 05/12/2026");
  });

  it("should name Sunday and Friday", () => {
    expect(formatMeetingTime(new Date("2026-12-06T01:00:00Z"), HCM, "vi")).toBe("08:00 Chủ nhật, 06/12/2026");
    expect(formatMeetingTime(new Date("2026-12-04T12:30:00Z"), HCM, "vi")).toBe("19:30 thứ Sáu, 04/12/2026");
  });

  it("should show the wall clock of the given zone", () => {
    expect(formatMeetingTime(new Date("2026-12-05T12:30:00Z"), BERLIN, "vi")).toBe("13:30 thứ Bảy, 05/12/2026");
  });
});

describe("formatShortDate", () => {
  it("should format without the year", () => {
    expect(formatShortDate(new Date("2026-12-05T12:30:00Z"), HCM, "vi")).toBe("19:30 thứ Bảy 05/12");
    expect(formatShortDate(new Date("2026-12-05T12:30:00Z"), HCM, "en")).toBe("19:30 Saturday 05/12");
  });
});

describe("formatDate", () => {
  it("should give the local date as dd/mm/yyyy", () => {
    expect(formatDate(new Date("2026-12-05T12:30:00Z"), HCM)).toBe("05/12/2026");
    expect(formatDate(new Date("2026-12-05T17:30:00Z"), HCM)).toBe("06/12/2026");
  });
});

describe("weekdayName", () => {
  it("should name every weekday in both languages", () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((d) => weekdayName(d, "vi"))).toEqual([
      "Chủ nhật",
      "thứ Hai",
      "thứ Ba",
      "thứ Tư",
      "thứ Năm",
      "thứ Sáu",
      "thứ Bảy",
    ]);
    expect(weekdayName(0, "en")).toBe("Sunday");
    expect(weekdayName(6, "en")).toBe("Saturday");
  });
});

describe("locales/time.json", () => {
  function flatten(value: unknown, prefix = "", into = new Map<string, string>()): Map<string, string> {
    if (typeof value === "string") into.set(prefix, value);
    else for (const [k, v] of Object.entries(value as object)) flatten(v, prefix ? `${prefix}.${k}` : k, into);
    return into;
  }
  const load = (lang: string) =>
    flatten(JSON.parse(readFileSync(path.join(localesDir, lang, "time.json"), "utf8")) as unknown);
  const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

  it("should have the same keys and placeholders in vi and en", () => {
    const vi = load("vi");
    const en = load("en");
    expect([...en.keys()].sort()).toEqual([...vi.keys()].sort());
    for (const [key, text] of vi) expect(placeholders(en.get(key)!), key).toEqual(placeholders(text));
  });
});
