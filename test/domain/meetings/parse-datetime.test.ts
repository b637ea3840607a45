import { describe, expect, it } from "vitest";
import { AppError } from "../../../src/lib/app-error.ts";
import { parseDuration, parseLocalTime, parseMeetingDateTime } from "../../../src/domain/meetings/parse-datetime.ts";

const HCM = "Asia/Ho_Chi_Minh";
/** Wednesday 02/12/2026 10:00 in Ho Chi Minh. */
const WED = new Date("2026-12-02T03:00:00Z");

function failure(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error("expected an AppError");
}

const parse = (text: string, now: Date = WED, zone = HCM) => parseMeetingDateTime(text, now, zone).toISOString();

describe("parseMeetingDateTime", () => {
  it.each([
    ["05/12/2026 19:30", "2026-12-05T12:30:00.000Z"],
    ["5/12/2026 19h30", "2026-12-05T12:30:00.000Z"],
    ["19h30 5/12", "2026-12-05T12:30:00.000Z"],
    ["19:30 05-12-2026", "2026-12-05T12:30:00.000Z"],
    ["5.12 19h", "2026-12-05T12:00:00.000Z"],
    ["19h 5/12", "2026-12-05T12:00:00.000Z"],
    ["2026-12-05 19:30", "2026-12-05T12:30:00.000Z"],
    ["2026-12-05T19:30", "2026-12-05T12:30:00.000Z"],
    ["19g30 05/12/2026", "2026-12-05T12:30:00.000Z"],
    ["5/12/26 19:30", "2026-12-05T12:30:00.000Z"],
    ["lúc 19 giờ 30 ngày 5 tháng 12 năm 2026", "2026-12-05T12:30:00.000Z"],
    ["  05/12/2026     19:30  ", "2026-12-05T12:30:00.000Z"],
    ["7 giờ rưỡi tối 5/12", "2026-12-05T12:30:00.000Z"],
    ["7 giờ kém 15 tối 5/12", "2026-12-05T11:45:00.000Z"],
  ])("should read the date and time in %j", (text, expected) => {
    expect(parse(text)).toBe(expected);
  });

  it.each([
    ["ngày mai 19h", "2026-12-03T12:00:00.000Z"],
    ["NGÀY MAI 19H", "2026-12-03T12:00:00.000Z"],
    ["ngay mai 19h", "2026-12-03T12:00:00.000Z"],
    ["mai 7h30", "2026-12-03T00:30:00.000Z"],
    ["hôm nay 20:00", "2026-12-02T13:00:00.000Z"],
    ["hom nay 20:00", "2026-12-02T13:00:00.000Z"],
    ["tối nay 19h30", "2026-12-02T12:30:00.000Z"],
    ["ngày kia 19h", "2026-12-04T12:00:00.000Z"],
    ["7h tối mai", "2026-12-03T12:00:00.000Z"],
    ["2h chiều mai", "2026-12-03T07:00:00.000Z"],
  ])("should read the relative day in %j", (text, expected) => {
    expect(parse(text)).toBe(expected);
  });

  it.each([
    ["thứ 7 19:00", "2026-12-05T12:00:00.000Z"],
    ["Thứ Bảy, 19H", "2026-12-05T12:00:00.000Z"],
    ["T7 19:00", "2026-12-05T12:00:00.000Z"],
    ["CN 8:00", "2026-12-06T01:00:00.000Z"],
    ["8 giờ sáng thứ Hai", "2026-12-07T01:00:00.000Z"],
    ["8 gio sang thu hai", "2026-12-07T01:00:00.000Z"],
    ["thứ 4 11h", "2026-12-02T04:00:00.000Z"], // today, still ahead
    ["thứ 4 9h", "2026-12-09T02:00:00.000Z"], // today's has passed: next week's
    ["thứ 6 tới 19h", "2026-12-04T12:00:00.000Z"],
    ["thứ 6 này 19h", "2026-12-04T12:00:00.000Z"],
    ["thứ sáu tuần này 19h30", "2026-12-04T12:30:00.000Z"],
    ["chủ nhật tuần này 8h", "2026-12-06T01:00:00.000Z"],
    ["thứ 6 tuần sau 19:30", "2026-12-11T12:30:00.000Z"],
    ["thứ 6 tuần tới 19:30", "2026-12-11T12:30:00.000Z"],
    ["thu 6 tuan toi 19:30", "2026-12-11T12:30:00.000Z"],
    ["chủ nhật tuần sau 8h", "2026-12-13T01:00:00.000Z"],
    ["thứ 2 tuần sau nữa 8h", "2026-12-14T01:00:00.000Z"],
  ])("should read the weekday in %j (typed on Wednesday)", (text, expected) => {
    expect(parse(text)).toBe(expected);
  });

  it.each([
    ["Monday 30/11 08:00", new Date("2026-11-30T01:00:00Z")],
    ["Wednesday 02/12 10:00", WED],
    ["Friday 04/12 10:00", new Date("2026-12-04T03:00:00Z")],
    ["Saturday 05/12 10:00", new Date("2026-12-05T03:00:00Z")],
    ["Sunday 06/12 10:00", new Date("2026-12-06T03:00:00Z")],
    ["Sunday 06/12 23:30", new Date("2026-12-06T16:30:00Z")],
  ])("should put 'thứ 6 tuần sau' in the next Monday-to-Sunday week when typed on %s", (_label, now) => {
    expect(parse("thứ 6 tuần sau 19:30", now)).toBe("2026-12-11T12:30:00.000Z");
  });

  it("should use the app zone's weekday, not UTC's or the process's", () => {
    // Monday 07/12 05:00 in Vietnam is still Sunday in UTC and in Sao Paulo.
    const now = new Date("2026-12-06T22:00:00Z");
    expect(parse("thứ 6 tuần sau 19:30", now)).toBe("2026-12-18T12:30:00.000Z");
    expect(parse("thứ 6 tuần này 19:30", now)).toBe("2026-12-11T12:30:00.000Z");
  });

  it("should reject 'tuần này' when that day has passed", () => {
    const sat = new Date("2026-12-05T03:00:00Z");
    expect(failure(() => parse("thứ 6 tuần này 19h", sat)).code).toBe("meeting_in_past");
    const sun = new Date("2026-12-06T03:00:00Z");
    expect(failure(() => parse("thứ 2 tuần này 19h", sun)).code).toBe("meeting_in_past");
  });

  it("should take today for a bare weekday only while its time is ahead", () => {
    expect(parse("thứ 7 19:00", new Date("2026-12-05T03:00:00Z"))).toBe("2026-12-05T12:00:00.000Z");
    expect(parse("thứ 7 19:00", new Date("2026-12-05T13:00:00Z"))).toBe("2026-12-12T12:00:00.000Z");
  });

  it("should roll a year-less date that passed long ago into next year", () => {
    const now = new Date("2026-12-20T03:00:00Z");
    expect(parse("19h30 5/1", now)).toBe("2027-01-05T12:30:00.000Z");
    expect(parse("19h 1/3", now)).toBe("2027-03-01T12:00:00.000Z");
    expect(parse("19h 25/12", now)).toBe("2026-12-25T12:00:00.000Z");
  });

  it("should reject a year-less date that passed within the last 30 days instead of moving it a year", () => {
    const now = new Date("2026-12-20T03:00:00Z");
    const error = failure(() => parse("19h 18/12", now));
    expect(error.code).toBe("meeting_in_past");
    expect(error.params).toMatchObject({ date: "18/12/2026", time: "19:00" });
  });

  it("should reject today's date with a time already passed rather than move it a year", () => {
    expect(failure(() => parse("8h 2/12")).code).toBe("meeting_in_past");
    expect(failure(() => parse("hôm nay 8h")).code).toBe("meeting_in_past");
    expect(parse("19h 2/12")).toBe("2026-12-02T12:00:00.000Z");
  });

  it("should accept 29/2 only in a leap year", () => {
    expect(parse("19h 29/2", new Date("2027-12-01T00:00:00Z"))).toBe("2028-02-29T12:00:00.000Z");
    expect(failure(() => parse("19h 29/2")).params).toMatchObject({ reason: "date_impossible" });
    expect(failure(() => parse("29/02/2027 19h")).params).toMatchObject({ reason: "date_impossible" });
  });

  it.each([
    ["31/02/2027 19:00", "date_impossible"],
    ["30/2 19h", "date_impossible"],
    ["31/04/2027 19:00", "date_impossible"],
    ["5/13/2027 19:00", "date_impossible"],
    ["25:00 05/12/2026", "time_impossible"],
    ["24:00 05/12/2026", "time_impossible"],
    ["19:60 05/12/2026", "time_impossible"],
    ["19h sáng mai", "time_impossible"],
    ["12h tối mai", "time_ambiguous"],
    ["05/12/2026", "time_missing"],
    ["thứ 6 tuần sau", "time_missing"],
    ["ngày mai", "time_missing"],
    ["tối mai", "time_missing"],
    ["19h30", "date_missing"],
    ["thứ 8 19h", "weekday"],
    ["thứ Tám 19h", "weekday"],
    ["thứ 6 05/12/2026 19h", "weekday_mismatch"],
    ["05/12/2026 06/12/2026 19h", "date_conflict"],
    ["19h 05/12/2026 họp chi bộ", "unrecognised"],
    ["abc", "unrecognised"],
    ["", "unrecognised"],
  ])("should reject %j as date_invalid (%s)", (text, reason) => {
    const error = failure(() => parse(text));
    expect(error.code).toBe("date_invalid");
    expect(error.params).toEqual({ input: text, reason });
  });

  it("should accept a weekday that agrees with the date", () => {
    expect(parse("thứ 7 05/12/2026 19h")).toBe("2026-12-05T12:00:00.000Z");
  });

  it("should reject a date before now as meeting_in_past with the date and time", () => {
    const error = failure(() => parse("05/12/2025 19:30"));
    expect(error.code).toBe("meeting_in_past");
    expect(error.params).toEqual({ input: "05/12/2025 19:30", date: "05/12/2025", time: "19:30" });
    expect(failure(() => parse("hôm qua 19h")).code).toBe("meeting_in_past");
    expect(failure(() => parse("thứ 6 tuần trước 19h")).code).toBe("meeting_in_past");
  });

  it("should accept a start exactly at now", () => {
    expect(parse("hôm nay 10:00")).toBe(WED.toISOString());
  });

  it("should convert in the given zone, including one with DST", () => {
    expect(parse("05/12/2026 19:30", WED, "Europe/Berlin")).toBe("2026-12-05T18:30:00.000Z");
    expect(parse("15/06/2027 19:30", WED, "Europe/Berlin")).toBe("2027-06-15T17:30:00.000Z");
    // 02:30 does not exist on 28/03/2027 in Berlin: the later valid instant, 03:30 CEST.
    expect(parse("28/03/2027 02:30", WED, "Europe/Berlin")).toBe("2027-03-28T01:30:00.000Z");
  });
});

