import { describe, expect, it } from "vitest";
import type { Channel } from "../../../src/channels/channel.ts";
import { linkTargets } from "../../../src/web/admin/slip-routes.tsx";

const channel = (id: string, extra: object = {}) => ({ id, ...extra }) as unknown as Channel;

describe("linkTargets", () => {
  it("should give Telegram's deep link with the code once the bot knows its name, and the web chat's address", () => {
    const ready = channel("telegram", { bot: { botInfo: { username: "ChiHoiBot" } } });
    const targets = linkTargets([channel("web"), ready, channel("zalo")], () => "http://localhost:3000");
    expect(targets.map((x) => [x.platform, x.name, x.url("012345")])).toEqual([
      ["web", "http://localhost:3000/chat", "http://localhost:3000/chat"],
      ["telegram", "@ChiHoiBot", "https://t.me/ChiHoiBot?start=012345"],
    ]);
    const notYet = channel("telegram", {
      bot: {
        get botInfo() {
          throw new Error("Bot not initialized!");
        },
      },
    });
    expect(linkTargets([notYet], () => "x").map((x) => x.platform)).toEqual([]);
  });
});
