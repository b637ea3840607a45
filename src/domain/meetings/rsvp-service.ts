/**
 * Members' answers to a meeting (có mặt / xin vắng + lý do / chưa chắc), the tally the cadre sees,
 * and the attendance the cadre records after the meeting (điểm danh).
 */
import type { Database } from "../../storage/database.ts";
import { AppError } from "../../lib/app-error.ts";
import { recordAudit } from "../audit/audit-service.ts";
import { actorPersonId, actorSource, assertActorCan, assertSelfOr, type Actor } from "../access/actor.ts";
import { subtreeRange } from "../units/unit-service.ts";
import { getMeeting, isInvited, type MeetingRow } from "./meeting-service.ts";

export type RsvpAnswer = "attend" | "absent" | "unsure";
/** Có mặt, xin vắng, chưa chắc. */
export const rsvpAnswers: readonly RsvpAnswer[] = ["attend", "absent", "unsure"];

/** Whether a value is one of the three answers. */
export function isRsvpAnswer(value: unknown): value is RsvpAnswer {
  return typeof value === "string" && (rsvpAnswers as readonly string[]).includes(value);
}

/** Longer reasons are cut (a member's message can be long; the tally must stay readable). */
export const MAX_REASON_LENGTH = 500;

function cleanReason(reason: string | null | undefined): string | null {
  if (reason == null) return null;
  const text = String(reason).normalize("NFC").replace(/\s+/g, " ").trim().slice(0, MAX_REASON_LENGTH).trim();
  return text || null;
}

export interface RsvpInput {
  meetingId: number;
  personId: number;
  answer: RsvpAnswer;
  /** Why (mostly with "absent"). Omitted: kept when the answer is unchanged; null clears it. */
  reason?: string | null;
  /** The chat account it came from. */
  viaAccountId?: number | null;
  /**
   * Who records it: the member themself, or someone with manage_meetings on the meeting's unit (a
   * cadre for a member without a phone; the CLI operator).
   */
  actor: Actor;
}

/**
 * Records (or changes) a member's answer: one per meeting and person, changeable until the meeting
 * ends; an answer given at or after the start is marked late. `changed` is true when an earlier,
 * different answer was replaced; `previous` is that earlier answer. The reason is trimmed to 500
 * characters. An answer recorded by someone else is audited. Throws not_found, meeting_cancelled,
 * meeting_finished (now ≥ end), forbidden (not invited, or the actor is neither the member nor
 * someone who manages the meeting), invalid_input (answer).
 */
export async function recordRsvp(db: Database, input: RsvpInput, now: Date): Promise<{ late: boolean; changed: boolean; previous: RsvpAnswer | null }> {
  if (!isRsvpAnswer(input.answer)) throw new AppError("invalid_input", { field: "answer" });
  return await db.transaction(async () => {
    const meeting = await getMeeting(db, input.meetingId);
    if (meeting.status === "cancelled") throw new AppError("meeting_cancelled", {});
    if (now.getTime() >= meeting.endsAt) throw new AppError("meeting_finished", {});
    await assertSelfOr(db, input.actor, input.personId, "manage_meetings", meeting.unitId);
    if (!await isInvited(db, meeting, input.personId)) throw new AppError("forbidden", {});
    const recordedById = input.actor.kind === "person" && input.actor.personId === input.personId ? null : actorPersonId(input.actor);
    const onBehalf = !(input.actor.kind === "person" && input.actor.personId === input.personId);
    const before = await db.sql.get<{ answer: RsvpAnswer; reason: string | null }>(
      `SELECT answer, reason FROM Rsvp WHERE meetingId = ? AND personId = ?`,
      input.meetingId, input.personId,
    );
    const previous = before?.answer ?? null;
    const reason = input.reason === undefined ? (previous === input.answer ? (before?.reason ?? null) : null) : cleanReason(input.reason);
    const late = now.getTime() >= meeting.startsAt;
    await db.sql.run(
      `INSERT INTO Rsvp (meetingId, personId, answer, reason, late, viaAccountId, recordedById, answeredAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (meetingId, personId) DO UPDATE SET answer = excluded.answer, reason = excluded.reason, late = excluded.late,
         viaAccountId = excluded.viaAccountId, recordedById = excluded.recordedById, answeredAt = excluded.answeredAt`,
      input.meetingId, input.personId, input.answer, reason, late ? 1 : 0, input.viaAccountId ?? null,
      recordedById, now.getTime(),
    );
    if (onBehalf) {
      await recordAudit(
        db,
        { actorPersonId: recordedById, source: actorSource(input.actor), action: "rsvp.record", entityType: "Meeting", entityId: input.meetingId, detail: { personId: input.personId, answer: input.answer, previous } },
        now,
      );
    }
    return { late, changed: previous !== null && previous !== input.answer, previous };
  });
}

