/**
 * What officials need around a directive beyond composing and sending it (directive-service.ts):
 * its reach per unit before sending, which directives a person may look at and from which unit,
 * the list of a subtree's directives, the members who have not read one, and "remind those who
 * have not read now". Used by the web workplace; written on the typed data layer (both engines).
 *
 * Rights: composing needs send_directives on the unit; looking needs read on the unit viewed,
 * which must be the directive's unit or inside its subtree (a commune sees how its own people
 * read a province's directive, never the other communes); reminding needs send_directives on the
 * directive's unit. Outside any of these a directive is not_found, so nobody learns which exist.
 */
import type { Database } from "../../storage/database.ts";
import { AppError } from "../../lib/app-error.ts";
import { actorCan, actorPersonId, actorSource, assertActorCan, type Actor } from "../access/actor.ts";
import { scopeRoots } from "../access/access-scope.ts";
import { findUnit, subtreeRange, type UnitRow } from "../units/unit-service.ts";
import { isDirectiveKind, type DirectiveKind, type DirectiveStatus } from "./directive-service.ts";

const DAY_MS = 86_400_000;

/** People a directive to a unit would reach there: everyone with a membership, and how many have a reachable linked account. */
export interface Reach {
  total: number;
  linked: number;
  notLinked: number;
}

export interface UnitReach extends Reach {
  unitId: number;
  name: string;
  levelLabel: string;
}

export interface DirectiveReach extends Reach {
  /** People with a membership in the unit itself. */
  direct: Reach;
  /** Each direct sub-unit's subtree (sub-units without anybody left out), by name. */
  units: UnitReach[];
}

type Range = { lo: string; hi: string } | { unitId: number };

async function reachOf(db: Database, where: Range, organisationId: number | null): Promise<Reach> {
  const row = await db.kysely
    .selectFrom("Membership as m")
    .innerJoin("Unit as u", "u.id", "m.unitId")
    .$if("lo" in where, (q) => ("lo" in where ? q.where("u.path", ">=", where.lo).where("u.path", "<", where.hi) : q))
    .$if("unitId" in where, (q) => ("unitId" in where ? q.where("u.id", "=", where.unitId) : q))
    .$if(organisationId !== null, (q) => q.where("u.organisationId", "=", organisationId ?? 0))
    .select((eb) => [
      eb.fn.count<number>("m.personId").distinct().as("total"),
      eb.fn
        .count<number>(
          eb
            .case()
            .when(
              eb.exists(
                eb
                  .selectFrom("ChatAccount as c")
                  .select("c.id")
                  .whereRef("c.personId", "=", "m.personId")
                  .where("c.unreachable", "=", false),
              ),
            )
            .then(eb.ref("m.personId"))
            .end(),
        )
        .distinct()
        .as("linked"),
    ])
    .executeTakeFirstOrThrow();
  const total = Number(row.total);
  const linked = Number(row.linked);
  return { total, linked, notLinked: total - linked };
}

/**
 * Whom a directive to `unitId` would reach, before anything is stored: in total, in the unit
 * itself and in each direct sub-unit, each split into linked (a reachable chat account, so a copy
 * is sent) and not linked. The same audience as `sendDirective`. Throws unit_not_found, forbidden
 * unless the actor may send directives to the unit.
 */
export async function directiveReach(
  db: Database,
  actor: Actor,
  unitId: number,
  organisationId: number | null = null,
): Promise<DirectiveReach> {
  const unit = await findUnit(db, unitId);
  await assertActorCan(db, actor, "send_directives", unit.id);
  const [lo, hi] = subtreeRange(unit.path);
  const whole = await reachOf(db, { lo, hi }, organisationId);
  const direct = await reachOf(db, { unitId: unit.id }, organisationId);
  const children = await db.kysely
    .selectFrom("Unit")
    .select(["id", "name", "levelLabel", "path"])
    .where("parentId", "=", unit.id)
    .orderBy("name")
    .orderBy("id")
    .execute();
  const units: UnitReach[] = [];
  for (const child of children) {
    const [clo, chi] = subtreeRange(child.path);
    const reach = await reachOf(db, { lo: clo, hi: chi }, organisationId);
    if (reach.total > 0) units.push({ unitId: child.id, name: child.name, levelLabel: child.levelLabel, ...reach });
  }
  return { ...whole, direct, units };
}

