/**
 * Read-side queries on meetings, shared by the meeting services, the scheduler and members'
 * commands: one meeting, what its messages say, who is invited (ONE definition, used by the
 * reminders, the tally, the answers and the invitee lists), and the meetings a person is invited to.
 * Imports no other meeting module but the types, so every one of them can use it.
 */
import type { ExpressionBuilder, Kysely, SqlBool, Expression } from "kysely";
import type { Database, DB } from "../../storage/database.ts";
import { prepared, type Slots } from "../../storage/prepared.ts";
import { AppError } from "../../lib/app-error.ts";
import { subtreeRange } from "../units/unit-service.ts";
import type { MeetingRow, MeetingText } from "./meeting-types.ts";

/** The columns of a MeetingRow. */
export const meetingColumns = [
  "id",
  "unitId",
  "seriesId",
  "title",
  "place",
  "agenda",
  "startsAt",
  "endsAt",
  "includeSubtree",
  "status",
  "previousStartsAt",
] as const;

/** The columns of a MeetingRow, for a query that joins the Meeting table as "mt". */
export const mtMeetingColumns = meetingColumns.map((c) => `mt.${c}` as const);

type StoredMeeting = Omit<MeetingRow, "status"> & { status: string };

/** A stored meeting as the domain type (any status but "scheduled" counts as cancelled). */
export function toMeetingRow(row: StoredMeeting): MeetingRow {
  return { ...row, status: row.status === "scheduled" ? "scheduled" : "cancelled" };
}

const meetingById = prepared((k, p: Slots<{ id: number }>) =>
  k.selectFrom("Meeting").select(meetingColumns).where("id", "=", p.id),
);

/** A meeting, or undefined when there is none with this id. */
export async function findMeeting(db: Database, id: number): Promise<MeetingRow | undefined> {
  const row = await meetingById.first(db, { id });
  return row && toMeetingRow(row);
}

/** Returns a meeting. Throws not_found. */
export async function getMeeting(db: Database, id: number): Promise<MeetingRow> {
  const row = await meetingById.first(db, { id });
  if (!row) throw new AppError("not_found", { what: "meeting" });
  return toMeetingRow(row);
}

/**
 * `inner` lies within the subtree of `outer` (its path starts with the other's; paths end with
 * "/", so "/1/2/" is within "/1/" and "/1/23/" is not within "/1/2/").
 */
export function pathWithin<D, TB extends keyof D>(
  eb: ExpressionBuilder<D, TB>,
  inner: Expression<string>,
  outer: Expression<string>,
): Expression<SqlBool> {
  return eb(eb.fn<string>("substr", [inner, eb.lit(1), eb.fn<number>("length", [outer])]), "=", outer);
}

const unitName = prepared((k, p: Slots<{ id: number }>) =>
  k.selectFrom("Unit").select(["name", "path"]).where("id", "=", p.id),
);

/** What the notices say about a meeting. */
export async function meetingText(db: Database, meeting: MeetingRow): Promise<MeetingText> {
  const name = (await unitName.first(db, { id: meeting.unitId }))?.name ?? "";
  return {
    title: meeting.title,
    place: meeting.place,
    agenda: meeting.agenda,
    startsAt: meeting.startsAt,
    unitName: name,
  };
}

// ---------------------------------------------------------------------------------------------
// Who is invited

/** The account a message to an invitee goes to (see `invitedPeople`). */
export interface DeliveryTarget {
  id: number;
  platform: string;
  externalId: string;
}

/** One invitee of a meeting. */
export interface InvitedPerson {
  personId: number;
  fullName: string;
  locale: string;
  /** Has at least one linked chat account (reachable or not). */
  linked: boolean;
  /** Where a message to them goes, or null when no linked account is reachable. */
  account: DeliveryTarget | null;
}

/**
 * The path range [lo, hi) of the units whose members a meeting invites: the unit's subtree when
 * the meeting includes it, else the unit alone (its unique path).
 */
export function invitedPathRange(unitPath: string, includeSubtree: boolean): [string, string] {
  // Paths compare bytewise on both engines (COLLATE "C" on PostgreSQL) and never hold control
  // characters, so [path, path + "\u0001") is the path alone. (Not "\u0000": PostgreSQL text
  // cannot hold it.)
  return includeSubtree ? subtreeRange(unitPath) : [unitPath, `${unitPath}\u0001`];
}

async function invitedRange(
  db: Database,
  meeting: Pick<MeetingRow, "unitId" | "includeSubtree">,
): Promise<[string, string] | null> {
  const unit = await unitName.first(db, { id: meeting.unitId });
  return unit ? invitedPathRange(unit.path, meeting.includeSubtree) : null;
}

