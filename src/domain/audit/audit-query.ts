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

/** The unit an audit row touched, as an SQL expression over AuditLog a. */
const auditUnitId = `CASE a.entityType
  WHEN 'Unit' THEN a.entityId
  WHEN 'Meeting' THEN (SELECT unitId FROM Meeting WHERE id = a.entityId)
  WHEN 'MeetingSeries' THEN (SELECT unitId FROM MeetingSeries WHERE id = a.entityId)
  WHEN 'Directive' THEN (SELECT unitId FROM Directive WHERE id = a.entityId)
  WHEN 'Ticket' THEN (SELECT unitId FROM Ticket WHERE id = a.entityId)
  ELSE CAST(json_extract(a.detail, '$.unitId') AS INTEGER) END`;

/** One page of the audit log. Throws forbidden, unit_not_found, invalid_input (field page_size). */
export async function queryAuditLog(db: Database, actor: Actor, query: AuditQuery): Promise<AuditPage> {
  const pageSize = query.pageSize ?? 50;
  const page = query.page ?? 1;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_AUDIT_PAGE_SIZE) throw new AppError("invalid_input", { field: "page_size" });
  if (!Number.isInteger(page) || page < 1) throw new AppError("invalid_input", { field: "page" });
  if (query.unitId === undefined && actor.kind !== "system") throw new AppError("forbidden", { permission: "read" });

  const where: string[] = [];
  const params: (string | number)[] = [];
  if (query.unitId !== undefined) {
    const unit = await getUnit(db, query.unitId);
    await assertActorCan(db, actor, "read", unit.id);
    const [lo, hi] = subtreeRange(unit.path);
    where.push(`u.path >= ? AND u.path < ?`);
    params.push(lo, hi);
  }
  if (query.actorPersonId !== undefined) {
    where.push(`a.actorPersonId = ?`);
    params.push(query.actorPersonId);
  }
  if (query.action) {
    if (query.action.endsWith(".")) {
      where.push(`substr(a.action, 1, ?) = ?`);
      params.push(query.action.length, query.action);
    } else {
      where.push(`a.action = ?`);
      params.push(query.action);
    }
  }
  if (query.source) {
    where.push(`a.source = ?`);
    params.push(query.source);
  }
  if (query.from) {
    where.push(`a.createdAt >= ?`);
    params.push(query.from.getTime());
  }
  if (query.to) {
    where.push(`a.createdAt < ?`);
    params.push(query.to.getTime());
  }
  const base = `FROM (SELECT a.*, ${auditUnitId} AS unitId FROM AuditLog a) a LEFT JOIN Unit u ON u.id = a.unitId
    ${where.length ? `WHERE ${where.join(" AND ")}` : ""}`;
  const total = (await db.sql.get<{ n: number }>(`SELECT COUNT(*) AS n ${base}`, ...params))!.n;
  const rows = await db.sql.all<Omit<AuditRow, "detail"> & { detail: string | null }>(
    `SELECT a.id, a.createdAt, a.actorPersonId, p.fullName AS actorName, a.source, a.action, a.entityType, a.entityId,
            u.id AS unitId, u.name AS unitName, a.detail
     ${base.replace("LEFT JOIN Unit u ON u.id = a.unitId", "LEFT JOIN Unit u ON u.id = a.unitId LEFT JOIN Person p ON p.id = a.actorPersonId")}
     ORDER BY a.createdAt DESC, a.id DESC LIMIT ? OFFSET ?`,
    ...params, pageSize, (page - 1) * pageSize,
  );
  return {
    rows: rows.map((r) => ({ ...r, detail: parseDetail(r.detail) })),
    page, pageSize, total,
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