/** A directive as the workplace lists and shows it. */
export interface DirectiveSummary {
  id: number;
  unitId: number;
  unitName: string;
  kind: DirectiveKind;
  number: string;
  issuer: string;
  title: string;
  summary: string;
  link: string | null;
  status: DirectiveStatus;
  reminderDays: number;
  createdById: number | null;
  createdByName: string | null;
  createdAt: number;
  sentAt: number | null;
}

function asStatus(value: string): DirectiveStatus {
  return value === "sending" || value === "sent" ? value : "draft";
}

function summaryQuery(db: Database) {
  return db.kysely
    .selectFrom("Directive as x")
    .innerJoin("Unit as u", "u.id", "x.unitId")
    .leftJoin("Person as p", "p.id", "x.createdById")
    .select([
      "x.id",
      "x.unitId",
      "u.name as unitName",
      "x.kind",
      "x.number",
      "x.issuer",
      "x.title",
      "x.summary",
      "x.link",
      "x.status",
      "x.reminderDays",
      "x.createdById",
      "p.fullName as createdByName",
      "x.createdAt",
      "x.sentAt",
    ]);
}

type SummaryRow = Awaited<ReturnType<ReturnType<typeof summaryQuery>["executeTakeFirstOrThrow"]>>;

function toSummary(row: SummaryRow): DirectiveSummary {
  if (!isDirectiveKind(row.kind)) throw new AppError("invalid_input", { field: "kind" });
  return { ...row, kind: row.kind, status: asStatus(row.status) };
}

/** A directive opened by a person: from which unit they look at it, and what they may do. */
export interface DirectiveView {
  directive: DirectiveSummary;
  /** The unit whose subtree the figures cover: the directive's unit, or one inside it. */
  unit: UnitRow;
  /** The actor may send it (a draft) and remind its non-readers. */
  canSend: boolean;
}

/**
 * Opens a directive for the actor, looking from `unitId` (default: the directive's unit when the
 * actor may read it, else the actor's top-most readable unit inside its subtree). A draft is
 * visible only to those who may send it. Throws not_found for a directive that does not exist or
 * that the actor may not see from that unit.
 */
export async function openDirective(
  db: Database,
  actor: Actor,
  directiveId: number,
  unitId?: number,
): Promise<DirectiveView> {
  const row = await summaryQuery(db).where("x.id", "=", directiveId).executeTakeFirst();
  if (!row) throw new AppError("not_found", { what: "directive" });
  const directive = toSummary(row);
  const home = await findUnit(db, directive.unitId);
  const canSend = await actorCan(db, actor, "send_directives", home.id);
  const hidden = () => new AppError("not_found", { what: "directive" });
  if (directive.status === "draft" && !canSend) throw hidden();
  let unit: UnitRow | undefined;
  if (unitId !== undefined) {
    const wanted = await findUnit(db, unitId).catch(() => undefined);
    if (wanted?.path.startsWith(home.path) && (await actorCan(db, actor, "read", wanted.id))) unit = wanted;
  } else if (await actorCan(db, actor, "read", home.id)) {
    unit = home;
  } else if (actor.kind === "person") {
    const root = (await scopeRoots(db, actor.personId, "read")).find((r) => r.path.startsWith(home.path));
    if (root) unit = await findUnit(db, root.unitId);
  }
  if (!unit) throw hidden();
  return { directive, unit, canSend };
}

export interface DirectiveListRow extends DirectiveSummary {
  /** People in the audience (all of it, not only the viewed subtree); 0 for a draft. */
  audience: number;
}

