/** `chihoi stats UNIT`: members and linked accounts, and meetings of the last 12 months, rolled up the tree. */
import type { Database } from "./storage/database.ts";
import type { Translate } from "./lib/i18n.ts";
import { rollUpCounts } from "./domain/units/unit-service.ts";
import { unitMeetingStats } from "./domain/meetings/meeting-stats.ts";

function percent(rate: number | null): string {
  return rate === null ? "—" : `${Math.round(rate * 100)}%`;
}

export function printCliStats(db: Database, unitId: number, t: Translate, out: (line: string) => void, now = new Date()): void {
  const counts = rollUpCounts(db, unitId);
  const base = counts[0]?.depth ?? 0;
  out(t("cli.stats_header"));
  for (const c of counts) {
    out(
      t("cli.stats_line", {
        indent: "  ".repeat(c.depth - base),
        name: c.name,
        level: c.levelLabel ? ` (${c.levelLabel})` : "",
        membersTotal: c.membersTotal,
        linkedTotal: c.linkedTotal,
        percent: c.membersTotal ? Math.round((100 * c.linkedTotal) / c.membersTotal) : 0,
      }),
    );
  }
  const from = new Date(now.getTime() - 365 * 86_400_000);
  out("");
  out(t("cli.stats_meetings_header"));
  for (const s of unitMeetingStats(db, unitId, { from, to: now })) {
    out(
      t("cli.stats_meetings_line", {
        indent: "  ".repeat(s.depth - base),
        name: s.name,
        held: s.meetingsHeldTotal,
        responseRate: percent(s.responseRateTotal),
        attendanceRate: percent(s.attendanceRateTotal),
      }),
    );
  }
}
