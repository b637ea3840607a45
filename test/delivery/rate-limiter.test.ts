import { describe, expect, it } from "vitest";
import { RateLimiter, SendGate, type Booking, type PacingClock } from "../../src/delivery/rate-limiter.ts";

/** One request: it left at `at`, its answer came back at `answer`. */
function send(
  limiter: RateLimiter,
  chat: string,
  at: number,
  answer: number,
  type: "private" | "group" = "private",
): Booking {
  expect(limiter.availableAt(chat, type, at)).toBe(at);
  const b = limiter.start(chat, type, at);
  limiter.complete(b, answer);
  return b;
}

describe("RateLimiter", () => {
  it("should count every send in the window until 1000 ms after its answer came back", () => {
    const limiter = new RateLimiter({ perSecond: 3, chatIntervalMs: 0, groupPerMinute: 20 });
    send(limiter, "a", 1000, 1040);
    send(limiter, "b", 1000, 1010);
    send(limiter, "c", 1000, 1020);
    // The first to leave the window is the one whose answer came back first: it arrived by 1010.
    expect(limiter.availableAt("d", "private", 1000)).toBe(2010);
    expect(limiter.openSlots(2010)).toBe(1);
    expect(limiter.openSlots(2039.9)).toBe(2);
    expect(limiter.slotsOpenAt(3, 1000)).toBe(2040);
    expect(limiter.openSlots(2040)).toBe(3);
  });

  it("should treat a send still in flight as arriving at any time", () => {
    const limiter = new RateLimiter({ perSecond: 2, chatIntervalMs: 0, groupPerMinute: 20, marginMs: 2 });
    const a = limiter.start("a", "private", 0);
    limiter.start("b", "private", 0);
    expect(limiter.availableAt("c", "private", 5000)).toBe(Number.POSITIVE_INFINITY);
    expect(limiter.openSlots(1_000_000)).toBe(0);
    limiter.complete(a, 5000);
    expect(limiter.availableAt("c", "private", 5000)).toBe(6002);
  });

  it("should never let more than perSecond arrive in any 1000 ms window, wherever between start and answer each arrives", () => {
    const limiter = new RateLimiter({ perSecond: 30, chatIntervalMs: 1000, groupPerMinute: 20 });
    const arrivals: number[] = [];
    const inFlight: { b: Booking; answer: number }[] = [];
    let now = 0;
    for (let i = 0; arrivals.length < 900; ) {
      // Answers that are due come back first.
      inFlight.sort((x, y) => x.answer - y.answer);
      while (inFlight.length && inFlight[0]!.answer <= now) limiter.complete(inFlight[0]!.b, inFlight.shift()!.answer);
      const at = limiter.availableAt(`c${i}`, "private", now);
      if (at > now) {
        now = Math.min(at, inFlight[0]?.answer ?? Number.POSITIVE_INFINITY);
        continue;
      }
      const b = limiter.start(`c${i++}`, "private", now);
      // Round trips of 1–80 ms; the arrival anywhere in it, often at either end (the worst cases).
      const answer = now + 1 + Math.random() * 79;
      const r = Math.random();
      arrivals.push(r < 0.3 ? now : r < 0.6 ? answer : now + Math.random() * (answer - now));
      inFlight.push({ b, answer });
      // Requests go in bursts, and sometimes a little late.
      if (Math.random() < 0.2) now += Math.random() * 15;
    }
    arrivals.sort((x, y) => x - y);
    for (let i = 30; i < arrivals.length; i++) expect(arrivals[i]! - arrivals[i - 30]!).toBeGreaterThanOrEqual(1000);
  });

  it("should space messages to one chat by the interval after its answer and cap a group per minute", () => {
    const limiter = new RateLimiter({ perSecond: 100, chatIntervalMs: 1000, groupPerMinute: 2 });
    send(limiter, "g", 0, 30, "group");
    expect(limiter.availableAt("g", "group", 40)).toBe(1030);
    expect(limiter.heldChats(40)).toEqual(["g"]);
    send(limiter, "g", 1030, 1050, "group");
    expect(limiter.availableAt("g", "group", 2100)).toBe(60_030);
    expect(limiter.heldChats(2100)).toEqual(["g"]);
    expect(limiter.availableAt("other", "private", 2100)).toBe(2100);
  });

  it("should count sends made elsewhere to a chat by their answers, and its own sends learned back once", () => {
    const limiter = new RateLimiter({ perSecond: 30, chatIntervalMs: 1000, groupPerMinute: 3 });
    // Another process sent to chat 7; its answer came back at 500.
    limiter.noteChatSends("7", "private", [500]);
    expect(limiter.chatAvailableAt("7", "private", 600)).toBe(1500);
    expect(limiter.heldChats(600)).toEqual(["7"]);
    expect(limiter.globalAvailableAt(600)).toBe(600); // the bot's window is the shared budget's
    // A group: two sends elsewhere, one here; learning the times back (ours among them) counts each once.
    limiter.noteChatSends("-9", "group", [100, 1200]);
    const ours = send(limiter, "-9", 2300, 2350, "group");
    limiter.noteChatSends("-9", "group", [100, 1200, ours.until]);
    expect(limiter.chatAvailableAt("-9", "group", 3400)).toBe(60_100);
    // A send of ours still in flight stays the chat's last, whatever answer is learned.
    const inFlight = limiter.start("8", "private", 4000);
    limiter.noteChatSends("8", "private", [3990]);
    expect(limiter.chatAvailableAt("8", "private", 4100)).toBe(Number.POSITIVE_INFINITY);
    limiter.complete(inFlight, 4050);
    expect(limiter.chatAvailableAt("8", "private", 4100)).toBe(5050);
  });

  it("should keep a minimum interval across all chats and count new recipients per hour (Zalo)", () => {
    const limiter = new RateLimiter({
      perSecond: 1000,
      chatIntervalMs: 3000,
      groupPerMinute: 20,
      minIntervalMs: 3000,
      newRecipientsPerHour: 2,
    });
    send(limiter, "a", 0, 10);
    expect(limiter.availableAt("b", "private", 100)).toBe(3000);
    expect(limiter.openSlots(2999)).toBe(0);
    expect(limiter.openSlots(3000)).toBe(1);
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
    expect(limiter.openSlots(6999)).toBe(0);
  });
});

