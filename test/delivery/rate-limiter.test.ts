import { describe, expect, it } from "vitest";
import { RateLimiter } from "../../src/delivery/rate-limiter.ts";

describe("RateLimiter", () => {
  it("should keep broadcasts within the per-second window but let replies through", () => {
    const limiter = new RateLimiter({ perSecond: 3, chatIntervalMs: 0, groupPerMinute: 20 });
    for (let i = 0; i < 3; i++) {
      expect(limiter.availableAt(`c${i}`, "private", 9, 1000)).toBe(1000);
      limiter.reserve(`c${i}`, "private", 9, 1000);
    }
    expect(limiter.availableAt("c9", "private", 9, 1000)).toBeGreaterThan(2000);
    expect(limiter.availableAt("c9", "private", 0, 1000)).toBe(1000);
  });

  it("should space messages to one chat and cap a group per minute", () => {
    const limiter = new RateLimiter({ perSecond: 100, chatIntervalMs: 1000, groupPerMinute: 2 });
    limiter.reserve("g", "group", 5, 0);
    expect(limiter.availableAt("g", "group", 5, 10)).toBe(1000);
    limiter.reserve("g", "group", 5, 1000);
    expect(limiter.availableAt("g", "group", 5, 2000)).toBe(60_000);
  });

  it("should keep a minimum interval across all chats and count new recipients per hour (Zalo)", () => {
    const limiter = new RateLimiter({ perSecond: 1000, chatIntervalMs: 3000, groupPerMinute: 20, minIntervalMs: 3000, newRecipientsPerHour: 2 });
    limiter.reserve("a", "private", 0, 0);
    expect(limiter.availableAt("b", "private", 0, 100)).toBe(3000);
    limiter.reserveNewRecipient(0);
    limiter.reserveNewRecipient(3000);
    expect(limiter.newRecipientAvailableAt(6000)).toBe(3_600_000);
    expect(limiter.newRecipientAvailableAt(3_600_001)).toBe(3_600_001);
  });

  it("should pause a chat after a 429 and everything after a platform-wide limit", () => {
    const limiter = new RateLimiter({ perSecond: 30, chatIntervalMs: 0, groupPerMinute: 20 });
    limiter.pauseChat("x", 5000);
    expect(limiter.availableAt("x", "private", 5, 0)).toBe(5000);
    expect(limiter.availableAt("y", "private", 5, 0)).toBe(0);
    limiter.pauseAll(7000);
    expect(limiter.availableAt("y", "private", 5, 0)).toBe(7000);
  });
});
