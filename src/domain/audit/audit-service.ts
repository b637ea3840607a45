/** The audit log: every action an official, cadre or admin takes, with who, what and when. */
import type { Database } from "../../storage/database.ts";

export type AuditSource = "cli" | "chat" | "web" | "api" | "system";

export interface AuditEntry {
  actorPersonId?: number | null;
  source: AuditSource;
  action: string;
  entityType?: string;
  entityId?: number;
  detail?: Record<string, unknown>;
}

/** Appends one audit row. Never throws for a detail that cannot be serialised. */
export async function recordAudit(db: Database, entry: AuditEntry, now = new Date()): Promise<void> {
  let detail: string | null = null;
  try {
    detail = entry.detail ? JSON.stringify(entry.detail) : null;
  } catch {
    detail = null;
  }
  await db.sql.run(
    `INSERT INTO AuditLog (actorPersonId, source, action, entityType, entityId, detail, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    entry.actorPersonId ?? null, entry.source, entry.action, entry.entityType ?? null, entry.entityId ?? null, detail, now.getTime(),
  );
}
