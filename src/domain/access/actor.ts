/**
 * Who performs a domain mutation. Every mutation that acts on a unit's data takes an Actor and
 * checks its scope itself, so that no caller (chat, web dashboard, API, CLI) can skip the check.
 *
 * - A person acts with the rights of their memberships (see access-scope.ts): a role on a unit
 *   covers its subtree, never a sibling or an ancestor.
 * - The system actor is the server's operator at the command line (`chihoi …`, source "cli") or
 *   the service's own jobs (source "system"). Whoever runs the CLI already holds the database
 *   file and the tokens, so it holds every permission; its actions are audited with their source
 *   and no person. Chat, web and API callers never get it: they act as the signed-in person.
 * - An API token (/api/v1) acts on one unit's subtree: it reads there, and a read-write token also
 *   imports rosters there (manage_people). It holds no other permission.
 */
import type { Database } from "../../storage/database.ts";
import { AppError } from "../../lib/app-error.ts";
import type { AuditSource } from "../audit/audit-service.ts";
import { can, type Permission } from "./access-scope.ts";
import { getUnit } from "../units/unit-service.ts";

export type Actor =
  | { readonly kind: "person"; readonly personId: number; readonly source?: AuditSource }
  | { readonly kind: "system"; readonly source: "cli" | "system" }
  | {
      readonly kind: "token";
      readonly tokenId: number;
      readonly unitPath: string;
      readonly write: boolean;
      readonly source: "api";
    };

/** A person acting through chat (default) or another source. */
export function personActor(personId: number, source: AuditSource = "chat"): Actor {
  return { kind: "person", personId, source };
}

/** The operator at the command line ("cli") or the service's own jobs ("system"). */
export function systemActor(source: "cli" | "system" = "system"): Actor {
  return { kind: "system", source };
}

/** The acting person's id, or null for the system. */
export function actorPersonId(actor: Actor): number | null {
  return actor.kind === "person" ? actor.personId : null;
}

/** Where the action came from, for the audit log. */
export function actorSource(actor: Actor): AuditSource {
  return actor.source ?? "chat";
}

/** Whether the actor holds `permission` on the unit (the system always does). */
export async function actorCan(db: Database, actor: Actor, permission: Permission, unitId: number): Promise<boolean> {
  if (actor.kind === "system") return true;
  if (actor.kind === "token")
    return (
      (permission === "read" || (actor.write && permission === "manage_people")) &&
      (await getUnit(db, unitId)).path.startsWith(actor.unitPath)
    );
  return can(db, actor.personId, permission, unitId);
}

/** Throws forbidden ({ permission }) unless `actorCan(...)`. */
export async function assertActorCan(
  db: Database,
  actor: Actor,
  permission: Permission,
  unitId: number,
): Promise<void> {
  if (!(await actorCan(db, actor, permission, unitId))) throw new AppError("forbidden", { permission });
}

/** The person themself, or someone with `permission` on the unit: for acts done on a member's behalf. */
export async function assertSelfOr(
  db: Database,
  { actor, personId, permission, unitId }: { actor: Actor; personId: number; permission: Permission; unitId: number },
): Promise<void> {
  if (actor.kind === "person" && actor.personId === personId) return;
  await assertActorCan(db, actor, permission, unitId);
}
