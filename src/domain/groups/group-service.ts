/**
 * Group chats (nhóm chi hội) on every platform: an allow-list kept by the admins. The bot answers
 * only in groups an admin allowed (`chihoi groups allow`, or `/chophep` typed in the group by an
 * admin); every group it hears from is noted, so admins can find it in `chihoi groups list`.
 */
import type { Database } from "../../storage/database.ts";
import { AppError } from "../../lib/app-error.ts";
import { recordAudit } from "../audit/audit-service.ts";
import { scopeRoots } from "../access/access-scope.ts";
import { actorPersonId, actorSource, assertActorCan, type Actor } from "../access/actor.ts";

export interface ChatGroupRow {
  id: number;
  platform: string;
  externalId: string;
  title: string | null;
  unitId: number | null;
  allowed: number;
}

/** Whether an admin allowed the group. */
export async function isGroupAllowed(db: Database, platform: string, externalId: string): Promise<boolean> {
  return Boolean(await db.sql.get(`SELECT 1 FROM ChatGroup WHERE platform = ? AND externalId = ? AND allowed = 1`, platform, externalId));
}

/** Notes a group the bot heard from (not allowed until an admin allows it); keeps its latest title. Returns it. */
export async function noteGroup(db: Database, platform: string, externalId: string, title: string | null, now = new Date()): Promise<ChatGroupRow> {
  await db.sql.run(
    `INSERT INTO ChatGroup (platform, externalId, title, allowed, createdAt) VALUES (?, ?, ?, 0, ?)
     ON CONFLICT (platform, externalId) DO UPDATE SET title = COALESCE(excluded.title, ChatGroup.title)`,
    platform, externalId, title?.slice(0, 200) ?? null, now.getTime(),
  );
  return (await db.sql.get<ChatGroupRow>(`SELECT id, platform, externalId, title, unitId, allowed FROM ChatGroup WHERE platform = ? AND externalId = ?`, platform, externalId))!;
}

/**
 * Allows or blocks a group, optionally tying it to a unit. The actor needs the administer right:
 * on the unit given, else on the group's unit, else (a group tied to no unit) anywhere — when
 * allowing from inside the group, the group is tied to the admin's top unit. Audited. Throws
 * not_found (no such group), forbidden.
 */
export async function setGroupAllowed(db: Database, groupId: number, allowed: boolean, actor: Actor, options: { unitId?: number | null; now?: Date } = {}): Promise<ChatGroupRow> {
  const now = options.now ?? new Date();
  return await db.transaction(async () => {
    const group = await db.sql.get<ChatGroupRow>(`SELECT id, platform, externalId, title, unitId, allowed FROM ChatGroup WHERE id = ?`, groupId);
    if (!group) throw new AppError("not_found", { what: `#${groupId}` });
    let unitId = options.unitId ?? group.unitId;
    if (unitId != null) await assertActorCan(db, actor, "administer", unitId);
    else if (actor.kind === "person") {
      const roots = await scopeRoots(db, actor.personId, "administer");
      if (!roots.length) throw new AppError("forbidden", { permission: "administer" });
      unitId = roots[0]!.unitId;
    }
    await db.sql.run(`UPDATE ChatGroup SET allowed = ?, unitId = ? WHERE id = ?`, allowed ? 1 : 0, unitId ?? null, groupId);
    await recordAudit(db, { actorPersonId: actorPersonId(actor), source: actorSource(actor), action: allowed ? "group.allow" : "group.deny", entityType: "ChatGroup", entityId: groupId, detail: { unitId } }, now);
    return (await db.sql.get<ChatGroupRow>(`SELECT id, platform, externalId, title, unitId, allowed FROM ChatGroup WHERE id = ?`, groupId))!;
  });
}
