/**
 * Tickets: a member's concern (ý kiến, kiến nghị, tâm tư nguyện vọng), numbered, with a due date,
 * a thread of messages and a history of status changes.
 */
import type { Database } from "../../storage/database.ts";
import { AppError } from "../../lib/app-error.ts";
import { foldVietnamese } from "../../lib/vietnamese.ts";

export const ticketCategories = ["che_do_chinh_sach", "doi_song", "ha_tang", "an_ninh_trat_tu", "to_chuc_hoi", "khac"] as const;
export type TicketCategory = (typeof ticketCategories)[number];

const categoryWords: [TicketCategory, RegExp][] = [
  ["che_do_chinh_sach", /\b(che do|chinh sach|tro cap|luong huu|bao hiem|bhyt|bhxh|thuong binh|benh binh|chat doc|cong nhan|ho so|huong)\b/],
  ["ha_tang", /\b(duong|ngap|cau|cong|den duong|dien|nuoc sach|muong|kenh|ha tang|o ga|sat lo)\b/],
  ["an_ninh_trat_tu", /\b(an ninh|trat tu|tu tap|on ao|trom|cap|ma tuy|danh nhau|co bac|lua dao|dua xe)\b/],
  ["to_chuc_hoi", /\b(hoi phi|sinh hoat dinh ky|ket nap|the hoi vien|dai hoi|tai lieu|nghi quyet|bau cu|chuyen sinh hoat)\b/],
  ["doi_song", /\b(om|benh|kho khan|ngheo|tham hoi|viec lam|hoc|von vay|vay von|nha o|doi song|gia dinh|hoc nghe)\b/],
];

/** A suggested category from the text's words (the official can change it). */
export function suggestCategory(text: string): TicketCategory {
  const folded = foldVietnamese(text);
  for (const [category, words] of categoryWords) if (words.test(folded)) return category;
  return "khac";
}

/** The unit that answers a person's concern: the deepest unit where they are a member. */
export function homeUnitOf(db: Database, personId: number): { id: number; name: string; organisationId: number } | undefined {
  return db.sql.get(
    `SELECT u.id, u.name, u.organisationId FROM Membership m JOIN Unit u ON u.id = m.unitId
     WHERE m.personId = ? ORDER BY CASE m.role WHEN 'member' THEN 0 ELSE 1 END, u.depth DESC, m.id LIMIT 1`,
    personId,
  );
}

export interface NewTicket {
  personId: number;
  text: string;
  sourceAccountId?: number | null;
  messageLogId?: number | null;
  directiveId?: number | null;
}

export interface TicketCreated {
  id: number;
  unitId: number;
  unitName: string;
  dueAt: number;
  category: TicketCategory;
}

/**
 * Opens a ticket in the member's home unit with a due date from the organisation's setting.
 * Creating twice from the same inbound message returns the first ticket. Throws not_found when
 * the person belongs to no unit, invalid_input for empty text.
 */
export function createTicket(db: Database, input: NewTicket, now = new Date()): TicketCreated {
  const text = input.text.trim();
  if (!text) throw new AppError("invalid_input", { field: "text" });
  return db.sql.transaction(() => {
    if (input.messageLogId != null) {
      const existing = db.sql.get<{ ticketId: number }>(`SELECT ticketId FROM TicketMessage WHERE messageLogId = ? AND authorRole = 'member'`, input.messageLogId);
      if (existing) return describeTicket(db, existing.ticketId);
    }
    const unit = homeUnitOf(db, input.personId);
    if (!unit) throw new AppError("not_found", { what: "unit" });
    const days = db.sql.get<{ d: number }>(`SELECT ticketDueDays AS d FROM Organisation WHERE id = ?`, unit.organisationId)?.d ?? 7;
    const dueAt = now.getTime() + days * 86_400_000;
    const category = suggestCategory(text);
    const id = db.sql.run(
      `INSERT INTO Ticket (unitId, originUnitId, personId, directiveId, category, status, dueAt, sourceAccountId, createdAt, updatedAt)
       VALUES (?, ?, ?, ?, ?, 'new', ?, ?, ?, ?)`,
      unit.id, unit.id, input.personId, input.directiveId ?? null, category, dueAt, input.sourceAccountId ?? null, now.getTime(), now.getTime(),
    ).lastInsertRowid;
    db.sql.run(
      `INSERT INTO TicketMessage (ticketId, authorRole, authorPersonId, text, messageLogId, createdAt) VALUES (?, 'member', ?, ?, ?, ?)`,
      id, input.personId, text, input.messageLogId ?? null, now.getTime(),
    );
    db.sql.run(
      `INSERT INTO TicketStatusChange (ticketId, fromStatus, toStatus, toUnitId, byPersonId, createdAt) VALUES (?, NULL, 'new', ?, ?, ?)`,
      id, unit.id, input.personId, now.getTime(),
    );
    return { id, unitId: unit.id, unitName: unit.name, dueAt, category };
  });
}

function describeTicket(db: Database, id: number): TicketCreated {
  const row = db.sql.get<{ id: number; unitId: number; unitName: string; dueAt: number; category: TicketCategory }>(
    `SELECT t.id, t.unitId, u.name AS unitName, t.dueAt, t.category FROM Ticket t JOIN Unit u ON u.id = t.unitId WHERE t.id = ?`,
    id,
  );
  if (!row) throw new AppError("not_found", { what: "ticket" });
  return row;
}
