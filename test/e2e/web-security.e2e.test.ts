import { afterEach, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { prepare, removeDir, startTestService, tempDir, waitUntil, type TestService } from "../helpers/service.ts";
import { streamBody } from "../helpers/stream-body.ts";
import { sessionCookie, sessionsPerAddressPerHour, webSendMaxBytes } from "../../src/channels/web/web-chat-channel.ts";
import { maxRequestBytes } from "../../src/web/server.ts";
import { buildTree } from "../helpers/tree.ts";
import { addMembership, createPerson } from "../../src/domain/people/people-service.ts";
import { issueLinkCode } from "../../src/domain/linking/link-service.ts";
import { systemActor } from "../../src/domain/access/actor.ts";

let dir: string;
let running: TestService | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await removeDir(dir);
});

const url = (p: string) => `${running!.service.url}${p}`;

async function openSession(): Promise<{ cookie: string; header: string }> {
  const page = await fetch(url("/chat"));
  expect(page.status).toBe(200);
  await page.text();
  const header = page.headers.get("set-cookie")!;
  return { cookie: header.split(";")[0]!, header };
}

function send(cookie: string, id: string, text: string): Promise<Response> {
  return fetch(url("/chat/api/send"), {
    method: "POST",
    headers: { "content-type": "application/json", cookie },
    body: JSON.stringify({ id, text }),
  });
}

async function lastReply(cookie: string): Promise<string> {
  const h = (await (await fetch(url("/chat/api/history"), { headers: { cookie } })).json()) as {
    lines: { direction: string; text: string }[];
  };
  return h.lines.filter((l) => l.direction === "out").at(-1)?.text ?? "";
}

const storedCount = async () =>
  (
    await running!.service.db.kysely
      .selectFrom("MessageLog")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow()
  ).n;

describe("web chat switch", () => {
  it("should keep the web chat off on a real deployment unless WEB_CHAT=on", async () => {
    dir = tempDir();
    running = await startTestService(dir);
    expect(running.service.demo).toBe(false);
    expect((await fetch(url("/chat"))).status).toBe(404);
    expect((await fetch(url("/chat/api/send"), { method: "POST", body: "{}" })).status).toBe(404);
    expect(running.service.channels.map((c) => c.id)).not.toContain("web");
    await running.stop();
    running = await startTestService(dir, { WEB_CHAT: "on" });
    expect((await fetch(url("/chat"))).status).toBe(200);
  });
});

describe("web chat sessions", () => {
  it("should issue the session in an HttpOnly, SameSite=Strict, expiring cookie, never in the page or a URL", async () => {
    dir = tempDir();
    running = await startTestService(dir, { WEB_CHAT: "on" });
    const page = await fetch(url("/chat"));
    const html = await page.text();
    const header = page.headers.get("set-cookie")!;
    expect(header).toMatch(new RegExp(`^${sessionCookie}=[A-Za-z0-9_-]{43};`));
    expect(header).toMatch(/HttpOnly/i);
    expect(header).toMatch(/SameSite=Strict/i);
    expect(header).toMatch(/Max-Age=\d+/i);
    expect(header).toMatch(/Path=\/chat/i);
    const secret = header.split(";")[0]!.split("=")[1]!;
    expect(html).not.toContain(secret);
    expect(html).not.toContain("localStorage");
    expect(html).not.toContain("?session=");
    // The database keeps only a hash of the secret.
    const dump = JSON.stringify(await running.service.db.kysely.selectFrom("WebSession").selectAll().execute());
    expect(dump).not.toContain(secret);
  });

  it("should refuse a session id the client chose, in a cookie or in the URL, and store nothing", async () => {
    dir = tempDir();
    running = await startTestService(dir, { WEB_CHAT: "on" });
    const before = await storedCount();
    const forged = `${sessionCookie}=${randomBytes(32).toString("base64url")}`;
    expect((await send(forged, "x", "hello")).status).toBe(401);
    expect((await fetch(url("/chat/api/history?session=a1b2c3d4e5f6a7b8c9d0e1f2"))).status).toBe(401);
    expect((await fetch(url("/chat/api/events?session=a1b2c3d4e5f6a7b8c9d0e1f2"))).status).toBe(401);
    expect((await fetch(url("/chat/api/history"), { headers: { cookie: forged } })).status).toBe(401);
    expect(await storedCount()).toBe(before);
    // An issued session works.
    const { cookie } = await openSession();
    expect((await send(cookie, "x", "hello")).status).toBe(200);
  });

  it("should refuse an expired session", async () => {
    dir = tempDir();
    running = await startTestService(dir, { WEB_CHAT: "on" });
    const { cookie } = await openSession();
    await running.service.db.kysely
      .updateTable("WebSession")
      .set({ expiresAt: Date.now() - 1 })
      .execute();
    expect((await send(cookie, "x", "hello")).status).toBe(401);
  });

  it("should limit new sessions per address", async () => {
    dir = tempDir();
    running = await startTestService(dir, { WEB_CHAT: "on" });
    for (let i = 0; i < sessionsPerAddressPerHour; i++) await openSession();
    const refused = await fetch(url("/chat"));
    expect(refused.status).toBe(429);
    expect(refused.headers.get("set-cookie")).toBeNull();
  });
});

