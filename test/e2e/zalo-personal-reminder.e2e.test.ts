/**
 * The personal-account path end to end, through the real zca-js API and Listener against the fake
 * Zalo (encrypted frames): members link by DM, a meeting reminder goes out on Zalo, and they answer
 * with 👍 on the reminder (live, and while the socket is down: caught up after reconnecting) and
 * with "1". The tally counts each member once although Zalo's history repeats the reactions after
 * every reconnect.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { systemActor } from "../../src/domain/access/actor.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/test-db.ts";
import { buildTree, type TestTree } from "../helpers/tree.ts";
import { silentLogger } from "../helpers/telegram.ts";
import {
  FakeZaloServer,
  createFakeZaloApi,
  createFakeZaloFetch,
  rawMessage,
  rawReaction,
  type FakeZaloFetch,
} from "../fakes/zalo-ws-server.ts";
import { ZaloChannel } from "../../src/channels/zalo/zalo-channel.ts";
import { saveCredentials, type ZaloCredentials } from "../../src/channels/zalo/credential-store.ts";
import { Inbox } from "../../src/conversation/inbox.ts";
import { DeliveryEngine } from "../../src/delivery/delivery-engine.ts";
import { addMembership, createPerson } from "../../src/domain/people/people-service.ts";
import { issueLinkCode } from "../../src/domain/linking/link-service.ts";
import { createMeeting } from "../../src/domain/meetings/meeting-service.ts";
import { meetingTally } from "../../src/domain/meetings/rsvp-service.ts";
import { runDueJobs } from "../../src/scheduler/jobs.ts";
import { inOrder } from "../helpers/in-order.ts";
import { outstandingDeliveries } from "../helpers/outbox.ts";

const zone = "Asia/Ho_Chi_Minh";
const key = "e2e-zalo-key-0123456789abcdef";
const credentials: ZaloCredentials = {
  cookie: [{ key: "zpw_sek", value: "sek-e2e", domain: ".chat.zalo.me", path: "/" }],
  imei: "imei-e2e",
  userAgent: "Mozilla/5.0 (Test) Firefox/133.0",
};

let server: FakeZaloServer;
let fake: FakeZaloFetch;
let db: TestDatabase;
let tree: TestTree;
let channel: ZaloChannel;
let engine: DeliveryEngine;
let clock: Date;

beforeEach(async () => {
  clock = new Date("2026-11-30T01:00:00Z");
  server = new FakeZaloServer();
  const wsUrl = await server.start();
  fake = createFakeZaloFetch();
  db = await createTestDatabase();
  tree = await buildTree(db);
  await saveCredentials(db, key, credentials);
  engine = new DeliveryEngine(db, {
    concurrency: 4,
    maxAttempts: 3,
    logger: silentLogger,
    backoffBaseMs: 10,
    now: () => clock,
    limits: { zalo: { perSecond: 1000, chatIntervalMs: 0, groupPerMinute: 1000 } },
  });
  const inbox = new Inbox({
    db,
    logger: silentLogger,
    now: () => clock,
    settings: { timeZone: zone, defaultLocale: "vi", linkCodeTtlDays: 30 },
    onQueued: (p) => engine.kick(p),
  });
  channel = new ZaloChannel({
    db,
    config: { credentialsKey: key, sendIntervalMs: 0, newRecipientsPerHour: 1000 },
    logger: silentLogger,
    apiFactory: async (c) => createFakeZaloApi(c, { wsUrl, fetch: fake.fetch, secretKey: fake.secretKey, uid: "100" }),
    timing: { backoffBaseMs: 20, backoffMaxMs: 100 },
  });
  engine.addChannel(channel);
  await channel.start(async (m) => void (await inbox.receive(m)));
  await engine.start();
  await server.until(() => server.caughtUp());
});
afterEach(async () => {
  await channel.stop();
  await engine.stop();
  await server.stop();
  await db.destroy();
});

/** What the account sent to one chat, in order: text and the message id Zalo gave it. */
async function sentTo(uid: string): Promise<{ text: string; msgId: string }[]> {
  const rows = await db.kysely
    .selectFrom("MessageLog")
    .select(["text", "platformMessageId"])
    .where("platform", "=", "zalo")
    .where("chatId", "=", uid)
    .where("direction", "=", "out")
    .orderBy("id")
    .execute();
  return rows.map((r) => ({ text: r.text ?? "", msgId: r.platformMessageId ?? "" }));
}

async function waitForSent(uid: string, count: number): Promise<void> {
  await vi.waitFor(async () => expect((await sentTo(uid)).length).toBeGreaterThanOrEqual(count), { timeout: 10_000 });
}