/**
 * THE definition of an invitee, as a subquery of person ids: a person with a membership (any
 * role) in a unit whose path is in [lo, hi) (`invitedPathRange`). Memberships carry no dates:
 * today's members are invited. Every invitee list, count and check goes through this.
 */
export function invitedIds(k: Kysely<DB>, lo: string, hi: string) {
  return k
    .selectFrom("Membership as m")
    .innerJoin("Unit as iu", "iu.id", "m.unitId")
    .select("m.personId")
    .where("iu.path", ">=", lo)
    .where("iu.path", "<", hi);
}

const inviteesOf = prepared((k, p: Slots<{ lo: string; hi: string }>) =>
  k
    .selectFrom("Person as p")
    // The account a broadcast uses: the preferred reachable one, else another reachable one, web
    // chat last, the earliest linked first (as `deliveryAccount`).
    .leftJoin("ChatAccount as a", (j) =>
      j.on((eb) =>
        eb(
          "a.id",
          "=",
          eb
            .selectFrom("ChatAccount as ca")
            .select("ca.id")
            .whereRef("ca.personId", "=", "p.id")
            .where("ca.unreachable", "=", false)
            .orderBy("ca.preferred", "desc")
            .orderBy((e) => e.case().when("ca.platform", "=", "web").then(1).else(0).end())
            .orderBy((e) => e("ca.linkedAt", "is", null), "desc")
            .orderBy("ca.linkedAt")
            .orderBy("ca.id")
            .limit(1),
        ),
      ),
    )
    .select([
      "p.id as personId",
      "p.fullName",
      "p.locale",
      "p.linkedAccounts",
      "a.id as accountId",
      "a.platform",
      "a.externalId",
    ])
    .where("p.id", "in", invitedIds(k, p.lo, p.hi))
    .orderBy("p.nameKey")
    .orderBy("p.id"),
);

const oneInvitee = prepared((k, p: Slots<{ lo: string; hi: string; personId: number }>) =>
  invitedIds(k, p.lo, p.hi).where("m.personId", "=", p.personId).limit(1),
);

/**
 * Everyone invited to a meeting (members of its unit, or of the unit's subtree when the meeting
 * includes it), each once, ordered by name, with the account messages to them go to.
 */
export async function invitedPeople(
  db: Database,
  meeting: Pick<MeetingRow, "unitId" | "includeSubtree">,
): Promise<InvitedPerson[]> {
  const range = await invitedRange(db, meeting);
  if (!range) return [];
  const rows = await inviteesOf.all(db, { lo: range[0], hi: range[1] });
  return rows.map((r) => ({
    personId: r.personId,
    fullName: r.fullName,
    locale: r.locale,
    linked: r.linkedAccounts > 0,
    account:
      r.accountId != null && r.platform != null && r.externalId != null
        ? { id: r.accountId, platform: r.platform, externalId: r.externalId }
        : null,
  }));
}

/** Whether a person is invited to a meeting (`invitedPeople`'s rule, one indexed lookup). */
export async function isInvited(
  db: Database,
  meeting: Pick<MeetingRow, "unitId" | "includeSubtree">,
  personId: number,
): Promise<boolean> {
  const range = await invitedRange(db, meeting);
  if (!range) return false;
  return (await oneInvitee.first(db, { lo: range[0], hi: range[1], personId })) !== undefined;
}

// ---------------------------------------------------------------------------------------------
// A person's meetings

export interface UpcomingMeeting {
  id: number;
  unitId: number;
  unitName: string;
  title: string;
  place: string;
  agenda: string;
  startsAt: number;
  endsAt: number;
}

/**
 * Scheduled meetings a person is invited to, starting after `now`: meetings of their units, and of
 * ancestor units when the meeting includes the subtree.
 */
export async function listUpcomingForPerson(
  db: Database,
  personId: number,
  now = new Date(),
  limit = 5,
): Promise<UpcomingMeeting[]> {
  return await db.kysely
    .selectFrom("Membership as m")
    .innerJoin("Unit as mu", "mu.id", "m.unitId")
    .innerJoin("Meeting as mt", (j) => j.on("mt.status", "=", "scheduled").on("mt.startsAt", ">", now.getTime()))
    .innerJoin("Unit as u", "u.id", "mt.unitId")
    .where("m.personId", "=", personId)
    .where((eb) =>
      eb.or([
        eb("mt.unitId", "=", eb.ref("m.unitId")),
        eb.and([eb("mt.includeSubtree", "=", true), pathWithin(eb, eb.ref("mu.path"), eb.ref("u.path"))]),
      ]),
    )
    .select([
      "mt.id",
      "mt.unitId",
      "u.name as unitName",
      "mt.title",
      "mt.place",
      "mt.agenda",
      "mt.startsAt",
      "mt.endsAt",
    ])
    .distinct()
    .orderBy("mt.startsAt")
    .orderBy("mt.id")
    .limit(limit)
    .execute();
}