/**
 * Sets the reason of an existing answer (the member's reply to "lý do?"). Throws not_found (no
 * answer yet), meeting_cancelled, invalid_input (empty reason), forbidden (the actor is neither the
 * member nor someone who manages the meeting).
 */
export async function setRsvpReason(db: Database, meetingId: number, personId: number, reason: string, actor: Actor): Promise<void> {
  const text = cleanReason(reason);
  if (!text) throw new AppError("invalid_input", { field: "reason" });
  await db.transaction(async () => {
    const meeting = await getMeeting(db, meetingId);
    await assertSelfOr(db, actor, personId, "manage_meetings", meeting.unitId);
    if (meeting.status === "cancelled") throw new AppError("meeting_cancelled", {});
    const r = await db.sql.run(`UPDATE Rsvp SET reason = ? WHERE meetingId = ? AND personId = ?`, text, meetingId, personId);
    if (!r.changes) throw new AppError("not_found", { what: "rsvp" });
  });
}

/** A person's answer to a meeting, or undefined. */
export async function getRsvp(db: Database, meetingId: number, personId: number): Promise<{ answer: RsvpAnswer; reason: string | null; late: number; answeredAt: number } | undefined> {
  return await db.sql.get(`SELECT answer, reason, late, answeredAt FROM Rsvp WHERE meetingId = ? AND personId = ?`, meetingId, personId);
}

/**
 * Scheduled meetings the person is invited to that have not ended and start within `withinDays`,
 * soonest first, with the unit's name and the person's answer (null when none).
 */
export async function pendingMeetingsForPerson(
  db: Database,
  personId: number,
  now: Date,
  withinDays = 30,
): Promise<(MeetingRow & { unitName: string; answer: RsvpAnswer | null })[]> {
  const nowMs = now.getTime();
  return await db.sql.all(
    `SELECT mt.id, mt.unitId, mt.seriesId, mt.title, mt.place, mt.agenda, mt.startsAt, mt.endsAt, mt.includeSubtree, mt.status,
            mt.previousStartsAt, u.name AS unitName, r.answer AS answer
     FROM Meeting mt JOIN Unit u ON u.id = mt.unitId
     LEFT JOIN Rsvp r ON r.meetingId = mt.id AND r.personId = ?
     WHERE mt.status = 'scheduled' AND mt.endsAt > ? AND mt.startsAt < ?
       AND EXISTS (
         SELECT 1 FROM Membership m JOIN Unit mu ON mu.id = m.unitId
         WHERE m.personId = ? AND (m.unitId = mt.unitId OR (mt.includeSubtree = 1 AND substr(mu.path, 1, length(u.path)) = u.path))
       )
     ORDER BY mt.startsAt, mt.id`,
    personId, nowMs, nowMs + withinDays * 86_400_000, personId,
  );
}

export interface Named {
  personId: number;
  fullName: string;
}

export interface Tally {
  meetingId: number;
  invited: number;
  attend: Named[];
  absent: (Named & { reason: string | null })[];
  unsure: Named[];
  noAnswer: Named[];
  /** Invitees with no linked chat account (the cadre has to tell them in person). */
  notLinked: number;
  /** Who came, once attendance is recorded; null until then. */
  came: Named[] | null;
}

/** One invitee with their answer and recorded attendance (`present` null until recorded). */
export interface InviteeRow {
  personId: number;
  fullName: string;
  locale: string;
  linked: number;
  answer: RsvpAnswer | null;
  reason: string | null;
  present: number | null;
}

