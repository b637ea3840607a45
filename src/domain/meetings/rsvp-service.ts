/**
 * Members' answers to a meeting (có mặt / xin vắng + lý do / chưa chắc), the tally the cadre sees,
 * and the attendance the cadre records after the meeting (điểm danh).
 */
import type { Database } from "../../storage/database.ts";
import { prepared, type Slots } from "../../storage/prepared.ts";
import { AppError } from "../../lib/app-error.ts";
import { recordAudit } from "../audit/audit-service.ts";
import { actorPersonId, actorSource, assertActorCan, assertSelfOr, type Actor } from "../access/actor.ts";
import {
  getMeeting,
  invitedPeople,
  isInvited,
  mtMeetingColumns,
  pathWithin,
  toMeetingRow,
  type InvitedPerson,
} from "./meeting-queries.ts";
import type { MeetingRow, Named, RsvpAnswer, Tally } from "./meeting-types.ts";

export type { Named, RsvpAnswer, Tally };
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
export async function recordRsvp(
  db: Database,
  input: RsvpInput,
  now: Date,
): Promise<{ late: boolean; changed: boolean; previous: RsvpAnswer | null }> {
  if (!isRsvpAnswer(input.answer)) throw new AppError("invalid_input", { field: "answer" });
  return await db.transaction(async () => {
    const meeting = await getMeeting(db, input.meetingId);
    if (meeting.status === "cancelled") throw new AppError("meeting_cancelled", {});
    if (now.getTime() >= meeting.endsAt) throw new AppError("meeting_finished", {});
    await assertSelfOr(db, {
      actor: input.actor,
      personId: input.personId,
      permission: "manage_meetings",
      unitId: meeting.unitId,
    });
    if (!(await isInvited(db, meeting, input.personId))) throw new AppError("forbidden", {});
    const recordedById =
      input.actor.kind === "person" && input.actor.personId === input.personId ? null : actorPersonId(input.actor);
    const onBehalf = !(input.actor.kind === "person" && input.actor.personId === input.personId);
    const before = await rsvpOf.first(db, { meetingId: input.meetingId, personId: input.personId });
    const previous = before && isRsvpAnswer(before.answer) ? before.answer : null;
    const reason =
      input.reason === undefined
        ? previous === input.answer
          ? (before?.reason ?? null)
          : null
        : cleanReason(input.reason);
    const late = now.getTime() >= meeting.startsAt;
    await upsertRsvp.run(db, {
      meetingId: input.meetingId,
      personId: input.personId,
      answer: input.answer,
      reason,
      late,
      viaAccountId: input.viaAccountId ?? null,
      recordedById,
      answeredAt: now.getTime(),
    });
    if (onBehalf) {
      await recordAudit(
        db,
        {
          actorPersonId: recordedById,
          source: actorSource(input.actor),
          action: "rsvp.record",
          entityType: "Meeting",
          entityId: input.meetingId,
          detail: { personId: input.personId, answer: input.answer, previous },
        },
        now,
      );
    }
    return { late, changed: previous !== null && previous !== input.answer, previous };
  });
}

const rsvpOf = prepared((k, p: Slots<{ meetingId: number; personId: number }>) =>
  k
    .selectFrom("Rsvp")
    .select(["answer", "reason", "late", "answeredAt"])
    .where("meetingId", "=", p.meetingId)
    .where("personId", "=", p.personId),
);

const upsertRsvp = prepared(
  (
    k,
    p: Slots<{
      meetingId: number;
      personId: number;
      answer: string;
      reason: string | null;
      late: boolean;
      viaAccountId: number | null;
      recordedById: number | null;
      answeredAt: number;
    }>,
  ) =>
    k
      .insertInto("Rsvp")
      .values({
        meetingId: p.meetingId,
        personId: p.personId,
        answer: p.answer,
        reason: p.reason,
        late: p.late,
        viaAccountId: p.viaAccountId,
        recordedById: p.recordedById,
        answeredAt: p.answeredAt,
      })
      .onConflict((oc) =>
        oc.columns(["meetingId", "personId"]).doUpdateSet((eb) => ({
          answer: eb.ref("excluded.answer"),
          reason: eb.ref("excluded.reason"),
          late: eb.ref("excluded.late"),
          viaAccountId: eb.ref("excluded.viaAccountId"),
          recordedById: eb.ref("excluded.recordedById"),
          answeredAt: eb.ref("excluded.answeredAt"),
        })),
      ),
);

/**
 * Sets the reason of an existing answer (the member's reply to "lý do?"). Throws not_found (no
 * answer yet), meeting_cancelled, invalid_input (empty reason), forbidden (the actor is neither the
 * member nor someone who manages the meeting).
 */
export async function setRsvpReason(
  db: Database,
  { meetingId, personId, reason, actor }: { meetingId: number; personId: number; reason: string; actor: Actor },
): Promise<void> {
  const text = cleanReason(reason);
  if (!text) throw new AppError("invalid_input", { field: "reason" });
  await db.transaction(async () => {
    const meeting = await getMeeting(db, meetingId);
    await assertSelfOr(db, { actor, personId, permission: "manage_meetings", unitId: meeting.unitId });
    if (meeting.status === "cancelled") throw new AppError("meeting_cancelled", {});
    const r = await db.kysely
      .updateTable("Rsvp")
      .set({ reason: text })
      .where("meetingId", "=", meetingId)
      .where("personId", "=", personId)
      .executeTakeFirst();
    if (!Number(r.numUpdatedRows)) throw new AppError("not_found", { what: "rsvp" });
  });
}

