/**
 * A roster uploaded by an official (the web workplace): the same importer as `chihoi members
 * import`, with the uploader's rights checked (manage_people on the unit) and the import audited.
 * A dry run first, for the preview; then the same bytes applied.
 */
import { assertCan } from "../../domain/access/access-scope.ts";
import { personActor } from "../../domain/access/actor.ts";
import { type AuditSource, recordAudit } from "../../domain/audit/audit-service.ts";
import { type ImportResult, importRosterRows } from "../../domain/roster/import-roster.ts";
import type { Database } from "../../storage/database.ts";
import { readRosterBuffer } from "./read-roster.ts";

/** Largest roster file accepted by upload (about 100,000 rows of .xlsx). */
export const rosterUploadMaxBytes = 10 * 1024 * 1024;

export interface RosterUploadOptions {
  unitId: number;
  createUnits?: boolean;
  skipInvalid?: boolean;
  dryRun?: boolean;
  now: Date;
  source?: AuditSource;
}

/**
 * Reads a roster file's bytes and imports them under the unit as `actorId`. Throws forbidden
 * (no manage_people on the unit), file_empty / file_format / file_unreadable (whole-file problems).
 */
export async function importRosterUpload(
  db: Database,
  actorId: number,
  file: { bytes: Buffer; name: string },
  options: RosterUploadOptions,
): Promise<ImportResult> {
  await assertCan(db, actorId, "manage_people", options.unitId);
  const read = await readRosterBuffer(file.bytes, file.name);
  const result = await importRosterRows(db, read.rows, read.issues, {
    ...options,
    actor: personActor(actorId, options.source ?? "web"),
  });
  if (result.written)
    await recordAudit(
      db,
      {
        actorPersonId: actorId,
        source: options.source ?? "web",
        action: "roster.import",
        entityType: "Unit",
        entityId: options.unitId,
        detail: {
          created: result.created,
          updated: result.updated,
          invalid: result.invalidRows,
          units: result.unitsToCreate.length,
        },
      },
      options.now,
    );
  return result;
}
