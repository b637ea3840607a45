/**
 * The Zalo Bot Platform channel in webhook mode inside the whole service: when Zalo does not
 * accept setWebhook at start-up, the channel keeps retrying, and an admin sees it with /trangthai
 * until it is set.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeZaloBotServer } from "../fakes/zalo-bot-server.ts";
import { removeDir, startTestService, tempDir, waitUntil, type TestService } from "../helpers/service.ts";

let dir: string;
let running: TestService;
let zalo: FakeZaloBotServer;
/** The web chat session cookie the server issued ("chihoi_session=…"). */
let session: string;

beforeEach(async () => {
  dir = tempDir();
  zalo = new FakeZaloBotServer();
  await zalo.start();
  zalo.failNext("setWebhook", { error_code: 503, description: "Service Unavailable" }, 3);
  running = await startTestService(dir, {
    DEMO_MODE: "on",
    ZALO_BOT_TOKEN: zalo.token,
    ZALO_BOT_API_ROOT: zalo.apiRoot,
    ZALO_BOT_MODE: "webhook",
    ZALO_BOT_WEBHOOK_URL: "https://chihoi.example.vn",
    ZALO_BOT_WEBHOOK_SECRET: "webhook-secret-e2e",
  });
  const page = await fetch(`${running.service.url}/chat`);
  await page.text();
  session = page.headers.get("set-cookie")!.split(";")[0]!;
});
afterEach(async () => {
  await running.stop();
  await zalo.stop();
  await removeDir(dir);
});

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${running.service.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie: session },
    body: JSON.stringify(body),
  });
}

async function statusLines(id: string): Promise<string> {
  await post("/chat/api/send", { id, text: "/trangthai" });
  let found = "";
  await waitUntil(
    async () => {
      const { lines } = (await (
        await fetch(`${running.service.url}/chat/api/history`, { headers: { cookie: session } })
      ).json()) as { lines: { text: string }[] };
      found = lines.filter((l) => l.text?.startsWith("Tình trạng các kênh chat:")).at(-1)?.text ?? "";
      return lines.filter((l) => l.text?.startsWith("Tình trạng các kênh chat:")).length >= Number(id.slice(1));
    },
    5000,
    "status",
  );
  return found;
}

describe("Zalo Bot webhook in the service", () => {
  it("should retry setWebhook until Zalo accepts it and show an admin where it stands", async () => {
    const { members } = (await (await fetch(`${running.service.url}/chat/api/demo-members`)).json()) as {
      members: { id: number; role: string }[];
    };
    await post("/chat/api/demo-login", { personId: members.find((m) => m.role === "admin")!.id });
    const before = await statusLines("s1");
    expect(before).toContain("• Zalo Bot: CHƯA đặt được webhook, đang thử lại");
    expect(before).toContain("Service Unavailable");
    expect(before).not.toContain(zalo.token);

    await waitUntil(() => zalo.webhook !== undefined, 15_000, "webhook set");
    expect(zalo.callsOf("setWebhook")).toHaveLength(4);
    expect(zalo.webhook).toEqual({ url: "https://chihoi.example.vn/zalo-bot/webhook", secret: "webhook-secret-e2e" });
    expect(await statusLines("s2")).toContain("• Zalo Bot: webhook đã đặt");
  });
});
