/**
 * Demo activity on top of the demo organisation: a branch meeting next week, a directive summary
 * and two open tickets, so every part of the product has something to show.
 */
import { personActor, systemActor } from "../domain/access/actor.ts";
import type { Database } from "../storage/database.ts";
import type { DemoSeedResult } from "./demo-seed.ts";
import { addLocalDays, fromLocal, toLocal } from "../lib/zoned-time.ts";
import { createTicket } from "../domain/tickets/ticket-service.ts";
import { createMeeting } from "../domain/meetings/meeting-service.ts";
import { createDirective, sendDirective } from "../domain/directives/directive-service.ts";

export async function seedDemoActivity(
  db: Database,
  seeded: DemoSeedResult,
  timeZone: string,
  now = new Date(),
): Promise<void> {
  const branch = seeded.branches[0]!;
  const today = toLocal(now, timeZone);
  // Friday of next week, 19:30 local time.
  const daysToNextFriday = ((5 - today.weekday + 7) % 7) + 7;
  const day = addLocalDays(today, daysToNextFriday);
  const startsAt = fromLocal({ ...day, hour: 19, minute: 30 }, timeZone).getTime();
  await db.transaction(async () => {
    await createMeeting(
      db,
      {
        unitId: branch.id,
        title: "Sinh hoạt chi hội định kỳ",
        place: "Nhà văn hóa thôn An Lợi",
        agenda: "Quán triệt nghị quyết; bàn công tác chăm lo hội viên khó khăn; thu hội phí quý IV",
        startsAt: new Date(startsAt),
      },
      {
        now,
        timeZone,
        actor: seeded.cadreIds[0] !== undefined ? personActor(seeded.cadreIds[0], "system") : systemActor(),
      },
    );
    // Sent by the province admin to the whole tree: every demo member has it in /vanban, and those
    // who link an account later can still confirm reading it.
    const admin = seeded.cadreIds.at(-1)!;
    const directive = await createDirective(
      db,
      {
        unitId: seeded.rootUnitId,
        kind: "nghi_quyet",
        number: "05-NQ/HCCB",
        issuer: "Ban Thường vụ Hội CCB tỉnh",
        title: "Nghị quyết về công tác hội năm 2027",
        summary:
          "Tập trung phát triển hội viên mới, chăm lo đời sống hội viên khó khăn, tham gia giữ gìn an ninh trật tự ở cơ sở; mỗi chi hội sinh hoạt định kỳ ít nhất 1 lần/tháng.",
        createdById: admin,
      },
      now,
    );
    await sendDirective(db, directive.id, { now, byPersonId: admin });
  });
  const [a, b] = seeded.memberIds;
  if (a)
    await createTicket(
      db,
      { personId: a, text: "Đường vào thôn bị ngập mỗi khi mưa lớn, đề nghị hội kiến nghị xã nâng cấp." },
      now,
    );
  if (b)
    await createTicket(
      db,
      { personId: b, text: "Tôi muốn hỏi thủ tục hưởng chế độ cho hội viên bị bệnh do chất độc da cam." },
      now,
    );
}
