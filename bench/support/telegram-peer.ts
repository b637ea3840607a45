/**
 * The other side of the Telegram benchmarks, in its own process so that the service under test has
 * its own event loop (and the fake's arrival clock is not held up by ours): a fake Telegram Bot API
 * (receiving the replies) and the load generator, posting updates to the service's webhook or
 * queueing them for its long polling. Driven over IPC by bench/telegram-*.bench.ts.
 * PEER_LIMITS=strict makes the fake enforce Telegram's limits the strict way; PEER_JITTER_MS adds
 * that much random delay to the arrival time of each request (network jitter).
 */
import { Agent, request } from "node:http";
import { FakeTelegramServer } from "../../test/fakes/telegram-server.ts";

const fake = new FakeTelegramServer({
  limits: process.env.PEER_LIMITS === "strict" ? {} : false,
  arrivalJitterMs: Number(process.env.PEER_JITTER_MS ?? 0),
  latencyMs: Number(process.env.PEER_LATENCY_MS ?? 0),
});
await fake.start();
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const replies = ["có mặt", "co mat a", "cm", "xin vắng vì con ốm", "Dạ em có mặt", "👍"];
let updateId = 1;

function post(url: URL, secret: string, users: number, i: number): Promise<number> {
  const userId = (i % users) + 1;
  const body = JSON.stringify({
    update_id: updateId++,
    message: {
      message_id: i + 1,
      date: Math.floor(Date.now() / 1000),
      chat: { id: userId, type: "private", first_name: "H" },
      from: { id: userId, is_bot: false, first_name: "H" },
      text: replies[i % replies.length],
    },
  });
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        hostname: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          "x-telegram-bot-api-secret-token": secret,
        },
      },
      (res) => {
        res.resume();
        res.on("end", () =>
          res.statusCode === 200
            ? resolve(Number(process.hrtime.bigint() - started) / 1e6)
            : reject(new Error(`status ${res.statusCode}`)),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

type Command =
  | { kind: "burst"; url: string; secret: string; users: number; count: number; concurrency: number; offset?: number }
  | { kind: "steady"; url: string; secret: string; users: number; rate: number; seconds: number; offset: number }
  | { kind: "calls" }
  /** Members write to the bot (long polling), spread evenly over `spreadMs`; answers their push times. */
  | { kind: "say"; messages: { userId: number; text: string }[]; spreadMs: number }
  /** Every message the fake accepted (chat, arrival time) and its counters. */
  | { kind: "report" }
  | { kind: "stop" };

const onCommand = async (command: Command): Promise<void> => {
  if (command.kind === "burst") {
    const url = new URL(command.url);
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: command.concurrency }, async () => {
        while (next < command.count) await post(url, command.secret, command.users, (command.offset ?? 0) + next++);
      }),
    );
    process.send!({ kind: "burst", ms: Date.now() - started });
  } else if (command.kind === "steady") {
    const url = new URL(command.url);
    const total = command.rate * command.seconds;
    const latencies: number[] = [];
    const pending: Promise<void>[] = [];
    const started = Date.now();
    for (let i = 0; i < total; i++) {
      const wait = started + (i * 1000) / command.rate - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending.push(post(url, command.secret, command.users, command.offset + i).then((ms) => void latencies.push(ms)));
    }
    await Promise.all(pending);
    process.send!({ kind: "steady", latencies });
  } else if (command.kind === "say") {
    const pushed: Record<number, number> = {};
    const started = Date.now();
    for (const [i, m] of command.messages.entries()) {
      const wait = started + (i * command.spreadMs) / command.messages.length - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pushed[m.userId] = performance.timeOrigin + performance.now(); // the fake's clock
      fake.userSendsText({ id: m.userId, first_name: "H" }, m.text);
    }
    process.send!({ kind: "said", pushed });
  } else if (command.kind === "report") {
    process.send!({
      kind: "report",
      sent: fake.sent().map((s) => [String(s.chat_id), s.at]),
      rateLimited: fake.counters.rateLimited,
    });
  } else if (command.kind === "calls") {
    process.send!({
      kind: "calls",
      setWebhook: fake.calls.some((c) => c.method === "setWebhook"),
      sent: fake.sentCount(),
    });
  } else {
    agent.destroy();
    await fake.stop();
    process.exit(0);
  }
};
process.on("message", (command: Command) => void onCommand(command));
process.send!({ kind: "ready", apiRoot: fake.apiRoot, token: fake.token });
