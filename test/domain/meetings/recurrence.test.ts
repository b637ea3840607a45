import { describe, expect, it } from "vitest";
import { AppError } from "../../../src/lib/app-error.ts";
import {
  assertRecurrenceFires,
  describeRecurrence,
  expandOccurrences,
  nextOccurrence,
  parseRecurrence,
  type Occurrence,
  type RecurrenceRule,
  type SeriesSpec,
} from "../../../src/domain/meetings/recurrence.ts";

const HCM = "Asia/Ho_Chi_Minh";
const BERLIN = "Europe/Berlin";
const T1930 = { hour: 19, minute: 30 };

function failure(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error("expected an AppError");
}

const keys = (list: Occurrence[]) => list.map((o) => o.key);
const starts = (list: Occurrence[]) => list.map((o) => o.startsAt.toISOString());
const expand = (spec: SeriesSpec, from: string, to: string, zone = HCM) =>
  expandOccurrences(spec, new Date(from), new Date(to), zone);

describe("parseRecurrence", () => {
  it.each<[string, RecurrenceRule, { hour: number; minute: number } | undefined]>([
    ["ngày 5 hằng tháng lúc 19:30", { kind: "monthly_day", day: 5 }, T1930],
    ["ngay 5 hang thang 19h30", { kind: "monthly_day", day: 5 }, T1930],
    ["mùng 5 hàng tháng", { kind: "monthly_day", day: 5 }, undefined],
    ["hằng tháng vào ngày 15, 7h tối", { kind: "monthly_day", day: 15 }, { hour: 19, minute: 0 }],
    ["ngày 31 hằng tháng", { kind: "monthly_day", day: 31 }, undefined],
    ["thứ Bảy tuần đầu tiên của tháng", { kind: "monthly_weekday", weekday: 6, nth: 1 }, undefined],
    ["thứ 7 đầu tháng", { kind: "monthly_weekday", weekday: 6, nth: 1 }, undefined],
    ["thứ 7 tuần thứ hai của tháng 8h", { kind: "monthly_weekday", weekday: 6, nth: 2 }, { hour: 8, minute: 0 }],
    ["thứ Sáu cuối cùng của tháng", { kind: "monthly_weekday", weekday: 5, nth: -1 }, undefined],
    ["thứ 6 cuối tháng", { kind: "monthly_weekday", weekday: 5, nth: -1 }, undefined],
    ["thứ Hai hằng tuần", { kind: "weekly", weekday: 1 }, undefined],
    ["thứ 2 hàng tuần 7h", { kind: "weekly", weekday: 1 }, { hour: 7, minute: 0 }],
    ["mỗi thứ Tư lúc 19h30", { kind: "weekly", weekday: 3 }, T1930],
    ["chủ nhật cách tuần", { kind: "weekly", weekday: 0, interval: 2 }, undefined],
    ["CN cách tuần 8h sáng", { kind: "weekly", weekday: 0, interval: 2 }, { hour: 8, minute: 0 }],
    ["thứ Năm, 3 tuần một lần", { kind: "weekly", weekday: 4, interval: 3 }, undefined],
    ["ngày cuối tháng", { kind: "monthly_last_day" }, undefined],
    ["cuối tháng", { kind: "monthly_last_day" }, undefined],
    ["NGÀY CUỐI CÙNG CỦA THÁNG LÚC 19:30", { kind: "monthly_last_day" }, T1930],
    ["một lần vào ngày 05/12/2026", { kind: "once", date: "2026-12-05" }, undefined],
  ])("should read %j", (text, rule, time) => {
    expect(parseRecurrence(text)).toEqual(time ? { rule, time } : { rule });
  });

  it.each([
    ["thứ Tám hằng tuần", "weekday"],
    ["thứ 9 hàng tuần", "weekday"],
    ["thu tam hang tuan", "weekday"],
    ["ngày 32 hằng tháng", "day"],
    ["ngày 0 hằng tháng", "day"],
    ["thứ 7 thứ năm của tháng", "ordinal"],
    ["ngày 5 hằng tháng lúc 25:00", "time"],
    ["thứ Hai", "unrecognised"],
    ["ngày 5", "unrecognised"],
    ["họp khi nào rảnh", "unrecognised"],
    ["", "unrecognised"],
  ])("should reject %j as recurrence_invalid (%s)", (text, reason) => {
    const error = failure(() => parseRecurrence(text));
    expect(error.code).toBe("recurrence_invalid");
    expect(error.params).toEqual({ input: text, reason });
  });

  it.each<[RecurrenceRule, { hour: number; minute: number } | undefined]>([
    [{ kind: "monthly_day", day: 5 }, T1930],
    [{ kind: "monthly_last_day" }, T1930],
    [
      { kind: "monthly_weekday", weekday: 6, nth: 1 },
      { hour: 8, minute: 0 },
    ],
    [{ kind: "monthly_weekday", weekday: 2, nth: 3 }, undefined],
    [{ kind: "monthly_weekday", weekday: 5, nth: -1 }, T1930],
    [
      { kind: "weekly", weekday: 1 },
      { hour: 7, minute: 5 },
    ],
    [{ kind: "weekly", weekday: 0, interval: 2 }, T1930],
    [{ kind: "weekly", weekday: 4, interval: 3 }, T1930],
    [{ kind: "once", date: "2026-12-05" }, T1930],
  ])("should read back its own Vietnamese description of %j", (rule, time) => {
    const text = describeRecurrence(rule, time, "vi");
    expect(parseRecurrence(text)).toEqual(time ? { rule, time } : { rule });
  });
});

