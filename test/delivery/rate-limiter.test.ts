import { describe, expect, it } from "vitest";
import { RateLimiter } from "../../src/delivery/rate-limiter.ts";

describe("RateLimiter", () => {
  it("should count every send in one sliding window with a margin, replies included", () => {
    const limiter = new RateLimiter({ perSecond: 3, chatIntervalMs: 0, groupPerMinute: 20, marginMs: 10 });
    let now = 1000;
    for (let i = 0; i < 3; i++) {
      now = limiter.availableAt(`c${i}`, "private", now);
      limiter.reserve(`c${i}`, "private", now);
    }
    // Spaced evenly (1000 / 3 ms apart), and the 4th waits for the first to leave the 1010 ms window.
    expect(now).toBeCloseTo(1000 + 2000 / 3, 5);
    expect(limiter.availableAt("c9", "private", now)).toBe(1000 + 1010);
  });

  it("should never book more than perSecond in any window of 1000 + margin ms", () => {
    const limiter = new RateLimiter({ perSecond: 30, chatIntervalMs: 1000, groupPerMinute: 20, marginMs: 10 });
    const times: number[] = [];
    let now = 0;
    for (let i = 0; i < 300; i++) {
      now = limiter.availableAt(`c${i}`, "private", now + Math.random() * 5);
      limiter.reserve(`c${i}`, "private", now);
      times.push(now);
    }
    for (let i = 30; i < times.length; i++) expect(times[i]! - times[i - 30]!).toBeGreaterThanOrEqual(1010 - 1e-6);
    // … and still reaches the cap: 300 sends in about 10 × 1010 ms.
    expect(times.at(-1)! - times[0]!).toBeLessThan(10 * 1010 + 200);
  });

  it("should space messages to one chat by the interval plus margin and cap a group per minute", () => {
    const limiter = new RateLimiter({ perSecond: 100, chatIntervalMs: 1000, groupPerMinute: 2, marginMs: 10 });
    limiter.reserve("g", "group", 0);
    expect(limiter.availableAt("g", "group", 10)).toBe(1010);
    expect(limiter.heldChats(10)).toEqual(["g"]);
    limiter.reserve("g", "group", 1010);
    expect(limiter.availableAt("g", "group", 2100)).toBe(60_010);
    expect(limiter.heldChats(2100)).toEqual(["g"]);
    expect(limiter.availableAt("other", "private", 2100)).toBe(2100);
  });

  it("should keep a minimum interval across all chats and count new recipients per hour (Zalo)", () => {
    const limiter = new RateLimiter({ perSecond: 1000, chatIntervalMs: 3000, groupPerMinute: 20, minIntervalMs: 3000, newRecipientsPerHour: 2 });
    limiter.reserve("a", "private", 0);
    expect(limiter.availableAt("b", "private", 100)).toBe(3000);
    limiter.reserveNewRecipient(0);
    limiter.reserveNewRecipient(3000);
    expect(limiter.newRecipientAvailableAt(6000)).toBe(3_600_000);
    expect(limiter.newRecipientAvailableAt(3_600_001)).toBe(3_600_001);
  });

  it("should pause a chat after a 429 and everything after a platform-wide limit", () => {
    const limiter = new RateLimiter({ perSecond: 30, chatIntervalMs: 0, groupPerMinute: 20 });
    limiter.pauseChat("x", 5000);
    expect(limiter.availableAt("x", "private", 0)).toBe(5000);
    expect(limiter.availableAt("y", "private", 0)).toBe(0);
    limiter.pauseAll(7000);
    expect(limiter.availableAt("y", "private", 0)).toBe(7000);
  });
});
