/**
 * The officials' view of people: search by name (with or without diacritics) or phone, a unit's
 * roster with link status, last activity and roles, and one person's page. Everything is limited
 * to the viewer's "read" scope: a person is visible when one of their units lies in it.
 */
import type { Database } from "../../storage/database.ts";
import { AppError } from "../../lib/app-error.ts";
import { normalisePhone } from "../../lib/phone.ts";
import { foldVietnamese } from "../../lib/vietnamese.ts";
import { assertCan, scopeCondition } from "../access/access-scope.ts";
import { getUnit } from "../units/unit-service.ts";

export interface RosterRow {
  id: number;
  fullName: string;
  phone: string | null;
  /** Highest role in the unit. */
  role: string;
  title: string | null;
  /** Linked platforms, comma-separated ("telegram,zalo"), or empty. */
  platforms: string;
  /** Last message from any of their accounts (epoch ms), or null. */
  lastSeenAt: number | null;
}

const rosterSelect = `SELECT p.id, p.fullName, p.phone,
    CASE MAX(CASE m.role WHEN 'admin' THEN 4 WHEN 'official' THEN 3 WHEN 'cadre' THEN 2 ELSE 1 END)
      WHEN 4 THEN 'admin' WHEN 3 THEN 'official' WHEN 2 THEN 'cadre' ELSE 'member' END AS role,
    MAX(m.title) AS title,
    (SELECT group_concat(DISTINCT a.platform) FROM ChatAccount a WHERE a.personId = p.id) AS platforms,
    (SELECT MAX(a.lastSeenAt) FROM ChatAccount a WHERE a.personId = p.id) AS lastSeenAt`;

/**
 * The people with a membership in the unit itself (not its children), by name, one page at a time
 * (`more` says whether another follows). Throws forbidden, unit_not_found.
 */
export async function unitRoster(db: Database, viewerId: number, unitId: number, page: { limit?: number; offset?: number } = {}): Promise<{ rows: RosterRow[]; more: boolean }> {
  const unit = await getUnit(db, unitId);
  await assertCan(db, viewerId, "read", unit.id);
  const limit = Math.min(5000, Math.max(1, Math.floor(page.limit ?? 500)));
  const offset = Math.max(0, Math.floor(page.offset ?? 0));
  const rows = await db.sql.all<RosterRow & { platforms: string | null }>(
    `${rosterSelect} FROM Membership m JOIN Person p ON p.id = m.personId WHERE m.unitId = ? GROUP BY p.id ORDER BY p.nameKey, p.id LIMIT ? OFFSET ?`,
    unit.id, limit + 1, offset,
  );
  return { rows: rows.slice(0, limit).map((r) => ({ ...r, platforms: r.platforms ?? "" })), more: rows.length > limit };
}

export interface PersonHit {
  id: number;
  fullName: string;
  phone: string | null;
  units: string;
  linkedAccounts: number;
}

/**
 * People in the viewer's read scope whose name contains the words typed (without diacritics or
 * case) or whose phone is the number typed. At most `limit` (default 50). Empty for empty input.
 */
export async function searchPeople(db: Database, viewerId: number, text: string, limit = 50): Promise<PersonHit[]> {
  const [cond, params] = await scopeCondition(db, viewerId, "read", "u");
  if (cond === "0") return [];
  const phone = /\d{6,}/.test(text.replace(/[\s.+()-]/g, "")) ? normalisePhone(text) : null;
  const key = foldVietnamese(text).replace(/[%_\\]/g, "");
  if (!phone && key.length < 2) return [];
  const match = phone ? `p.phone = ?` : `p.nameKey LIKE ? ESCAPE '\\'`;
  return await db.sql.all<PersonHit>(
    `SELECT p.id, p.fullName, p.phone, group_concat(DISTINCT u.name) AS units, p.linkedAccounts
     FROM Person p JOIN Membership m ON m.personId = p.id JOIN Unit u ON u.id = m.unitId
     WHERE ${match} AND ${cond} GROUP BY p.id ORDER BY p.nameKey, p.id LIMIT ?`,
    phone ?? `%${key}%`, ...params, Math.min(200, Math.max(1, limit)),
  );
}

export interface PersonProfile {
  person: { id: number; fullName: string; phone: string | null; birthYear: number | null; gender: string | null; note: string | null; locale: string };
  memberships: { unitId: number; unitName: string; role: string; title: string | null }[];
  accounts: { platform: string; displayName: string | null; linkedAt: number | null; lastSeenAt: number | null; unreachable: number; preferred: number }[];
  rsvps: { meetingId: number; title: string; startsAt: number; answer: string; reason: string | null; late: number }[];
  reads: { directiveId: number; title: string; sentAt: number | null; readAt: number | null; status: string }[];
  tickets: { id: number; status: string; createdAt: number; text: string | null }[];
}

/**
 * One person as an official sees them: memberships, chat accounts, their last 20 meeting answers,
 * directives and concerns. Throws person_not_found, forbidden (none of their units in the scope).
 */
export async function personProfile(db: Database, viewerId: number, personId: number): Promise<PersonProfile> {
  const person = await db.sql.get<PersonProfile["person"]>(`SELECT id, fullName, phone, birthYear, gender, note, locale FROM Person WHERE id = ?`, personId);
  if (!person) throw new AppError("person_not_found", { person: String(personId) });
  const memberships = await db.sql.all<PersonProfile["memberships"][number]>(
    `SELECT m.unitId, u.name AS unitName, m.role, m.title FROM Membership m JOIN Unit u ON u.id = m.unitId WHERE m.personId = ? ORDER BY u.path, m.role`,
    personId,
  );
  const [cond, params] = await scopeCondition(db, viewerId, "read", "u");
  const visible = cond !== "0" && await db.sql.get(`SELECT 1 FROM Membership m JOIN Unit u ON u.id = m.unitId WHERE m.personId = ? AND ${cond} LIMIT 1`, personId, ...params);
  if (!visible) throw new AppError("forbidden", { permission: "read" });
  return {
    person,
    memberships,
    accounts: await db.sql.all(`SELECT platform, displayName, linkedAt, lastSeenAt, unreachable, preferred FROM ChatAccount WHERE personId = ? ORDER BY preferred DESC, id`, personId),
    rsvps: await db.sql.all(
      `SELECT r.meetingId, mt.title, mt.startsAt, r.answer, r.reason, r.late FROM Rsvp r JOIN Meeting mt ON mt.id = r.meetingId WHERE r.personId = ? ORDER BY mt.startsAt DESC LIMIT 20`,
      personId,
    ),
    reads: await db.sql.all(
      `SELECT d.directiveId, x.title, d.sentAt, d.readAt, d.status FROM DirectiveDelivery d JOIN Directive x ON x.id = d.directiveId WHERE d.personId = ? ORDER BY d.id DESC LIMIT 20`,
      personId,
    ),
    tickets: await db.sql.all(
      `SELECT t.id, t.status, t.createdAt, (SELECT m.text FROM TicketMessage m WHERE m.ticketId = t.id ORDER BY m.id LIMIT 1) AS text FROM Ticket t WHERE t.personId = ? ORDER BY t.id DESC LIMIT 20`,
      personId,
    ),
  };
}