describe("expandOccurrences", () => {
  it("should give day 5 of each month at 19:30 in Ho Chi Minh", () => {
    const spec: SeriesSpec = { rule: { kind: "monthly_day", day: 5 }, time: T1930, startsOn: "2026-12-01" };
    const list = expand(spec, "2026-11-01T00:00:00Z", "2027-03-01T00:00:00Z");
    expect(starts(list)).toEqual(["2026-12-05T12:30:00.000Z", "2027-01-05T12:30:00.000Z", "2027-02-05T12:30:00.000Z"]);
    expect(keys(list)).toEqual(["2026-12-05", "2027-01-05", "2027-02-05"]);
    expect(list.every((o) => !o.moved)).toBe(true);
  });

  it("should put day 31, 30 and 29 on the last day of February in non-leap and leap years", () => {
    const at = (day: number, from: string, to: string) =>
      keys(expand({ rule: { kind: "monthly_day", day }, time: T1930, startsOn: "2026-01-01" }, from, to));
    expect(at(31, "2027-01-01T00:00:00Z", "2027-05-01T00:00:00Z")).toEqual([
      "2027-01-31",
      "2027-02-28",
      "2027-03-31",
      "2027-04-30",
    ]);
    expect(at(31, "2028-01-01T00:00:00Z", "2028-05-01T00:00:00Z")).toEqual([
      "2028-01-31",
      "2028-02-29",
      "2028-03-31",
      "2028-04-30",
    ]);
    expect(at(30, "2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z")).toEqual(["2027-02-28"]);
    expect(at(29, "2027-02-01T00:00:00Z", "2027-04-01T00:00:00Z")).toEqual(["2027-02-28", "2027-03-29"]);
    expect(at(29, "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z")).toEqual(["2028-02-29"]);
  });

  it("should give the last day of each month", () => {
    const spec: SeriesSpec = { rule: { kind: "monthly_last_day" }, time: T1930, startsOn: "2027-01-01" };
    expect(keys(expand(spec, "2027-01-01T00:00:00Z", "2027-05-01T00:00:00Z"))).toEqual([
      "2027-01-31",
      "2027-02-28",
      "2027-03-31",
      "2027-04-30",
    ]);
    expect(keys(expand(spec, "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z"))).toEqual(["2028-02-29"]);
    expect(starts(expand(spec, "2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z"))).toEqual(["2027-02-28T12:30:00.000Z"]);
  });

  it("should give the first Saturday of several months", () => {
    const spec: SeriesSpec = {
      rule: { kind: "monthly_weekday", weekday: 6, nth: 1 },
      time: { hour: 8, minute: 0 },
      startsOn: "2026-12-01",
    };
    const list = expand(spec, "2026-12-01T00:00:00Z", "2027-06-01T00:00:00Z");
    expect(keys(list)).toEqual(["2026-12-05", "2027-01-02", "2027-02-06", "2027-03-06", "2027-04-03", "2027-05-01"]);
    expect(list[0]!.startsAt).toEqual(new Date("2026-12-05T01:00:00Z"));
  });

  it("should give the second Tuesday and the last Friday of months", () => {
    const second: SeriesSpec = {
      rule: { kind: "monthly_weekday", weekday: 2, nth: 2 },
      time: T1930,
      startsOn: "2026-12-01",
    };
    expect(keys(expand(second, "2026-12-01T00:00:00Z", "2027-03-01T00:00:00Z"))).toEqual([
      "2026-12-08",
      "2027-01-12",
      "2027-02-09",
    ]);
    const last: SeriesSpec = {
      rule: { kind: "monthly_weekday", weekday: 5, nth: -1 },
      time: T1930,
      startsOn: "2026-12-01",
    };
    expect(keys(expand(last, "2026-12-01T00:00:00Z", "2027-03-01T00:00:00Z"))).toEqual([
      "2026-12-25",
      "2027-01-29",
      "2027-02-26",
    ]);
  });

  it("should apply skip and move exceptions to a weekly series", () => {
    const spec: SeriesSpec = {
      rule: { kind: "weekly", weekday: 1 },
      time: { hour: 19, minute: 0 },
      startsOn: "2026-11-30",
      exceptions: { skip: ["2026-12-14"], move: { "2026-12-21": "2026-12-23T19:30" } },
    };
    const list = expand(spec, "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z");
    expect(list).toEqual([
      { key: "2026-12-07", startsAt: new Date("2026-12-07T12:00:00Z"), moved: false },
      { key: "2026-12-21", startsAt: new Date("2026-12-23T12:30:00Z"), moved: true },
      { key: "2026-12-28", startsAt: new Date("2026-12-28T12:00:00Z"), moved: false },
    ]);
  });

  it("should bring in an occurrence moved into the window and drop one moved out of it", () => {
    const spec: SeriesSpec = {
      rule: { kind: "weekly", weekday: 1 },
      time: { hour: 19, minute: 0 },
      startsOn: "2026-11-30",
      exceptions: { move: { "2027-01-04": "2026-12-31T08:00", "2026-12-28": "2027-01-02T08:00" } },
    };
    const list = expand(spec, "2026-12-20T00:00:00Z", "2027-01-01T00:00:00Z");
    expect(list).toEqual([
      { key: "2026-12-21", startsAt: new Date("2026-12-21T12:00:00Z"), moved: false },
      { key: "2027-01-04", startsAt: new Date("2026-12-31T01:00:00Z"), moved: true },
    ]);
  });

  it("should let skip win over move and ignore exceptions for dates that are no occurrence", () => {
    const spec: SeriesSpec = {
      rule: { kind: "weekly", weekday: 1 },
      time: { hour: 19, minute: 0 },
      startsOn: "2026-11-30",
      exceptions: {
        skip: ["2026-12-07", "2026-12-08"],
        move: { "2026-12-07": "2026-12-09T19:00", "2026-12-15": "2026-12-16T19:00" },
      },
    };
    expect(keys(expand(spec, "2026-12-01T00:00:00Z", "2026-12-22T00:00:00Z"))).toEqual(["2026-12-14", "2026-12-21"]);
  });

  it("should repeat every other week from the first such weekday on or after startsOn", () => {
    const spec: SeriesSpec = { rule: { kind: "weekly", weekday: 0, interval: 2 }, time: T1930, startsOn: "2026-12-01" };
    expect(keys(expand(spec, "2026-11-01T00:00:00Z", "2027-01-20T00:00:00Z"))).toEqual([
      "2026-12-06",
      "2026-12-20",
      "2027-01-03",
      "2027-01-17",
    ]);
    // A window starting later keeps the same phase.
    expect(keys(expand(spec, "2027-01-10T00:00:00Z", "2027-02-01T00:00:00Z"))).toEqual(["2027-01-17", "2027-01-31"]);
  });

  it("should include an occurrence at `from` and exclude one at `to`", () => {
    const spec: SeriesSpec = { rule: { kind: "monthly_day", day: 5 }, time: T1930, startsOn: "2026-12-01" };
    expect(keys(expand(spec, "2026-12-05T12:30:00Z", "2027-01-05T12:30:00Z"))).toEqual(["2026-12-05"]);
    expect(expand(spec, "2027-01-01T00:00:00Z", "2027-01-01T00:00:00Z")).toEqual([]);
  });

  it("should keep occurrences between startsOn and endsOn, both included", () => {
    const spec: SeriesSpec = {
      rule: { kind: "weekly", weekday: 1 },
      time: T1930,
      startsOn: "2026-12-07",
      endsOn: "2026-12-21",
    };
    expect(keys(expand(spec, "2026-11-01T00:00:00Z", "2027-02-01T00:00:00Z"))).toEqual([
      "2026-12-07",
      "2026-12-14",
      "2026-12-21",
    ]);
  });

  it("should give a once rule its single date", () => {
    const spec: SeriesSpec = { rule: { kind: "once", date: "2026-12-05" }, time: T1930, startsOn: "2026-12-01" };
    expect(starts(expand(spec, "2026-01-01T00:00:00Z", "2028-01-01T00:00:00Z"))).toEqual(["2026-12-05T12:30:00.000Z"]);
  });

  it("should keep the local time across the DST change in Berlin", () => {
    const spec: SeriesSpec = {
      rule: { kind: "weekly", weekday: 1 },
      time: { hour: 19, minute: 0 },
      startsOn: "2026-03-16",
    };
    expect(starts(expand(spec, "2026-03-15T00:00:00Z", "2026-04-07T00:00:00Z", BERLIN))).toEqual([
      "2026-03-16T18:00:00.000Z",
      "2026-03-23T18:00:00.000Z",
      "2026-03-30T17:00:00.000Z",
      "2026-04-06T17:00:00.000Z",
    ]);
  });

  it("should resolve a time in the DST gap and overlap in Berlin", () => {
    const spec: SeriesSpec = {
      rule: { kind: "monthly_weekday", weekday: 0, nth: -1 },
      time: { hour: 2, minute: 30 },
      startsOn: "2026-01-01",
    };
    const list = expand(spec, "2026-03-01T00:00:00Z", "2026-11-01T00:00:00Z", BERLIN);
    const byKey = new Map(list.map((o) => [o.key, o.startsAt.toISOString()]));
    expect(byKey.get("2026-03-29")).toBe("2026-03-29T01:30:00.000Z"); // gap: 03:30 CEST
    expect(byKey.get("2026-10-25")).toBe("2026-10-25T00:30:00.000Z"); // overlap: the earlier 02:30
    expect(byKey.get("2026-04-26")).toBe("2026-04-26T00:30:00.000Z");
  });

  it("should reject an invalid series", () => {
    const base = { time: T1930, startsOn: "2026-12-01" };
    const reason = (spec: SeriesSpec) => {
      const error = failure(() => expand(spec, "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"));
      expect(error.code).toBe("recurrence_invalid");
      return error.params.reason;
    };
    expect(reason({ ...base, rule: { kind: "monthly_day", day: 32 } })).toBe("day");
    expect(reason({ ...base, rule: { kind: "weekly", weekday: 7 } })).toBe("weekday");
    expect(reason({ ...base, rule: { kind: "weekly", weekday: 1, interval: 0 } })).toBe("interval");
    expect(reason({ ...base, rule: { kind: "monthly_weekday", weekday: 1, nth: 5 as 4 } })).toBe("ordinal");
    expect(reason({ ...base, rule: { kind: "once", date: "2026-02-30" } })).toBe("date");
    expect(reason({ ...base, rule: { kind: "monthly_day", day: 5 }, time: { hour: 24, minute: 0 } })).toBe("time");
    expect(reason({ ...base, rule: { kind: "monthly_day", day: 5 }, startsOn: "05/12/2026" })).toBe("starts_on");
    expect(
      reason({ ...base, rule: { kind: "monthly_day", day: 5 }, exceptions: { move: { "2026-12-05": "2026-12-06" } } }),
    ).toBe("exception");
  });

  it("should expand 1,000 mixed series over a year with exceptions applied", () => {
    const rules: RecurrenceRule[] = [
      { kind: "weekly", weekday: 1 },
      { kind: "monthly_day", day: 5 },
      { kind: "monthly_weekday", weekday: 6, nth: 1 },
      { kind: "monthly_last_day" },
      { kind: "weekly", weekday: 0, interval: 2 },
    ];
    const from = new Date("2026-06-01T00:00:00Z");
    const to = new Date("2027-06-01T00:00:00Z");
    let count = 0;
    for (let i = 0; i < 1000; i++) {
      const spec: SeriesSpec = {
        rule: rules[i % rules.length]!,
        time: { hour: 7 + (i % 14), minute: i % 60 },
        startsOn: "2026-01-01",
        exceptions: { skip: ["2026-12-07"], move: { "2026-12-14": "2026-12-15T19:00" } },
      };
      count += expandOccurrences(spec, from, to, i % 2 ? HCM : BERLIN).length;
    }
    // Timing lives in bench/; here only the result is checked.
    expect(count).toBeGreaterThan(20_000);
  });
});

