import { describe, expect, it } from "vitest";
import { platformCapabilities, platformPreviews } from "../../../src/web/admin/directive-preview.tsx";
import { telegramMaxLength } from "../../../src/channels/telegram/telegram-channel.ts";
import { zaloMaxLength } from "../../../src/channels/zalo/zalo-channel.ts";
import { zaloBotMaxLength } from "../../../src/channels/zalo-bot/zalo-bot-channel.ts";
import { webMaxLength } from "../../../src/channels/web/web-chat-channel.ts";
import type { DirectiveRow } from "../../../src/domain/directives/directive-service.ts";

const directive = (summary: string): DirectiveRow => ({
  id: 7,
  unitId: 1,
  organisationId: null,
  kind: "thong_bao",
  number: "5/TB-HCCB",
  issuer: "Hội CCB xã",
  title: "Thông báo họp",
  summary,
  link: null,
  status: "draft",
  reminderDays: 3,
  createdById: null,
  createdAt: 0,
  sentAt: null,
});

describe("platformPreviews", () => {
  it("should use the limits the channels declare", () => {
    expect(platformCapabilities).toEqual({
      telegram: { buttons: true, maxLength: telegramMaxLength },
      zalo: { buttons: false, maxLength: zaloMaxLength },
      zalo_bot: { buttons: false, maxLength: zaloBotMaxLength },
      web: { buttons: true, maxLength: webMaxLength },
    });
  });

  it("should show buttons where the platform has them and numbered choices where not", () => {
    const [telegram, zalo] = platformPreviews(directive("Họp lúc 19:30."), "vi");
    expect(telegram).toMatchObject({ platform: "telegram", buttons: ["Đã đọc"], cut: false });
    expect(telegram!.text).toContain("Thông báo số 5/TB-HCCB của Hội CCB xã");
    expect(zalo).toMatchObject({ platform: "zalo", buttons: [], cut: false });
    expect(zalo!.text.endsWith("Trả lời 1 để Đã đọc")).toBe(true);
  });

  it("should cut a text too long for one Zalo message as the delivery engine will, and keep it whole on Telegram", () => {
    const previews = platformPreviews(directive("Câu dài. ".repeat(330).trim()), "vi");
    const zalo = previews.find((p) => p.platform === "zalo")!;
    const telegram = previews.find((p) => p.platform === "telegram")!;
    expect(zalo.cut).toBe(true);
    expect(zalo.text.length).toBeLessThanOrEqual(zaloMaxLength);
    expect(telegram.cut).toBe(false);
  });
});
