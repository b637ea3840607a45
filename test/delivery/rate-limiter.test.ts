import { describe, expect, it } from "vitest";
import { RateLimiter, type Booking } from "../../src/delivery/rate-limiter.ts";

/** Books, confirms and completes one send: it left at `at`, its answer came back at `answer`. */
function send(limiter: RateLimiter, chat: string, at: number, answer: number, type: "private" | "group" = "private"): Booking {
  const b = limiter.reserve(chat, type, at);
  expect(limiter.confirm(b, at)).toBe(0);
  limiter.complete(b, answer);
  return b;
}

describe("RateLimiter", () => {
  it("should count every send in one window, up to the latest moment it can have arrived", () => {
    const limiter = new RateLimiter({ perSecond: 3, chatIntervalMs: 0, groupPerMinute: 20, marginMs: 2 });
    send(limiter, "a", 1000, 1040);
    send(limiter, "b", 1000, 1010);
    send(limiter, "c", 1000, 1020);
    // The first to leave the window is the one whose answer came back first (1010): it arrived by then.
    expect(limiter.availableAt("d", "private", 1000)).toBe(1010 + 1002);
    expect(limiter.globalAvailableAt(1000)).toBe(2012);
  });

  it("should treat a send still in flight as arriving at any time", () => {
    const limiter = new RateLimiter({ perSecond: 2, chatIntervalMs: 0, groupPerMinute: 20, marginMs: 2 });
    const a = limiter.reserve("a", "private", 0);
    const b = limiter.reserve("b", "private", 0);
    limiter.confirm(a, 0);
    limiter.confirm(b, 0);
    expect(limiter.availableAt("c", "private", 5000)).toBe(Number.POSITIVE_INFINITY);
    limiter.complete(a, 5000);
    expect(limiter.availableAt("c", "private", 5000)).toBe(6002);
  });

  it("should never let more than perSecond arrive in any 1000 ms window, whatever the delays", () => {
    const limiter = new RateLimiter({ perSecond: 30, chatIntervalMs: 1000, groupPerMinute: 20 });
    const arrivals: number[] = [];
    const inFlight: { b: Booking; answer: number }[] = [];
    let now = 0;
    for (let i = 0; arrivals.length < 600; i++) {
      // Answers that are due come back first.
      inFlight.sort((x, y) => x.answer - y.answer);
      while (inFlight.length && inFlight[0]!.answer <= now) limiter.complete(inFlight[0]!.b, inFlight.shift()!.answer);
      const at = limiter.availableAt(`c${i}`, "private", now);
      if (inFlight.length >= 8) {
        now = inFlight[0]!.answer;
        i--;
        continue;
      }
      if (at > now) {
        now = Math.min(at, inFlight[0]?.answer ?? Number.POSITIVE_INFINITY);
        i--;
        continue;
      }
      const b = limiter.reserve(`c${i}`, "private", now);
      expect(limiter.confirm(b, now)).toBe(0);
      // Up to 60 ms on the way in (a busy machine, the network), 10–20 ms on the way back.
      const arrival = now + Math.random() * 60;
      arrivals.push(arrival);
      inFlight.push({ b, answer: arrival + 10 + Math.random() * 10 });
    }
    arrivals.sort((x, y) => x - y);
    for (let i = 30; i < arrivals.length; i++) expect(arrivals[i]! - arrivals[i - 30]!).toBeGreaterThanOrEqual(1000);
  });

  it("should space messages to one chat by the interval after its answer and cap a group per minute", () => {
    const limiter = new RateLimiter({ perSecond: 100, chatIntervalMs: 1000, groupPerMinute: 2, marginMs: 2 });
    send(limiter, "g", 0, 30, "group");
    expect(limiter.availableAt("g", "group", 40)).toBe(1032);
    expect(limiter.heldChats(40)).toEqual(["g"]);
    send(limiter, "g", 1032, 1050, "group");
    expect(limiter.availableAt("g", "group", 2100)).toBe(60_032);
    expect(limiter.heldChats(2100)).toEqual(["g"]);
    expect(limiter.availableAt("other", "private", 2100)).toBe(2100);
  });

  it("should hold a request booked ahead of its turn until the window opens", () => {
    const limiter = new RateLimiter({ perSecond: 1, chatIntervalMs: 0, groupPerMinute: 20, marginMs: 0 });
    send(limiter, "b", 0, 10);
    const ahead = limiter.reserve("a", "private", limiter.availableAt("a", "private", 980));
    expect(ahead.at).toBe(1010);
    expect(limiter.confirm(ahead, 1000)).toBe(10);
    expect(limiter.confirm(ahead, 1010)).toBe(0);
  });

  it("should keep a minimum interval across all chats and count new recipients per hour (Zalo)", () => {
    const limiter = new RateLimiter({ perSecond: 1000, chatIntervalMs: 3000, groupPerMinute: 20, minIntervalMs: 3000, newRecipientsPerHour: 2 });
    send(limiter, "a", 0, 10);
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