describe("nextOccurrence", () => {
  const monthly: SeriesSpec = { rule: { kind: "monthly_day", day: 5 }, time: T1930, startsOn: "2026-12-01" };

  it("should give the first occurrence strictly after the instant", () => {
    expect(nextOccurrence(monthly, new Date("2026-12-05T12:29:00Z"), HCM)?.startsAt).toEqual(
      new Date("2026-12-05T12:30:00Z"),
    );
    expect(nextOccurrence(monthly, new Date("2026-12-05T12:30:00Z"), HCM)?.startsAt).toEqual(
      new Date("2027-01-05T12:30:00Z"),
    );
  });

  it("should start at startsOn when asked from long before", () => {
    expect(nextOccurrence(monthly, new Date("2020-01-01T00:00:00Z"), HCM)).toEqual({
      key: "2026-12-05",
      startsAt: new Date("2026-12-05T12:30:00Z"),
      moved: false,
    });
  });

  it("should skip skipped occurrences and prefer an earlier moved one", () => {
    const spec: SeriesSpec = {
      ...monthly,
      exceptions: { skip: ["2026-12-05"], move: { "2027-02-05": "2026-12-20T19:30" } },
    };
    expect(nextOccurrence(spec, new Date("2026-12-01T00:00:00Z"), HCM)).toEqual({
      key: "2027-02-05",
      startsAt: new Date("2026-12-20T12:30:00Z"),
      moved: true,
    });
    expect(nextOccurrence(spec, new Date("2026-12-21T00:00:00Z"), HCM)?.key).toBe("2027-01-05");
    expect(nextOccurrence(spec, new Date("2027-01-06T00:00:00Z"), HCM)?.key).toBe("2027-03-05");
  });

  it("should return null once the series has ended", () => {
    const spec: SeriesSpec = { ...monthly, endsOn: "2027-01-31" };
    expect(nextOccurrence(spec, new Date("2027-01-05T12:30:00Z"), HCM)).toBeNull();
    const once: SeriesSpec = { rule: { kind: "once", date: "2026-12-05" }, time: T1930, startsOn: "2026-12-01" };
    expect(nextOccurrence(once, new Date("2026-12-06T00:00:00Z"), HCM)).toBeNull();
  });

  it("should follow DST in Berlin", () => {
    const spec: SeriesSpec = {
      rule: { kind: "weekly", weekday: 1 },
      time: { hour: 19, minute: 0 },
      startsOn: "2026-01-01",
    };
    expect(nextOccurrence(spec, new Date("2026-03-24T00:00:00Z"), BERLIN)?.startsAt).toEqual(
      new Date("2026-03-30T17:00:00Z"),
    );
  });
});