describe("guessing link codes through the web chat", () => {
  it("should hold the per-address limit however many sessions the guesser opens", async () => {
    dir = tempDir();
    const code = await prepare(dir, async (db) => {
      const tree = await buildTree(db);
      const p = await createPerson(db, { fullName: "Nguyễn Văn An" });
      await addMembership(db, { actor: systemActor(), personId: p.id, unitId: tree.branchA1.id, role: "member" });
      return (await issueLinkCode(db, p.id)).code;
    });
    running = await startTestService(dir, { WEB_CHAT: "on", LINK_GUESSES_PER_ADDRESS_HOUR: "6" });
    const wrong = code.startsWith("9") ? "1111 1111 1111" : "9999 9999 9999";
    // Three sessions, two wrong guesses each: the account limit (5) never applies, the address limit (6) does.
    for (let s = 0; s < 3; s++) {
      const { cookie } = await openSession();
      for (let i = 0; i < 2; i++) {
        expect((await send(cookie, `g${s}-${i}`, wrong)).status).toBe(200);
        await waitUntil(async () => (await lastReply(cookie)).includes("không đúng"), 5000, "wrong-code answer");
        await running.service.db.kysely.deleteFrom("MessageLog").where("direction", "=", "out").execute();
      }
    }
    const { cookie } = await openSession();
    await send(cookie, "right", code);
    await waitUntil(async () => (await lastReply(cookie)).length > 0, 5000, "answer");
    expect(await lastReply(cookie)).toContain("quá nhiều lần");
    expect(
      (
        await running.service.db.kysely
          .selectFrom("ChatAccount")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("personId", "is not", null)
          .executeTakeFirstOrThrow()
      ).n,
    ).toBe(0);
  });
});

describe("request body limits", () => {
  it("should answer 413 to a 150 MB streamed body on any route, store nothing, and keep serving", async () => {
    dir = tempDir();
    running = await startTestService(dir, { WEB_CHAT: "on" });
    const { cookie } = await openSession();
    const before = await storedCount();
    const huge = 150 * 1024 * 1024;
    const toChat = await streamBody(url("/chat/api/send"), huge, { headers: { cookie } });
    expect(toChat.status).toBe(413);
    expect(toChat.sent).toBeLessThan(huge);
    const declared = await streamBody(url("/chat/api/send"), huge, { headers: { cookie }, contentLength: true });
    expect(declared.status).toBe(413);
    // Routes that are not mounted (a webhook of a platform that is off) and the others share the cap.
    for (const route of ["/telegram/webhook", "/zalo-bot/webhook", "/health", "/anything"]) {
      const outcome = await streamBody(url(route), huge);
      expect(outcome.status, route).toBe(413);
    }
    expect(await storedCount()).toBe(before);
    expect((await fetch(url("/health"))).status).toBe(200);
    expect((await send(cookie, "after", "hello")).status).toBe(200);
    // Just under the limits is accepted.
    expect((await send(cookie, "big", "x".repeat(webSendMaxBytes - 100))).status).toBe(200);
    expect(maxRequestBytes).toBeGreaterThan(webSendMaxBytes);
  });

  it("should survive a 150 MB POST with the 128 MB heap `npm start` uses", async () => {
    dir = tempDir();
    const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/chihoi.js");
    const child = spawn(process.execPath, ["--max-old-space-size=128", bin, "start"], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: "0", LOG_LEVEL: "warn" },
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    let exited = false;
    child.once("exit", () => (exited = true));
    try {
      await waitUntil(() => out.includes("Stop: Ctrl+C."), 90_000, "start");
      const base = /Open (http:\/\/[^ ]+)\/chat/.exec(out)![1]!;
      const page = await fetch(`${base}/chat`);
      await page.text();
      const cookie = page.headers.get("set-cookie")!.split(";")[0]!;
      const outcome = await streamBody(`${base}/chat/api/send`, 150 * 1024 * 1024, { headers: { cookie } });
      expect(outcome.status).toBe(413);
      expect((await fetch(`${base}/health`)).status).toBe(200);
      expect(exited).toBe(false);
    } finally {
      child.kill("SIGTERM");
      if (!exited) await new Promise((r) => child.once("exit", r));
    }
    // Starting a service process takes several seconds on a loaded machine.
  }, 120_000);
});

describe("error responses", () => {
  it("should never echo an internal error message to the browser", async () => {
    dir = tempDir();
    running = await startTestService(dir, { WEB_CHAT: "on" });
    await running.service.db.kysely.schema.dropTable("WebSession").execute();
    const res = await fetch(url("/chat"));
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(body).toBe(JSON.stringify({ error: "internal" }));
    expect(body).not.toMatch(/WebSession|SQLITE|no such table|relation|does not exist/i);
  });
});