/** A person's answer to a meeting, or undefined. */
export async function getRsvp(
  db: Database,
  meetingId: number,
  personId: number,
): Promise<{ answer: RsvpAnswer; reason: string | null; late: boolean; answeredAt: number } | undefined> {
  const row = await rsvpOf.first(db, { meetingId, personId });
  if (!row || !isRsvpAnswer(row.answer)) return undefined;
  return { ...row, answer: row.answer };
}

// Asked for nearly every member's message (an answer to a meeting notice): built once.
const pendingMeetingsQ = prepared(
  (k, p: Slots<{ personId: number; now: number; until: number }>) =>
    k
      .selectFrom("Meeting as mt")
      .innerJoin("Unit as u", "u.id", "mt.unitId")
      .leftJoin("Rsvp as r", (j) => j.onRef("r.meetingId", "=", "mt.id").on("r.personId", "=", p.personId))
      .select([...mtMeetingColumns, "u.name as unitName", "r.answer"])
      .where("mt.status", "=", "scheduled")
      .where("mt.endsAt", ">", p.now)
      .where("mt.startsAt", "<", p.until)
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom("Membership as m")
            .innerJoin("Unit as mu", "mu.id", "m.unitId")
            .select("m.id")
            .where("m.personId", "=", p.personId)
            .where((e) =>
              e.or([
                e("m.unitId", "=", e.ref("mt.unitId")),
                e.and([e("mt.includeSubtree", "=", true), pathWithin(e, e.ref("mu.path"), e.ref("u.path"))]),
              ]),
            ),
        ),
      )
      .orderBy("mt.startsAt")
      .orderBy("mt.id"),
  // Read for every attendance answer; its plan does not depend on the person (index lookups).
  { serverPrepared: true },
);

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
  const rows = await pendingMeetingsQ.all(db, { personId, now: nowMs, until: nowMs + withinDays * 86_400_000 });
  return rows.map(({ unitName, answer, ...meeting }) => ({
    ...toMeetingRow(meeting),
    unitName,
    answer: isRsvpAnswer(answer) ? answer : null,
  }));
}

/** One invitee with their answer and recorded attendance (`present` null until recorded). */
export interface InviteeRow extends InvitedPerson {
  answer: RsvpAnswer | null;
  reason: string | null;
  present: boolean | null;
}

const answersOf = prepared((k, p: Slots<{ meetingId: number }>) =>
  k.selectFrom("Rsvp").select(["personId", "answer", "reason"]).where("meetingId", "=", p.meetingId),
);
const attendanceRows = prepared((k, p: Slots<{ meetingId: number }>) =>
  k.selectFrom("Attendance").select(["personId", "present"]).where("meetingId", "=", p.meetingId),
);

/** Every invitee of a meeting (`invitedPeople`) with their answer and attendance, ordered by name. */
export async function inviteeAnswers(db: Database, meeting: MeetingRow): Promise<InviteeRow[]> {
  const people = await invitedPeople(db, meeting);
  const answers = new Map((await answersOf.all(db, { meetingId: meeting.id })).map((r) => [r.personId, r]));
  const present = new Map(
    (await attendanceRows.all(db, { meetingId: meeting.id })).map((r) => [r.personId, r.present]),
  );
  return people.map((p) => {
    const r = answers.get(p.personId);
    return {
      ...p,
      answer: r && isRsvpAnswer(r.answer) ? r.answer : null,
      reason: r?.reason ?? null,
      present: present.get(p.personId) ?? null,
    };
  });
}

/** Who answered what (names per category, reasons for absences), who is not linked, who came. */
export async function meetingTally(db: Database, meetingId: number): Promise<Tally> {
  const meeting = await getMeeting(db, meetingId);
  const rows = await inviteeAnswers(db, meeting);
  const tally: Tally = {
    meetingId,
    invited: rows.length,
    attend: [],
    absent: [],
    unsure: [],
    noAnswer: [],
    notLinked: 0,
    came: null,
  };
  const recorded = await attendanceRecorded(db, meetingId);
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
  {
    meetingId,
    presentPersonIds,
    actor,
    now,
  }: { meetingId: number; presentPersonIds: number[]; actor: Actor; now: Date },
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
    await db.kysely.deleteFrom("Attendance").where("meetingId", "=", meetingId).execute();
    // In chunks: a commune-wide meeting can have more invitees than one statement takes parameters.
    for (let i = 0; i < invited.length; i += 1000) {
      await db.kysely
        .insertInto("Attendance")
        .values(
          invited.slice(i, i + 1000).map((personId) => ({
            meetingId,
            personId,
            present: present.has(personId),
            recordedById: byPersonId,
            recordedAt: now.getTime(),
          })),
        )
        .execute();
    }
    const counts = { present: present.size, absent: invited.length - present.size };
    await recordAudit(
      db,
      {
        actorPersonId: byPersonId,
        source: actorSource(actor),
        action: "meeting.attendance",
        entityType: "Meeting",
        entityId: meetingId,
        detail: counts,
      },
      now,
    );
    return counts;
  });
}

/** The recorded attendance of a meeting: person id → present. Empty until recorded. */
export async function attendanceOf(db: Database, meetingId: number): Promise<Map<number, boolean>> {
  const rows = await attendanceRows.all(db, { meetingId });
  return new Map(rows.map((r) => [r.personId, r.present]));
}

const anyAttendance = prepared((k, p: Slots<{ meetingId: number }>) =>
  k.selectFrom("Attendance").select("id").where("meetingId", "=", p.meetingId).limit(1),
);

/** Whether the attendance of a meeting has been recorded. */
export async function attendanceRecorded(db: Database, meetingId: number): Promise<boolean> {
  return (await anyAttendance.first(db, { meetingId })) !== undefined;
}