/** Every invitee of a meeting with their answer and attendance, ordered by name. */
export async function inviteeAnswers(db: Database, meeting: MeetingRow): Promise<InviteeRow[]> {
  const unit = (await db.sql.get<{ path: string }>(`SELECT path FROM Unit WHERE id = ?`, meeting.unitId))!;
  const [lo, hi] = meeting.includeSubtree ? subtreeRange(unit.path) : [unit.path, unit.path + "\u0000"];
  return db.sql.all<InviteeRow>(
    `SELECT p.id AS personId, p.fullName, p.locale, p.linkedAccounts > 0 AS linked, r.answer, r.reason, a.present
     FROM (SELECT DISTINCT m.personId FROM Membership m JOIN Unit u ON u.id = m.unitId WHERE u.path >= ? AND u.path < ?) inv
     JOIN Person p ON p.id = inv.personId
     LEFT JOIN Rsvp r ON r.meetingId = ? AND r.personId = p.id
     LEFT JOIN Attendance a ON a.meetingId = ? AND a.personId = p.id
     ORDER BY p.nameKey, p.id`,
    lo, hi, meeting.id, meeting.id,
  );
}

/** Who answered what (names per category, reasons for absences), who is not linked, who came. */
export async function meetingTally(db: Database, meetingId: number): Promise<Tally> {
  const meeting = await getMeeting(db, meetingId);
  const rows = await inviteeAnswers(db, meeting);
  const tally: Tally = { meetingId, invited: rows.length, attend: [], absent: [], unsure: [], noAnswer: [], notLinked: 0, came: null };
  const recorded = Boolean(await db.sql.get(`SELECT 1 FROM Attendance WHERE meetingId = ? LIMIT 1`, meetingId));
  if (recorded) tally.came = [];
  for (const r of rows) {
    const named = { personId: r.personId, fullName: r.fullName };
    if (r.answer === "attend") tally.attend.push(named);
    else if (r.answer === "absent") tally.absent.push({ ...named, reason: r.reason });
    else if (r.answer === "unsure") tally.unsure.push(named);
    else tally.noAnswer.push(named);
    if (!r.linked) tally.notLinked++;
    if (tally.came && r.present) tally.came.push(named);
  }
  return tally;
}

/**
 * Records who came (điểm danh): replaces the attendance of every invitee, present or not. Allowed
 * once the meeting has started. Audited. Throws not_found, forbidden (the actor may not manage
 * the meeting's unit), meeting_cancelled, invalid_input { field: "time" } before the start,
 * invalid_input { field: "personId" } for someone not invited.
 */
export async function recordAttendance(
  db: Database,
  meetingId: number,
  presentPersonIds: number[],
  actor: Actor,
  now: Date,
): Promise<{ present: number; absent: number }> {
  const byPersonId = actorPersonId(actor);
  return await db.transaction(async () => {
    const meeting = await getMeeting(db, meetingId);
    await assertActorCan(db, actor, "manage_meetings", meeting.unitId);
    if (meeting.status === "cancelled") throw new AppError("meeting_cancelled", {});
    if (now.getTime() < meeting.startsAt) throw new AppError("invalid_input", { field: "time" });
    const invited = (await inviteeAnswers(db, meeting)).map((r) => r.personId);
    const invitedSet = new Set(invited);
    const present = new Set(presentPersonIds);
    for (const id of present) if (!invitedSet.has(id)) throw new AppError("invalid_input", { field: "personId" });
    await db.sql.run(`DELETE FROM Attendance WHERE meetingId = ?`, meetingId);
    for (const personId of invited) {
      await db.sql.run(
        `INSERT INTO Attendance (meetingId, personId, present, recordedById, recordedAt) VALUES (?, ?, ?, ?, ?)`,
        meetingId, personId, present.has(personId) ? 1 : 0, byPersonId, now.getTime(),
      );
    }
    const counts = { present: present.size, absent: invited.length - present.size };
    await recordAudit(db, { actorPersonId: byPersonId, source: actorSource(actor), action: "meeting.attendance", entityType: "Meeting", entityId: meetingId, detail: counts }, now);
    return counts;
  });
}

/** The recorded attendance of a meeting: person id → present. Empty until recorded. */
export async function attendanceOf(db: Database, meetingId: number): Promise<Map<number, boolean>> {
  const rows = await db.sql.all<{ personId: number; present: number }>(`SELECT personId, present FROM Attendance WHERE meetingId = ?`, meetingId);
  return new Map(rows.map((r) => [r.personId, r.present === 1]));
}
