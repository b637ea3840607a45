import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { removeDir, startTestService, tempDir, waitUntil, type TestService } from "../helpers/service.ts";
import { outstandingDeliveries } from "../helpers/outbox.ts";
import { webSendMaxBytes } from "../../src/channels/web/web-chat-channel.ts";

let dir: string;
let running: TestService;

beforeEach(async () => {
  dir = tempDir();
  running = await startTestService(dir, { DEMO_MODE: "auto" });
});
afterEach(async () => {
  await running.stop();
  await removeDir(dir);
});

/** The session cookie the server issued with the page ("chihoi_session=…"). */
let session: string;

async function openSession(): Promise<string> {
  const page = await fetch(`${running.service.url}/chat`);
  await page.text();
  return page.headers.get("set-cookie")!.split(";")[0]!;
}

beforeEach(async () => {
  session = await openSession();
});

async function post(path: string, body: unknown, cookie = session): Promise<Response> {
  return fetch(`${running.service.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie },
    body: JSON.stringify(body),
  });
}

async function history(): Promise<{
  linked: boolean;
  lines: { direction: string; text: string; choices?: { label: string; payload: string }[] }[];
}> {
  return (await fetch(`${running.service.url}/chat/api/history`, { headers: { cookie: session } })).json() as never;
}

describe("local web chat", () => {
  it("should start in demo mode on its own database and let a newcomer chat as a demo member", async () => {
    expect(running.service.demo).toBe(true);
    expect(running.service.db.file.endsWith("demo.db")).toBe(true);
    const page = await fetch(`${running.service.url}/chat`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("chọn một hội viên mẫu");
    const { members } = (await (await fetch(`${running.service.url}/chat/api/demo-members`)).json()) as {
      members: { id: number; name: string; role: string }[];
    };
    expect(members.length).toBeGreaterThanOrEqual(40);
    const member = members.find((m) => m.role === "member")!;
    expect((await post("/chat/api/demo-login", { personId: member.id })).status).toBe(200);

    // Live updates: an SSE stream receives the bot's reply without reloading.
    const events = await fetch(`${running.service.url}/chat/api/events`, { headers: { cookie: session } });
    const reader = events.body!.getReader();
    let streamed = "";
    const readAll = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        streamed += new TextDecoder().decode(value);
      }
    })();
    await waitUntil(() => streamed.includes("event: ready"), 5000, "ready");
    expect((await post("/chat/api/send", { id: "m1", text: "/start" })).status).toBe(200);
    await waitUntil(() => streamed.includes("event: message"), 5000, "message");
    expect(streamed).toContain(`Xin chào ${member.name}`);
    await reader.cancel();
    await readAll.catch(() => undefined);

    await post("/chat/api/send", { id: "m2", text: "/ngonngu" });
    await waitUntil(async () => (await history()).lines.some((l) => l.choices?.length), 5000, "choices");
    const withChoices = (await history()).lines.find((l) => l.choices?.length)!;
    expect(withChoices.choices!.map((c) => c.payload)).toEqual(["lang:vi", "lang:en"]);
    await post("/chat/api/send", { id: "m3", payload: "lang:en" });
    await waitUntil(async () => (await history()).lines.some((l) => l.text === "Switched to English."), 5000, "switch");
  });

  it("should show the channels' state to an admin with /trangthai, and not to a member", async () => {
    const { members } = (await (await fetch(`${running.service.url}/chat/api/demo-members`)).json()) as {
      members: { id: number; role: string }[];
    };
    const admin = members.find((m) => m.role === "admin")!;
    await post("/chat/api/demo-login", { personId: admin.id });
    await post("/chat/api/send", { id: "s1", text: "/trangthai" });
    await waitUntil(
      async () => (await history()).lines.some((l) => l.text?.startsWith("Tình trạng các kênh chat:")),
      5000,
      "status",
    );
    const status = (await history()).lines.find((l) => l.text?.startsWith("Tình trạng"))!.text;
    expect(status).toContain("• web: đang chạy");
    const member = members.find((m) => m.role === "member")!;
    await post("/chat/api/demo-login", { personId: member.id });
    await post("/chat/api/send", { id: "s2", text: "/trangthai" });
    await waitUntil(
      async () => (await history()).lines.some((l) => l.text?.includes("chỉ cán bộ, lãnh đạo")),
      5000,
      "refusal",
    );
  });

  it("should refuse bad requests without storing anything", async () => {
    const count = async () =>
      (
        await running.service.db.kysely
          .selectFrom("MessageLog")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow()
      ).n;
    const before = await count();
    expect((await post("/chat/api/send", { id: "x", text: "hi" }, "")).status).toBe(401);
    expect((await post("/chat/api/send", { id: "x", text: 42 })).status).toBe(400);
    expect((await post("/chat/api/send", { id: "x", text: "x".repeat(webSendMaxBytes) })).status).toBe(413);
    expect(
      (
        await fetch(`${running.service.url}/chat/api/send`, {
          method: "POST",
          headers: { cookie: session },
          body: "\u0000\u0001garbage",
        })
      ).status,
    ).toBe(400);
    expect(await count()).toBe(before);
  });

  it("should treat a resent message id as a duplicate", async () => {
    await post("/chat/api/send", { id: "dup", text: "help" });
    await post("/chat/api/send", { id: "dup", text: "help" });
    // Each post returns once its message is stored and handled, its replies queued: when the outbox
    // has drained, every reply either copy could cause has been sent.
    await waitUntil(async () => (await outstandingDeliveries(running.service.db)) === 0, 5000, "the outbox to drain");
    const h = await history();
    expect(h.lines.filter((l) => l.direction === "in")).toHaveLength(1);
    expect(h.lines.filter((l) => l.direction === "out")).toHaveLength(1);
  });
});