describe("assertRecurrenceFires", () => {
  const never = (spec: SeriesSpec) => failure(() => assertRecurrenceFires(spec, HCM));

  it("should reject a weekly Monday series between a Tuesday and the following Sunday", () => {
    const error = never({
      rule: { kind: "weekly", weekday: 1 },
      time: T1930,
      startsOn: "2026-12-01",
      endsOn: "2026-12-06",
    });
    expect(error.code).toBe("recurrence_never_fires");
    expect(error.params).toEqual({ startsOn: "2026-12-01", endsOn: "2026-12-06" });
  });

  it("should reject a day-31 series that ends before its first occurrence", () => {
    const error = never({
      rule: { kind: "monthly_day", day: 31 },
      time: T1930,
      startsOn: "2026-12-01",
      endsOn: "2026-12-20",
    });
    expect(error.code).toBe("recurrence_never_fires");
  });

  it("should accept day 31 in February thanks to the last-day policy", () => {
    expect(() =>
      assertRecurrenceFires(
        { rule: { kind: "monthly_day", day: 31 }, time: T1930, startsOn: "2027-02-01", endsOn: "2027-02-28" },
        HCM,
      ),
    ).not.toThrow();
  });

  it("should reject a series whose only occurrence is skipped, or that ends before it starts", () => {
    expect(
      never({
        rule: { kind: "once", date: "2026-12-05" },
        time: T1930,
        startsOn: "2026-12-01",
        exceptions: { skip: ["2026-12-05"] },
      }).code,
    ).toBe("recurrence_never_fires");
    expect(
      never({ rule: { kind: "monthly_last_day" }, time: T1930, startsOn: "2027-01-01", endsOn: "2026-12-31" }).code,
    ).toBe("recurrence_never_fires");
  });

  it("should look only two years ahead without endsOn", () => {
    expect(never({ rule: { kind: "once", date: "2029-12-05" }, time: T1930, startsOn: "2026-12-01" }).code).toBe(
      "recurrence_never_fires",
    );
    expect(() =>
      assertRecurrenceFires({ rule: { kind: "once", date: "2028-11-30" }, time: T1930, startsOn: "2026-12-01" }, HCM),
    ).not.toThrow();
  });

  it("should count a moved occurrence as firing", () => {
    expect(() =>
      assertRecurrenceFires(
        {
          rule: { kind: "once", date: "2026-12-05" },
          time: T1930,
          startsOn: "2026-12-01",
          exceptions: { move: { "2026-12-05": "2026-12-06T08:00" } },
        },
        HCM,
      ),
    ).not.toThrow();
  });

  it("should accept an ordinary weekly series", () => {
    expect(() =>
      assertRecurrenceFires({ rule: { kind: "weekly", weekday: 1 }, time: T1930, startsOn: "2026-12-01" }, HCM),
    ).not.toThrow();
  });
});

