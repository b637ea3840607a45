/** The audit log: every action an official, cadre or admin takes, with who, what and when. */
import type { Database } from "../../storage/database.ts";
import { prepared, type Slots } from "../../storage/prepared.ts";

export type AuditSource = "cli" | "chat" | "web" | "api" | "system";

export interface AuditEntry {
  actorPersonId?: number | null;
  source: AuditSource;
  action: string;
  entityType?: string;
  entityId?: number;
  detail?: Record<string, unknown>;
}

type AuditValues = {
  actorPersonId: number | null;
  source: string;
  action: string;
  entityType: string | null;
  entityId: number | null;
  detail: string | null;
  createdAt: number;
};

// Written by nearly every mutation (and by roster imports row by row): built once.
const insertAudit = prepared((k, p: Slots<AuditValues>) =>
  k.insertInto("AuditLog").values({
    actorPersonId: p.actorPersonId,
    source: p.source,
    action: p.action,
    entityType: p.entityType,
    entityId: p.entityId,
    detail: p.detail,
    createdAt: p.createdAt,
  }),
);

/** Appends one audit row. Never throws for a detail that cannot be serialised. */
export async function recordAudit(db: Database, entry: AuditEntry, now = new Date()): Promise<void> {
  let detail: string | null = null;
  try {
    detail = entry.detail ? JSON.stringify(entry.detail) : null;
  } catch {
    detail = null;
  }
  await insertAudit.run(db, {
    actorPersonId: entry.actorPersonId ?? null,
    source: entry.source,
    action: entry.action,
    entityType: entry.entityType ?? null,
    entityId: entry.entityId ?? null,
    detail,
    createdAt: now.getTime(),
  });
}
