/** `chihoi stats UNIT`: the unit's roll-up printed as an indented table. */
import type { Database } from "./storage/database.ts";
import type { Translate } from "./lib/i18n.ts";
import { rollUpCounts } from "./domain/units/unit-service.ts";

export function printCliStats(db: Database, unitId: number, t: Translate, out: (line: string) => void, _timeZone: string): void {
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
}