describe("describeRecurrence", () => {
  it.each<[RecurrenceRule, { hour: number; minute: number } | undefined, string, string]>([
    [{ kind: "monthly_day", day: 5 }, T1930, "ngày 5 hằng tháng lúc 19:30", "on day 5 of every month at 19:30"],
    [
      { kind: "monthly_last_day" },
      T1930,
      "ngày cuối cùng hằng tháng lúc 19:30",
      "on the last day of every month at 19:30",
    ],
    [
      { kind: "monthly_weekday", weekday: 6, nth: 1 },
      { hour: 8, minute: 0 },
      "thứ Bảy đầu tiên hằng tháng lúc 08:00",
      "on the first Saturday of every month at 08:00",
    ],
    [
      { kind: "monthly_weekday", weekday: 5, nth: -1 },
      undefined,
      "thứ Sáu cuối cùng hằng tháng",
      "on the last Friday of every month",
    ],
    [{ kind: "weekly", weekday: 1 }, { hour: 7, minute: 0 }, "thứ Hai hằng tuần lúc 07:00", "every Monday at 07:00"],
    [{ kind: "weekly", weekday: 0, interval: 2 }, undefined, "Chủ nhật cách tuần", "every other Sunday"],
    [{ kind: "weekly", weekday: 4, interval: 3 }, undefined, "thứ Năm, 3 tuần một lần", "every 3 weeks on Thursday"],
    [
      { kind: "once", date: "2026-12-05" },
      T1930,
      "một lần vào ngày 05/12/2026 lúc 19:30",
      "once on 05/12/2026 at 19:30",
    ],
  ])("should describe %j in both languages", (rule, time, vi, en) => {
    expect(describeRecurrence(rule, time, "vi")).toBe(vi);
    expect(describeRecurrence(rule, time, "en")).toBe(en);
  });
});
