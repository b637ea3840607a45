/**
 * Group chats (nhóm chi hội) on every platform: an allow-list kept by the admins. The bot answers
 * only in groups an admin allowed (`chihoi groups allow`, or `/chophep` typed in the group by an
 * admin); every group it hears from is noted, so admins can find it in `chihoi groups list`.
 */
import type { Database } from "../../storage/database.ts";
import { AppError } from "../../lib/app-error.ts";
import { prepared, type Slots } from "../../storage/prepared.ts";
import { recordAudit } from "../audit/audit-service.ts";
import { scopeRoots } from "../access/access-scope.ts";
import { actorPersonId, actorSource, assertActorCan, type Actor } from "../access/actor.ts";

export interface ChatGroupRow {
  id: number;
  platform: string;
  externalId: string;
  title: string | null;
  unitId: number | null;
  allowed: boolean;
}

const groupColumns = ["id", "platform", "externalId", "title", "unitId", "allowed"] as const;

// Every group message asks whether its group is allowed: built once.
const allowedGroup = prepared((k, p: Slots<{ platform: string; externalId: string }>) =>
  k
    .selectFrom("ChatGroup")
    .select("id")
    .where("platform", "=", p.platform)
    .where("externalId", "=", p.externalId)
    .where("allowed", "=", true),
);

/** Whether an admin allowed the group. */
export async function isGroupAllowed(db: Database, platform: string, externalId: string): Promise<boolean> {
  return Boolean(await allowedGroup.first(db, { platform, externalId }));
}

/** Notes a group the bot heard from (not allowed until an admin allows it); keeps its latest title. Returns it. */
export async function noteGroup(
  db: Database,
  {
    platform,
    externalId,
    title,
    now = new Date(),
  }: { platform: string; externalId: string; title: string | null; now?: Date },
): Promise<ChatGroupRow> {
  return await db.kysely
    .insertInto("ChatGroup")
    .values({ platform, externalId, title: title?.slice(0, 200) ?? null, allowed: false, createdAt: now.getTime() })
    .onConflict((oc) =>
      oc
        .columns(["platform", "externalId"])
        .doUpdateSet((eb) => ({ title: eb.fn.coalesce("excluded.title", "ChatGroup.title") })),
    )
    .returning(groupColumns)
    .executeTakeFirstOrThrow();
}

/**
 * Allows or blocks a group, optionally tying it to a unit. The actor needs the administer right:
 * on the unit given, else on the group's unit, else (a group tied to no unit) anywhere — when
 * allowing from inside the group, the group is tied to the admin's top unit. Audited. Throws
 * not_found (no such group), forbidden.
 */
export async function setGroupAllowed(
  db: Database,
  {
    groupId,
    allowed,
    actor,
    unitId: givenUnitId,
    now = new Date(),
  }: { groupId: number; allowed: boolean; actor: Actor; unitId?: number | null; now?: Date },
): Promise<ChatGroupRow> {
  return await db.transaction(async () => {
    const group = Number.isSafeInteger(groupId)
      ? await db.kysely.selectFrom("ChatGroup").select(groupColumns).where("id", "=", groupId).executeTakeFirst()
      : undefined;
    if (!group) throw new AppError("not_found", { what: `#${groupId}` });
    let unitId = givenUnitId ?? group.unitId;
    if (unitId != null) await assertActorCan(db, actor, "administer", unitId);
    else if (actor.kind === "person") {
      const roots = await scopeRoots(db, actor.personId, "administer");
      if (!roots.length) throw new AppError("forbidden", { permission: "administer" });
      unitId = roots[0]!.unitId;
    }
    await db.kysely
      .updateTable("ChatGroup")
      .set({ allowed, unitId: unitId ?? null })
      .where("id", "=", groupId)
      .execute();
    await recordAudit(
      db,
      {
        actorPersonId: actorPersonId(actor),
        source: actorSource(actor),
        action: allowed ? "group.allow" : "group.deny",
        entityType: "ChatGroup",
        entityId: groupId,
        detail: { unitId },
      },
      now,
    );
    return await db.kysely
      .selectFrom("ChatGroup")
      .select(groupColumns)
      .where("id", "=", groupId)
      .executeTakeFirstOrThrow();
  });
}
