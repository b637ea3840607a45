/**
 * The Zalo session supervisor, through the channel that runs it: login from stored credentials,
 * needs_login and login-failure halts with one admin alert, network retries, re-login after a
 * session error, clean stop, keep-warm cookie refresh.
 */
import { describe, expect, it, vi } from "vitest";
import type { ZaloApi, ZaloAlert } from "../../../src/channels/zalo/zalo-supervisor.ts";
import { loadCredentials, saveCredentials, type ZaloCredentials } from "../../../src/channels/zalo/credential-store.ts";
import { zca } from "../../../src/channels/zalo/normalise-zalo-event.ts";
import {
  captureLogger,
  channel,
  creds,
  db,
  eventually,
  fake,
  key,
  makeChannel,
  online,
  realApi,
  server,
  timing,
  useZaloChannelHarness,
} from "../../helpers/zalo-channel-harness.ts";

useZaloChannelHarness();

describe("ZaloSupervisor", () => {
  it("should record needs_login and tell the admins when no login is stored, then resume once one is", async () => {
    const apiFactory = vi.fn(async (c: ZaloCredentials) => realApi(c));
    const { channel, notifyAdmins } = makeChannel({
      apiFactory,
      alertText: (a) => `ALERT ${a.kind} ${"reason" in a ? a.reason : ""}`,
    });
    await channel.start(async () => {});
    await vi.waitFor(async () => expect((await channel.status()).state).toBe("needs_login"), eventually);
    expect(notifyAdmins).toHaveBeenCalledWith("ALERT needs_login missing");
    expect(apiFactory).not.toHaveBeenCalled();
    await expect(channel.send({ chatId: "1", chatType: "private" }, { text: "x" })).rejects.toMatchObject({
      failure: "rate_limited",
      options: { scope: "platform" },
    });

    await saveCredentials(db, key, creds); // `chihoi zalo login` in another process
    await vi.waitFor(async () => expect((await channel.status()).state).toBe("online"), eventually);
    expect(apiFactory).toHaveBeenCalledTimes(1);
    expect(notifyAdmins).toHaveBeenCalledTimes(1);
    expect(server.connections).toHaveLength(1);
  });

  it("should treat undecryptable credentials as needs_login without logging secrets", async () => {
    await saveCredentials(db, "the-old-key-that-was-replaced", creds);
    const log = captureLogger();
    const apiFactory = vi.fn(async (c: ZaloCredentials) => realApi(c));
    const alerts: ZaloAlert[] = [];
    const { channel, notifyAdmins } = makeChannel({
      apiFactory,
      logger: log.logger,
      alertText: (a) => (alerts.push(a), "alert"),
    });
    await channel.start(async () => {});
    await vi.waitFor(async () => expect((await channel.status()).state).toBe("needs_login"), eventually);
    expect((await channel.status()).lastError).toMatch(/ZALO_CREDENTIALS_KEY/);
    expect(notifyAdmins).toHaveBeenCalledTimes(1);
    expect(alerts).toEqual([{ kind: "needs_login", reason: "wrong_key" }]);
    expect(apiFactory).not.toHaveBeenCalled();
    for (const secret of ["SECRET-cookie-v1", "SECRET-imei-777", key]) expect(log.text()).not.toContain(secret);
  });

  it("should stop after repeated login rejections instead of looping", async () => {
    await saveCredentials(db, key, creds);
    const apiFactory = vi.fn(async (): Promise<ZaloApi> => {
      throw new zca.ZaloApiError("Đăng nhập thất bại");
    });
    const alerts: ZaloAlert[] = [];
    const { channel, notifyAdmins } = makeChannel({ apiFactory, alertText: (a) => (alerts.push(a), "alert") });
    await channel.start(async () => {});
    await vi.waitFor(async () => expect((await channel.status()).state).toBe("needs_login"), eventually);
    expect(apiFactory).toHaveBeenCalledTimes(3);
    expect((await channel.status()).lastError).toMatch(/Đăng nhập thất bại/);
    // Kept: halted, only new credentials lead to a login; a loop that kept going would try again
    // within a backoff (≤ 10 ms here), and a try that does not happen leaves nothing to wait on.
    await new Promise((r) => setTimeout(r, 60));
    expect(apiFactory).toHaveBeenCalledTimes(3);
    expect(notifyAdmins).toHaveBeenCalledTimes(1);
    expect(alerts).toEqual([{ kind: "login_failed", attempts: 3 }]);
  });

  it("should keep retrying through network failures, which are not the login's fault", async () => {
    await saveCredentials(db, key, creds);
    let calls = 0;
    const apiFactory = vi.fn(async (c: ZaloCredentials): Promise<ZaloApi> => {
      if (++calls <= 5)
        throw new TypeError("fetch failed", {
          cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
        });
      return realApi(c);
    });
    const { channel, notifyAdmins } = makeChannel({ apiFactory });
    await channel.start(async () => {});
    await vi.waitFor(async () => expect((await channel.status()).state).toBe("online"), eventually);
    expect(apiFactory).toHaveBeenCalledTimes(6);
    expect(notifyAdmins).not.toHaveBeenCalled();
  });

  it("should log in again from the latest stored credentials after a session error, and only then", async () => {
    const { apiFactory } = await online();
    await saveCredentials(db, key, {
      ...creds,
      cookie: [{ key: "zpw_sek", value: "SECRET-cookie-v2", domain: "chat.zalo.me", path: "/" }],
    });
    server.close(1006);
    await server.until(() => server.connections.length === 2 && server.caughtUp(server.connections[1]));
    expect(apiFactory).toHaveBeenCalledTimes(1); // a close is not a reason to log in

    fake.failNext("/api/message/sms", 102, "The session key was improperly submitted or has reached its timeout");
    await expect(channel!.send({ chatId: "200", chatType: "private" }, { text: "x" })).rejects.toMatchObject({
      failure: "transient",
      options: { errorCode: 102 },
    });
    await vi.waitFor(() => expect(apiFactory).toHaveBeenCalledTimes(2), eventually);
    expect(JSON.stringify(apiFactory.mock.calls[1]![0])).toContain("SECRET-cookie-v2");
    await server.until(() => server.connections.length === 3 && server.caughtUp(server.connections[2]));
    expect(server.connections[2]!.cookie).toContain("SECRET-cookie-v2");
    // The old socket was closed before the new one opened: Zalo never sees two.
    expect(server.connections[1]!.closedAt).not.toBeNull();
    expect(server.connections[1]!.closedAt!).toBeLessThanOrEqual(server.connections[2]!.openedAt);
    expect(server.duplicates).toBe(0);
  });

  it("should stop promptly: no reconnect after stop()", async () => {
    const { channel, apiFactory } = await online();
    await channel.stop();
    // Kept: a reconnect after stop() would come within a backoff (≤ 10 ms here); one that does not
    // happen leaves nothing to wait on.
    await new Promise((r) => setTimeout(r, 40));
    expect(apiFactory).toHaveBeenCalledTimes(1);
    expect(server.connections).toHaveLength(1);
    expect(server.connections[0]!.closeCode).toBe(1000);
    expect((await channel.status()).state).toBe("stopped");
  });

  it("should keep the session warm and save renewed cookies only when they changed", async () => {
    await online({ timing: { ...timing, keepWarmMs: 5 } });
    fake.setCookieNext("zpw_sek=SECRET-cookie-warm; Domain=chat.zalo.me; Path=/");
    await vi.waitFor(
      () => expect(fake.calls.filter((c) => c.path.endsWith("/keepalive")).length).toBeGreaterThanOrEqual(1),
      eventually,
    );
    await vi.waitFor(
      async () => expect(JSON.stringify(await loadCredentials(db, key))).toContain("SECRET-cookie-warm"),
      eventually,
    );
  });
});