/**
 * The directives a unit's people received or its officials drafted, newest first: those sent by
 * the unit, an ancestor or a unit of its subtree, and the drafts of its subtree that the actor
 * created. Throws unit_not_found, forbidden unless the actor may read the unit.
 */
export async function listSubtreeDirectives(
  db: Database,
  actor: Actor,
  unitId: number,
  page: { limit?: number; offset?: number } = {},
): Promise<{ rows: DirectiveListRow[]; more: boolean }> {
  const unit = await findUnit(db, unitId);
  await assertActorCan(db, actor, "read", unit.id);
  const [lo, hi] = subtreeRange(unit.path);
  const ancestors = unit.path.split("/").filter(Boolean).map(Number);
  const limit = Math.max(1, Math.min(200, page.limit ?? 25));
  const offset = Math.max(0, page.offset ?? 0);
  const me = actorPersonId(actor);
  const rows = await summaryQuery(db)
    .select((eb) =>
      eb
        .selectFrom("DirectiveDelivery as d")
        .select(eb.fn.countAll<number>().as("n"))
        .whereRef("d.directiveId", "=", "x.id")
        .as("audience"),
    )
    .where((eb) =>
      eb.or([
        eb.and([
          eb("x.status", "!=", "draft"),
          eb.or([eb("x.unitId", "in", ancestors), eb.and([eb("u.path", ">=", lo), eb("u.path", "<", hi)])]),
        ]),
        eb.and([
          eb("x.status", "=", "draft"),
          eb("x.createdById", "=", me ?? -1),
          eb("u.path", ">=", lo),
          eb("u.path", "<", hi),
        ]),
      ]),
    )
    .orderBy((eb) => eb.fn.coalesce("x.sentAt", "x.createdAt"), "desc")
    .orderBy("x.id", "desc")
    .limit(limit + 1)
    .offset(offset)
    .execute();
  return {
    rows: rows.slice(0, limit).map((r) => ({ ...toSummary(r), audience: Number(r.audience ?? 0) })),
    more: rows.length > limit,
  };
}

/** Where a person's copy is: not_linked (nothing sent), queued, sent, unreachable. */
export type CopyState = "not_linked" | "queued" | "sent" | "unreachable";

export interface NonReader {
  personId: number;
  fullName: string;
  /** The deepest unit of the viewed subtree where they hold a membership. */
  unitName: string | null;
  copy: CopyState;
  remindedAt: number | null;
}

function copyState(delivery: string, outbox: string | null): CopyState {
  if (delivery === "not_linked") return "not_linked";
  if (delivery === "sent" || outbox === "sent") return "sent";
  if (delivery === "queued" && (outbox === "pending" || outbox === "sending")) return "queued";
  return "unreachable";
}

/**
 * The people of the viewed unit's subtree who received the directive (or were meant to) and have
 * not confirmed reading it, by name, a page at a time, with the total. Throws what
 * `openDirective` throws.
 */
