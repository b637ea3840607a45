/** Read-side queries on meetings used by members' commands. */
import type { Database } from "../../storage/database.ts";

export interface UpcomingMeeting {
  id: number;
  unitId: number;
  unitName: string;
  title: string;
  place: string;
  agenda: string;
  startsAt: number;
  endsAt: number;
}

/**
 * Scheduled meetings a person is invited to, starting after `now`: meetings of their units, and of
 * ancestor units when the meeting includes the subtree.
 */
export async function listUpcomingForPerson(db: Database, personId: number, now = new Date(), limit = 5): Promise<UpcomingMeeting[]> {
  return await db.sql.all<UpcomingMeeting>(
    `SELECT DISTINCT mt.id, mt.unitId, u.name AS unitName, mt.title, mt.place, mt.agenda, mt.startsAt, mt.endsAt
     FROM Membership m JOIN Unit mu ON mu.id = m.unitId
     JOIN Meeting mt ON mt.status = 'scheduled' AND mt.startsAt > ?
     JOIN Unit u ON u.id = mt.unitId
     WHERE m.personId = ? AND (mt.unitId = m.unitId OR (mt.includeSubtree = 1 AND substr(mu.path, 1, length(u.path)) = u.path))
     ORDER BY mt.startsAt LIMIT ?`,
    now.getTime(), personId, limit,
  );
}