describe("parseLocalTime", () => {
  it.each([
    ["19:30", 19, 30],
    ["19h30", 19, 30],
    ["19g30", 19, 30],
    ["19h", 19, 0],
    ["7h tối", 19, 0],
    ["7h toi", 19, 0],
    ["lúc 8 giờ sáng", 8, 0],
    ["19 giờ 30 phút", 19, 30],
    ["7 giờ rưỡi tối", 19, 30],
    ["12h trưa", 12, 0],
    ["2h chiều", 14, 0],
    ["7pm", 19, 0],
    ["0:05", 0, 5],
  ])("should read %j", (text, hour, minute) => {
    expect(parseLocalTime(text)).toEqual({ hour, minute });
  });

  it.each(["25:00", "19h sáng", "19h30 mai", "abc", "", "7h30 rưỡi"])("should reject %j", (text) => {
    expect(failure(() => parseLocalTime(text)).code).toBe("date_invalid");
  });
});

describe("parseDuration", () => {
  it.each([
    ["2 tiếng", 120],
    ["2 TIẾNG", 120],
    ["2 giờ", 120],
    ["90 phút", 90],
    ["90 phut", 90],
    ["45p", 45],
    ["1h30", 90],
    ["2h", 120],
    ["1 tiếng 30 phút", 90],
    ["1 tiếng rưỡi", 90],
    ["1,5 giờ", 90],
    ["1.5 tiếng", 90],
    ["1:30", 90],
  ])("should read %j as %i minutes", (text, minutes) => {
    expect(parseDuration(text)).toBe(minutes);
  });

  it.each([
    ["90", "unrecognised"],
    ["abc", "unrecognised"],
    ["", "unrecognised"],
    ["0 phút", "duration_range"],
    ["25 tiếng", "duration_range"],
    ["1h75", "time_impossible"],
  ])("should reject %j (%s)", (text, reason) => {
    const error = failure(() => parseDuration(text));
    expect(error.code).toBe("date_invalid");
    expect(error.params).toEqual({ input: text, reason });
  });
});