async function reconnected(): Promise<void> {
  const n = server.connections.length;
  await server.until(() => server.connections.length === n + 1 && server.caughtUp(server.connections[n]));
}

describe("a member on the Zalo personal account", () => {
  it("should answer a reminder with 👍 (live or during a gap) or with '1', each counted once", async () => {
    const members = await inOrder(
      [
        { uid: "201", name: "Nguyễn Văn An" },
        { uid: "202", name: "Lê Thị Bình" },
        { uid: "203", name: "Trần Văn Cường" },
      ],
      async (m) => {
        const person = await createPerson(db, { fullName: m.name });
        await addMembership(db, {
          actor: systemActor(),
          personId: person.id,
          unitId: tree.branchA1.id,
          role: "member",
        });
        return { ...m, person };
      },
    );
    for (const m of members) {
      server.sendDirect(
        rawMessage({ uidFrom: m.uid, dName: m.name, content: `DK ${(await issueLinkCode(db, m.person.id)).code}` }),
      );
      await waitForSent(m.uid, 1);
    }
    const meeting = await createMeeting(
      db,
      {
        unitId: tree.branchA1.id,
        title: "Sinh hoạt chi hội",
        place: "Nhà văn hóa",
        startsAt: new Date("2026-12-04T12:30:00Z"),
      },
      { now: clock, timeZone: zone, actor: systemActor() },
    );

    clock = new Date("2026-12-01T01:00:00Z"); // 08:00, three days before, in Vietnam
    await runDueJobs(db, { now: clock, timeZone: zone, workerId: "test" });
    engine.kick();
    for (const m of members) await waitForSent(m.uid, 2);
    const reminders = await inOrder(members, async (m) => (await sentTo(m.uid))[1]!);
    for (const r of reminders) {
      expect(r.text).toContain("19:30 thứ Sáu, 04/12/2026");
      expect(r.msgId).toMatch(/^\d+$/);
    }
    // The reminder really went out through zca-js's REST call, to each member, choices numbered.
    expect(
      fake.calls
        .filter((c) => c.path.endsWith("/api/message/sms") && /Trả lời 1 để Có mặt/.test(String(c.params?.message)))
        .map((c) => c.params!.toid)
        .sort(),
    ).toEqual(["201", "202", "203"]);

    // An: 👍 on the reminder, live.
    const [an, binh, cuong] = members as [(typeof members)[number], (typeof members)[number], (typeof members)[number]];
    server.sendReaction(rawReaction(reminders[0]!.msgId, { uidFrom: an.uid, dName: an.name }));
    await waitForSent(an.uid, 3);
    expect((await sentTo(an.uid))[2]!.text).toContain("Đã ghi nhận: anh/chị có mặt");

    // Bình: 👍 while the socket is down; Zalo's history brings it after the reconnect.
    server.close(1006);
    await server.until(() => server.open === undefined);
    expect(server.sendReaction(rawReaction(reminders[1]!.msgId, { uidFrom: binh.uid, dName: binh.name }))).toBe(false);
    await reconnected();
    await waitForSent(binh.uid, 3);
    expect((await sentTo(binh.uid))[2]!.text).toContain("Đã ghi nhận: anh/chị có mặt");

    // Cường: answers "1".
    server.sendDirect(rawMessage({ uidFrom: cuong.uid, dName: cuong.name, content: "1" }));
    await waitForSent(cuong.uid, 3);
    expect((await sentTo(cuong.uid))[2]!.text).toContain("Đã ghi nhận: anh/chị có mặt");

    // Two more drops: each catch-up replays An's and Bình's 👍 again; they count once.
    for (let i = 0; i < 2; i++) {
      server.close(1006);
      await reconnected();
    }
    // Kept: a replayed event the channel has seen is dropped without a trace, and frames are
    // decrypted asynchronously (a later marker event is no barrier): nothing to wait on but time.
    await new Promise((r) => setTimeout(r, 200));
    engine.kick();
    // Whatever those replays queued has been sent once the outbox is empty.
    await vi.waitFor(async () => expect(await outstandingDeliveries(db)).toBe(0), { timeout: 10_000 });
    const tally = await meetingTally(db, meeting.id);
    expect(tally.attend.map((p) => p.fullName).sort()).toEqual(members.map((m) => m.name).sort());
    expect(tally.noAnswer).toEqual([]);
    for (const m of members)
      expect((await sentTo(m.uid)).filter((s) => s.text.includes("Đã ghi nhận"))).toHaveLength(1);
    const reactionsStored = (
      await db.kysely
        .selectFrom("MessageLog")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("platform", "=", "zalo")
        .where("direction", "=", "in")
        .where("kind", "=", "reaction")
        .executeTakeFirstOrThrow()
    ).n;
    expect(reactionsStored).toBe(2);
  });
});
