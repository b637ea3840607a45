import { describe, expect, it } from "vitest";
import { ChannelSendError } from "../../../src/channels/channel.ts";
import { zca } from "../../../src/channels/zalo/normalise-zalo-event.ts";
import { classifyZaloError } from "../../../src/channels/zalo/zalo-errors.ts";

describe("classifyZaloError", () => {
  it("should classify Zalo errors for the delivery engine", () => {
    const c = (e: unknown) => classifyZaloError(e);
    expect(c(new zca.ZaloApiError("Không thể nhận tin nhắn từ bạn", 123))).toMatchObject({
      failure: "rate_limited",
      options: { retryAfterSeconds: 10800, scope: "chat", errorCode: 123 },
    });
    expect(c(new zca.ZaloApiError("session", 102)).failure).toBe("transient");
    expect(c(new zca.ZaloApiError("Request failed with status code 502")).failure).toBe("transient");
    expect(c(new zca.ZaloApiError("Request failed with status code 429"))).toMatchObject({
      failure: "rate_limited",
      options: { scope: "platform" },
    });
    expect(c(new zca.ZaloApiError("Failed to parse response data")).failure).toBe("transient");
    expect(c(new zca.ZaloApiError("Tham số không hợp lệ", 114))).toMatchObject({
      failure: "permanent",
      options: { errorCode: 114 },
    });
    expect(c(new zca.ZaloApiError("Missing message content")).failure).toBe("permanent");
    expect(
      c(new TypeError("fetch failed", { cause: Object.assign(new Error("reset"), { code: "ECONNRESET" }) })).failure,
    ).toBe("transient");
    expect(c(Object.assign(new Error("The operation was aborted"), { name: "AbortError" })).failure).toBe("transient");
    expect(c(new RangeError("bad")).failure).toBe("permanent");
    const already = new ChannelSendError("unreachable", "x");
    expect(c(already)).toBe(already);
  });
});
