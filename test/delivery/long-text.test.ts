/**
 * Issue 10, point 5: a long text is shown once in chat, cut to the platform's length, with a note
 * of how much was cut and where to read it whole; `chihoi tickets show N` prints it whole.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createTestDatabase, type TestDatabase } from "../helpers/test-db.ts";
import { startFakeTelegram, telegramChannelFor, silentLogger } from "../helpers/telegram.ts";
import type { FakeTelegramServer } from "../fakes/telegram-server.ts";
import { buildTree } from "../helpers/tree.ts";
import { addTestPerson } from "../helpers/people.ts";
import { DeliveryEngine } from "../../src/delivery/delivery-engine.ts";
import { enqueue, getOutboxRow } from "../../src/domain/deliveries/outbox-service.ts";
import { createTicket } from "../../src/domain/tickets/ticket-service.ts";
import { fitMessage } from "../../src/channels/fit-message.ts";
import { choicesAsText } from "../../src/channels/channel.ts";

const concern = Array.from({ length: 2500 }, (_, i) => `Câu ${i + 1}: đường vào thôn bị ngập sâu sau mưa.`)
  .join(" ")
  .slice(0, 100_000);

describe("fitMessage", () => {
  it("should cut a 100,000-character text once for Telegram, saying how much was cut and where to read it", () => {
    expect(concern.length).toBe(100_000);
    const fitted = fitMessage(
      { text: concern, locale: "vi" },
      { maxLength: 4096, buttons: true },
      { type: "Ticket", id: 4 },
    );
    expect(fitted.text.length).toBeLessThanOrEqual(4096);
    expect(fitted.text.length).toBeGreaterThan(3500);
    const cut = Number(/đã lược ([\d.]+) ký tự/.exec(fitted.text)![1]!.replace(/\./g, ""));
    expect(cut).toBe(100_000 - fitted.text.split("…\n\n")[0]!.length);
    expect(fitted.text).toContain("chihoi tickets show 4");
  });

  it("should leave room for the numbered choices on a platform without buttons (Zalo Bot, 2,000)", () => {
    const message = {
      text: concern,
      locale: "en" as const,
      choices: [
        { label: "Take", payload: "a" },
        { label: "Answer", payload: "b" },
      ],
    };
    const fitted = fitMessage(message, { maxLength: 2000, buttons: false });
    expect(choicesAsText(fitted).length).toBeLessThanOrEqual(2000);
    expect(fitted.text).toMatch(/characters left out\.$/);
    expect(fitted.text).not.toContain("chihoi");
  });

  it("should leave a text that fits untouched", () => {
    const message = { text: "Xin chào" };
    expect(fitMessage(message, { maxLength: 4096, buttons: true })).toBe(message);
  });
});

describe("a long concern in chat and on the command line", () => {
  let db: TestDatabase;
  let fake: FakeTelegramServer;
  let engine: DeliveryEngine | undefined;
  beforeEach(async () => {
    db = await createTestDatabase();
    fake = await startFakeTelegram({ limits: {} });
  });
  afterEach(async () => {
    await engine?.stop();
    await fake.stop();
    await db.destroy();
  });

  it("should reach the official as one message, and print whole with chihoi tickets show", async () => {
    const tree = await buildTree(db);
    const member = await addTestPerson(db, tree.branchA1.id, "Lê Văn Ba");
    const ticket = (await createTicket(db, { personId: member, text: "Đường ngập" })).id;
    // However the ticket got its text (limits on new tickets come from elsewhere), it is read whole here.
    await db.kysely.updateTable("TicketMessage").set({ text: concern }).where("ticketId", "=", ticket).execute();
    const id = (await enqueue(db, {
      platform: "telegram",
      chatId: "9100",
      body: { text: `Ý kiến #${ticket}\n\n${concern}` },
      entityType: "Ticket",
      entityId: ticket,
    }))!;
    engine = new DeliveryEngine(db, {
      concurrency: 2,
      maxAttempts: 3,
      logger: silentLogger,
      limits: { telegram: { perSecond: 30, chatIntervalMs: 1000, groupPerMinute: 20 } },
    });
    engine.addChannel(telegramChannelFor(fake));
    await engine.start();
    await fake.waitForSent(1, 10_000, 9100);
    await vi.waitUntil(async () => (await getOutboxRow(db, id))?.status === "sent", { timeout: 10_000, interval: 20 });
    // Stopped: whatever it was still doing is done, and nothing more can go out.
    await engine.stop();
    engine = undefined;
    expect((await getOutboxRow(db, id))!.status).toBe("sent");
    expect(fake.sent(9100)).toHaveLength(1);
    expect(fake.sent(9100)[0]!.text).toContain(`chihoi tickets show ${ticket}`);

    const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/chihoi.js");
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [bin, "tickets", "show", String(ticket)],
        {
          env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: db.url, LOG_LEVEL: "silent" },
          maxBuffer: 10_000_000,
        },
        (error, out) => (error ? reject(error) : resolve(out)),
      ),
    );
    expect(stdout).toContain(`#${ticket}`);
    expect(stdout).toContain(concern);
  }, 60_000);
});