export async function directiveNonReaders(
  db: Database,
  {
    actor,
    directiveId,
    unitId,
    page = {},
  }: { actor: Actor; directiveId: number; unitId: number; page?: { limit?: number; offset?: number } },
): Promise<{ rows: NonReader[]; total: number }> {
  const view = await openDirective(db, actor, directiveId, unitId);
  const [lo, hi] = subtreeRange(view.unit.path);
  const limit = Math.max(1, Math.min(500, page.limit ?? 50));
  const offset = Math.max(0, page.offset ?? 0);
  // Seen from the directive's own unit every copy is in the subtree: no membership test (a
  // province's directive has 200,000 copies).
  const whole = view.unit.id === view.directive.unitId;
  const base = db.kysely
    .selectFrom("DirectiveDelivery as d")
    .where("d.directiveId", "=", view.directive.id)
    .where("d.readAt", "is", null)
    // Elsewhere the subtree's people drive the query (a commune's 2,000, not the 200,000 copies).
    .$if(!whole, (q) =>
      q.where("d.personId", "in", (eb) =>
        eb
          .selectFrom("Membership as m")
          .innerJoin("Unit as u", "u.id", "m.unitId")
          .select("m.personId")
          .where("u.path", ">=", lo)
          .where("u.path", "<", hi),
      ),
    );
  const counted = await base.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
  const rows = await base
    .innerJoin("Person as p", "p.id", "d.personId")
    .leftJoin("Outbox as o", "o.id", "d.outboxId")
    .select((eb) => [
      "d.personId",
      "p.fullName",
      "d.status",
      "o.status as outboxStatus",
      "d.remindedAt",
      eb
        .selectFrom("Membership as m")
        .innerJoin("Unit as u", "u.id", "m.unitId")
        .select("u.name")
        .whereRef("m.personId", "=", "d.personId")
        .where("u.path", ">=", lo)
        .where("u.path", "<", hi)
        .orderBy("u.depth", "desc")
        .orderBy("u.id")
        .limit(1)
        .as("unitName"),
    ])
    .orderBy("p.nameKey")
    .orderBy("p.id")
    .limit(limit)
    .offset(offset)
    .execute();
  return {
    total: Number(counted.n),
    rows: rows.map((r) => ({
      personId: r.personId,
      fullName: r.fullName,
      unitName: r.unitName,
      copy: copyState(r.status, r.outboxStatus),
      remindedAt: r.remindedAt,
    })),
  };
}

/**
 * How many people "remind now" would reach: their copy was delivered, they have not read it and
 * have not been reminded yet (each person gets one reminder, as in chat).
 */
export async function remindableCount(db: Database, directiveId: number): Promise<number> {
  const row = await db.kysely
    .selectFrom("DirectiveDelivery as d")
    .leftJoin("Outbox as o", "o.id", "d.outboxId")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("d.directiveId", "=", directiveId)
    .where("d.readAt", "is", null)
    .where("d.remindedAt", "is", null)
    .where((eb) =>
      eb.or([eb("d.status", "=", "sent"), eb.and([eb("d.status", "=", "queued"), eb("o.status", "=", "sent")])]),
    )
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Brings the directive's one reminder forward to now: a directive_reminder job due now (the same
 * job the clock runs after `reminderDays`, so the same message, button and "one reminder per
 * person" rule), audited as directive.remind. Returns how many people it will reach; when that is
 * 0 nothing is planned. Throws not_found (as `openDirective`), forbidden unless the actor may send
 * directives to its unit, conflict for a draft.
 */
export async function remindNonReadersNow(
  db: Database,
  actor: Actor,
  directiveId: number,
  now: Date,
): Promise<{ count: number }> {
  const view = await openDirective(db, actor, directiveId);
  await assertActorCan(db, actor, "send_directives", view.directive.unitId);
  if (view.directive.status === "draft") throw new AppError("conflict", { what: `#${directiveId}` });
  const count = await remindableCount(db, directiveId);
  if (!count) return { count };
  const at = now.getTime();
  await db.kysely.transaction().execute(async (trx) => {
    await trx
      .insertInto("ScheduledJob")
      .values({
        kind: "directive_reminder",
        entityType: "Directive",
        entityId: directiveId,
        dueAt: at,
        expiresAt: at + 2 * DAY_MS,
        status: "pending",
        dedupeKey: `directive_reminder:${directiveId}:now:${at}`,
        createdAt: at,
      })
      .onConflict((oc) => oc.column("dedupeKey").doNothing())
      .execute();
    await trx
      .insertInto("AuditLog")
      .values({
        actorPersonId: actorPersonId(actor),
        source: actorSource(actor),
        action: "directive.remind",
        entityType: "Directive",
        entityId: directiveId,
        detail: JSON.stringify({ count }),
        createdAt: at,
      })
      .execute();
  });
  return { count };
}
