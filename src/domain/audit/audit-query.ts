/**
 * The audit log of a subtree, for the web pages, the API and the CLI: who did what, when, and from
 * where (chat, web, CLI, API, the service itself), filtered by unit, person, action and period,
 * newest first, a page at a time.
 *
 * A row belongs to a unit through what it acted on: a unit itself, a meeting, series, directive or
 * concern (its unit now), a person's membership or a chat group (the unit in its detail). Rows
 * that touch no unit (an account linking itself, an organisation created) are shown only to the
 * system actor, and only without a unit filter.
 *
 * Rights: a person needs "read" on the unit; the system actor sees everything.
 */
import type { Database } from "../../storage/database.ts";
import { assertActorCan, type Actor } from "../access/actor.ts";
import { AppError } from "../../lib/app-error.ts";
import { getUnit, subtreeRange } from "../units/unit-service.ts";
import type { AuditSource } from "./audit-service.ts";
import { jsonInt } from "../../storage/dialect.ts";

export interface AuditQuery {
  /** The subtree to show (required for a person; the system may leave it out to see everything). */
  unitId?: number;
  /** Only what this person did. */
  actorPersonId?: number;
  /** An action ("ticket.answer") or a prefix ending with a dot ("ticket."). */
  action?: string;
  source?: AuditSource;
  from?: Date;
  to?: Date;
  /** 1-based page, and rows per page (at most MAX_AUDIT_PAGE_SIZE). */
  page?: number;
  pageSize?: number;
}

export interface AuditRow {
  id: number;
  createdAt: number;
  actorPersonId: number | null;
  actorName: string | null;
  source: string;
  action: string;
  entityType: string | null;
  entityId: number | null;
  /** The unit the action touched, when it touched one. */
  unitId: number | null;
  unitName: string | null;
  detail: Record<string, unknown> | null;
}

export interface AuditPage {
  rows: AuditRow[];
  page: number;
  pageSize: number;
  /** Rows matching the filters over all pages. */
  total: number;
}

export const MAX_AUDIT_PAGE_SIZE = 500;

/** One page of the audit log. Throws forbidden, unit_not_found, invalid_input (field page_size). */
export async function queryAuditLog(db: Database, actor: Actor, query: AuditQuery): Promise<AuditPage> {
  const pageSize = query.pageSize ?? 50;
  const page = query.page ?? 1;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_AUDIT_PAGE_SIZE)
    throw new AppError("invalid_input", { field: "page_size" });
  if (!Number.isInteger(page) || page < 1) throw new AppError("invalid_input", { field: "page" });
  if (query.unitId === undefined && actor.kind !== "system") throw new AppError("forbidden", { permission: "read" });
  const range = query.unitId !== undefined ? subtreeRange((await getUnit(db, query.unitId)).path) : undefined;
  if (query.unitId !== undefined) await assertActorCan(db, actor, "read", query.unitId);

  // Each row with the unit it touched: a unit itself, the unit of a meeting, series, directive or
  // concern (now), else the unitId of its detail (a membership, a chat group).
  const withUnit = db.kysely
    .selectFrom("AuditLog as l")
    .select([
      "l.id",
      "l.createdAt",
      "l.actorPersonId",
      "l.source",
      "l.action",
      "l.entityType",
      "l.entityId",
      "l.detail",
    ])
    .select((eb) =>
      eb
        .case(eb.ref("l.entityType"))
        .when("Unit")
        .then(eb.ref("l.entityId"))
        .when("Meeting")
        .then(eb.selectFrom("Meeting").select("Meeting.unitId").whereRef("Meeting.id", "=", "l.entityId"))
        .when("MeetingSeries")
        .then(
          eb.selectFrom("MeetingSeries").select("MeetingSeries.unitId").whereRef("MeetingSeries.id", "=", "l.entityId"),
        )
        .when("Directive")
        .then(eb.selectFrom("Directive").select("Directive.unitId").whereRef("Directive.id", "=", "l.entityId"))
        .when("Ticket")
        .then(eb.selectFrom("Ticket").select("Ticket.unitId").whereRef("Ticket.id", "=", "l.entityId"))
        .else(jsonInt(db.engine, eb.ref("l.detail"), "unitId"))
        .end()
        .as("unitId"),
    )
    .as("a");
  let base = db.kysely.selectFrom(withUnit).leftJoin("Unit as u", "u.id", "a.unitId");
  if (range) base = base.where("u.path", ">=", range[0]).where("u.path", "<", range[1]);
  if (query.actorPersonId !== undefined) base = base.where("a.actorPersonId", "=", query.actorPersonId);
  if (query.action) {
    const action = query.action;
    base = action.endsWith(".")
      ? base.where((eb) => eb(eb.fn<string>("substr", ["a.action", eb.val(1), eb.val(action.length)]), "=", action))
      : base.where("a.action", "=", action);
  }
  if (query.source) base = base.where("a.source", "=", query.source);
  if (query.from) base = base.where("a.createdAt", ">=", query.from.getTime());
  if (query.to) base = base.where("a.createdAt", "<", query.to.getTime());

  const counted = await base.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
  const rows = await base
    .leftJoin("Person as p", "p.id", "a.actorPersonId")
    .select([
      "a.id",
      "a.createdAt",
      "a.actorPersonId",
      "p.fullName as actorName",
      "a.source",
      "a.action",
      "a.entityType",
      "a.entityId",
      "u.id as unitId",
      "u.name as unitName",
      "a.detail",
    ])
    .orderBy("a.createdAt", "desc")
    .orderBy("a.id", "desc")
    .limit(pageSize)
    .offset((page - 1) * pageSize)
    .execute();
  return {
    rows: rows.map((r) => ({ ...r, detail: parseDetail(r.detail) })),
    page,
    pageSize,
    total: Number(counted.n),
  };
}

function parseDetail(detail: string | null): Record<string, unknown> | null {
  if (!detail) return null;
  try {
    const value: unknown = JSON.parse(detail);
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