/** A clock the test moves by hand; its timers run when it passes their time. */
function manualClock() {
  let now = 0;
  const timers: { at: number; fn: () => void }[] = [];
  const clock: PacingClock = {
    now: () => now,
    setTimeout(fn, ms) {
      const t = { at: now + ms, fn };
      timers.push(t);
      return () => void timers.splice(timers.indexOf(t) >>> 0, 1);
    },
  };
  return {
    clock,
    /** Moves to `to`, runs the timers due, and lets the gate's polling and draining turns run. */
    async advance(to: number) {
      now = to;
      for (const t of timers.filter((t) => t.at <= now)) {
        timers.splice(timers.indexOf(t), 1);
        t.fn();
      }
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    },
  };
}

describe("SendGate", () => {
  it("should let a reply queued behind broadcast copies take the next free place before them", async () => {
    const { clock, advance } = manualClock();
    const limiter = new RateLimiter({ perSecond: 2, chatIntervalMs: 1000, groupPerMinute: 20 });
    const gate = new SendGate(limiter, clock);
    const order: string[] = [];
    const go = (chat: string, priority: number) =>
      gate.acquire(chat, "private", priority).then((b) => (order.push(chat), b));
    const first = await Promise.all([go("b1", 9), go("b2", 9)]);
    const waiting = [go("b3", 9), go("b4", 9)];
    await advance(5);
    expect(order).toEqual(["b1", "b2"]);
    // The answers come back at 10 and 12: one place opens at 1010, the next at 1012.
    await advance(10);
    gate.complete(first[0]!);
    await advance(12);
    gate.complete(first[1]!);
    const reply = go("r1", 0);
    expect(gate.waiting).toBe(3);
    expect(gate.waitingAhead(0)).toBe(1);
    await advance(1009);
    expect(order).toEqual(["b1", "b2"]);
    await advance(1010);
    expect(order).toEqual(["b1", "b2", "r1"]);
    await advance(1012);
    expect(order).toEqual(["b1", "b2", "r1", "b3"]);
    for (const b of await Promise.all([reply, waiting[0]!])) gate.complete(b);
    await advance(1100);
    expect(order).toEqual(["b1", "b2", "r1", "b3"]);
    await advance(2100);
    expect(order).toEqual(["b1", "b2", "r1", "b3", "b4"]);
  });

  it("should not let a chat held by its interval hold up other chats", async () => {
    const { clock, advance } = manualClock();
    const limiter = new RateLimiter({ perSecond: 30, chatIntervalMs: 1000, groupPerMinute: 20 });
    const gate = new SendGate(limiter, clock);
    gate.complete(await gate.acquire("a", "private", 0));
    const order: string[] = [];
    void gate.acquire("a", "private", 0).then(() => order.push("a"));
    void gate.acquire("b", "private", 9).then(() => order.push("b"));
    await advance(1);
    expect(order).toEqual(["b"]);
    await advance(1000);
    expect(order).toEqual(["b", "a"]);
  });
});
