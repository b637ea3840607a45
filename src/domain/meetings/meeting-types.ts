/**
 * The shapes shared by the meeting modules (types only, no code): meeting-service, reminder-plan,
 * rsvp-service, meeting-messages and meeting-queries all import from here, so none of them has to
 * import another for a type.
 */

/** A meeting (buổi sinh hoạt) as the domain sees it. */
export interface MeetingRow {
  id: number;
  unitId: number;
  seriesId: number | null;
  title: string;
  place: string;
  agenda: string;
  startsAt: number;
  endsAt: number;
  /** The whole subtree of the unit is invited, not only its own members. */
  includeSubtree: boolean;
  status: "scheduled" | "cancelled";
  previousStartsAt: number | null;
}

/** What planning and running meeting work needs to know about the moment. */
export interface MeetingContext {
  now: Date;
  /** The app time zone (Asia/Ho_Chi_Minh in production). */
  timeZone: string;
}

/** What the messages say about a meeting. */
export interface MeetingText {
  title: string;
  place: string;
  agenda: string;
  startsAt: number;
  unitName: string;
}

export interface Named {
  personId: number;
  fullName: string;
}

/** The answers to a meeting so far, per category, as the cadres see them. */
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

/** Có mặt, xin vắng, chưa chắc. */
export type RsvpAnswer = "attend" | "absent" | "unsure";
