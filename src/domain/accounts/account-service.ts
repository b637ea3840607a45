/**
 * Chat accounts: one row per (platform, external id). An account links to at most one person; a
 * person may link several accounts, one of them preferred for broadcasts.
 */
import type { OnConflictBuilder } from "kysely";
import type { DB } from "../../generated/kysely/types.ts";
import type { Database } from "../../storage/database.ts";
import { AppError } from "../../lib/app-error.ts";
import { perEngine, prepared, preparedRows, type Slots } from "../../storage/prepared.ts";
import { inList, listParam } from "../../storage/dialect.ts";
import { personColumns, type PersonRow } from "../people/people-service.ts";
import { openQuestion, type PendingQuestion } from "../conversation-state.ts";

export const platforms = ["telegram", "zalo", "zalo_bot", "web"] as const;
export type Platform = (typeof platforms)[number];

export interface ChatAccountRow {
  id: number;
  platform: Platform;
  externalId: string;
  personId: number | null;
  displayName: string | null;
  preferred: boolean;
  unreachable: boolean;
  backoffUntil: number | null;
  linkedAt: number | null;
}

const accountColumns = [
  "id",
  "platform",
  "externalId",
  "personId",
  "displayName",
  "preferred",
  "unreachable",
  "backoffUntil",
  "linkedAt",
] as const;

/** Whether a stored platform name is one this code knows. */
export function isPlatform(value: string): value is Platform {
  return (platforms as readonly string[]).includes(value);
}

/** The row with its platform checked (an account of a platform this code does not know is skipped). */
function accountRow<R extends { platform: string }>(
  row: R | undefined,
): (Omit<R, "platform"> & { platform: Platform }) | undefined {
  if (!row) return undefined;
  const { platform, ...rest } = row;
  return isPlatform(platform) ? { ...rest, platform } : undefined;
}

// Every inbound message reads (and now and then upserts) its sender's account: built once.
const accountByExternalId = prepared((k, p: Slots<{ platform: string; externalId: string }>) =>
  k
    .selectFrom("ChatAccount")
    .select([...accountColumns, "lastSeenAt"])
    .where("platform", "=", p.platform)
    .where("externalId", "=", p.externalId),
);
/** A sender's account as first written. */
const accountValues = (p: { platform: string; externalId: string; displayName: string | null; now: number }) => ({
  platform: p.platform,
  externalId: p.externalId,
  displayName: p.displayName,
  createdAt: p.now,
  lastSeenAt: p.now,
});

/** An existing account seen again: its time noted, a new name kept, reachable again. */
const seenAgain = (oc: OnConflictBuilder<DB, "ChatAccount">) =>
  oc.columns(["platform", "externalId"]).doUpdateSet((eb) => ({
    lastSeenAt: eb.ref("excluded.lastSeenAt"),
    displayName: eb.fn.coalesce("excluded.displayName", "ChatAccount.displayName"),
    unreachable: false,
  }));

const upsertAccount = prepared(
  (k, p: Slots<{ platform: string; externalId: string; displayName: string | null; now: number }>) =>
    k.insertInto("ChatAccount").values(accountValues(p)).onConflict(seenAgain).returning(accountColumns),
);
const accountById = prepared((k, p: Slots<{ id: number }>) =>
  k.selectFrom("ChatAccount").select(accountColumns).where("id", "=", p.id),
);
// Asked for every person of a broadcast.
const reachableAccount = prepared((k, p: Slots<{ personId: number }>) =>
  k
    .selectFrom("ChatAccount")
    .select(accountColumns)
    .where("personId", "=", p.personId)
    .where("unreachable", "=", false)
    .orderBy("preferred", "desc")
    .orderBy((eb) => eb.case().when("platform", "=", "web").then(eb.lit(1)).else(eb.lit(0)).end())
    .orderBy((eb) => eb.case().when("linkedAt", "is", null).then(eb.lit(0)).else(eb.lit(1)).end())
    .orderBy("linkedAt")
    .orderBy("id")
    .limit(1),
);

/** Finds or creates the account of a platform user and notes when it was last seen. */
export async function ensureChatAccount(
  db: Database,
  {
    platform,
    externalId,
    displayName = null,
    now = new Date(),
  }: { platform: Platform; externalId: string; displayName?: string | null; now?: Date },
): Promise<ChatAccountRow> {
  // Most messages come from an account seen a moment ago: read it without writing.
  const seen = accountRow(await accountByExternalId.first(db, { platform, externalId }));
  if (
    seen &&
    !seen.unreachable &&
    (seen.lastSeenAt ?? 0) > now.getTime() - 60_000 &&
    (displayName === null || displayName === seen.displayName)
  ) {
    const { lastSeenAt: _ignored, ...row } = seen;
    return row;
  }
  const row = accountRow(await upsertAccount.first(db, { platform, externalId, displayName, now: now.getTime() }));
  if (!row) throw new AppError("not_found", { what: "account" });
  return row;
}

type TouchSlots = Slots<{ platform: string; externalId: string; displayName: string | null; now: number }>;

// ensureChatAccount's upsert for a whole batch of senders (no two rows for one account).
const touchAccounts = preparedRows((k, rows: TouchSlots[]) =>
  k.insertInto("ChatAccount").values(rows.map(accountValues)).onConflict(seenAgain),
);

const seenAccounts = perEngine((engine) =>
  prepared((k, p: Slots<{ platform: string; externalIds: unknown }>) =>
    k
      .selectFrom("ChatAccount")
      .select(["externalId", "displayName", "unreachable", "lastSeenAt"])
      .where("platform", "=", p.platform)
      .where((eb) => inList(engine, eb.ref("externalId"), p.externalIds, "text")),
  ),
);

/**
 * `ensureChatAccount` for many senders at once (the inbox's batch), without returning the rows:
 * one read of all their accounts, then one multi-row upsert of those missing or not seen for a
 * minute (or unreachable, or under another name), in account order (no deadlock between two
 * batches). Read each account afterwards with `accountWithPerson`.
 */
export async function touchChatAccounts(
  db: Database,
  senders: readonly { platform: Platform; externalId: string; displayName?: string | null; now: Date }[],
): Promise<void> {
  const wanted = new Map<string, { platform: Platform; externalId: string; displayName: string | null; now: number }>();
  for (const s of senders) {
    const key = `${s.platform}\u0000${s.externalId}`;
    const earlier = wanted.get(key);
    wanted.set(key, {
      platform: s.platform,
      externalId: s.externalId,
      displayName: s.displayName ?? earlier?.displayName ?? null,
      now: Math.max(s.now.getTime(), earlier?.now ?? 0),
    });
  }
  const stale: TouchSlots[] = [];
  for (const platform of new Set([...wanted.values()].map((w) => w.platform))) {
    const mine = [...wanted.values()].filter((w) => w.platform === platform);
    const seen = new Map(
      (
        await seenAccounts(db).all(db, {
          platform,
          externalIds: listParam(
            db.engine,
            mine.map((w) => w.externalId),
          ),
        })
      ).map((r) => [r.externalId, r]),
    );
    for (const w of mine) {
      const s = seen.get(w.externalId);
      const fresh =
        s &&
        !s.unreachable &&
        (s.lastSeenAt ?? 0) > w.now - 60_000 &&
        (w.displayName === null || w.displayName === s.displayName);
      if (!fresh) stale.push(w);
    }
  }
  const order = (w: TouchSlots) => `${w.platform}\u0000${w.externalId}`;
  stale.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  await touchAccounts.run(db, stale);
}

const accountWithPersonQ = prepared(
  (k, p: Slots<{ platform: string; externalId: string }>) =>
    k
      .selectFrom("ChatAccount as a")
      .leftJoin("Person as p", "p.id", "a.personId")
      .select(accountColumns.map((c) => `a.${c}` as const))
      .select(personColumns.map((c) => `p.${c} as person_${c}` as const))
      .leftJoin("ConversationState as q", "q.chatAccountId", "a.id")
      .select(["q.kind as question_kind", "q.data as question_data", "q.expiresAt as question_expiresAt"])
      .where("a.platform", "=", p.platform)
      .where("a.externalId", "=", p.externalId),
  { serverPrepared: true },
);

/**
 * An account, its person (null when not linked) and its open question, in one read: what the
 * inbox needs for every message, after `touchChatAccounts`. Undefined when the account does not
 * exist.
 */
export async function accountWithPerson(
  db: Database,
  platform: Platform,
  externalId: string,
  now: Date,
): Promise<{ account: ChatAccountRow; person: PersonRow | null; question: PendingQuestion | undefined } | undefined> {
  const row = await accountWithPersonQ.first(db, { platform, externalId });
  const account =
    row &&
    accountRow(
      Object.fromEntries(accountColumns.map((c) => [c, row[c]])) as Pick<typeof row, (typeof accountColumns)[number]>,
    );
  if (!row || !account) return undefined;
  const person =
    row.person_id === null
      ? null
      : (Object.fromEntries(personColumns.map((c) => [c, row[`person_${c}`]])) as unknown as PersonRow);
  const question = openQuestion(
    row.question_kind === null || row.question_data === null || row.question_expiresAt === null
      ? null
      : { kind: row.question_kind, data: row.question_data, expiresAt: row.question_expiresAt },
    now,
  );
  return { account, person, question };
}

/** Returns an account. Throws not_found. */
export async function getAccount(db: Database, id: number): Promise<ChatAccountRow> {
  const row = Number.isSafeInteger(id) ? accountRow(await accountById.first(db, { id })) : undefined;
  if (!row) throw new AppError("not_found", { what: "account" });
  return row;
}

export async function findAccount(
  db: Database,
  platform: string,
  externalId: string,
): Promise<ChatAccountRow | undefined> {
  const row = accountRow(await accountByExternalId.first(db, { platform, externalId }));
  if (!row) return undefined;
  const { lastSeenAt: _ignored, ...account } = row;
  return account;
}

export async function accountsOfPerson(db: Database, personId: number): Promise<ChatAccountRow[]> {
  const rows = await db.kysely
    .selectFrom("ChatAccount")
    .select(accountColumns)
    .where("personId", "=", personId)
    .orderBy("preferred", "desc")
    // SQLite's order for linkedAt: not linked (NULL) first, on both engines.
    .orderBy((eb) => eb.case().when("linkedAt", "is", null).then(eb.lit(0)).else(eb.lit(1)).end())
    .orderBy("linkedAt")
    .orderBy("id")
    .execute();
  return rows.flatMap((r) => accountRow(r) ?? []);
}

/**
 * The account a broadcast to this person should use: the preferred one when reachable, otherwise
 * another reachable linked account (web chat last), or undefined when none is reachable.
 */
export async function deliveryAccount(db: Database, personId: number): Promise<ChatAccountRow | undefined> {
  return accountRow(await reachableAccount.first(db, { personId }));
}

/** Marks an account unreachable (blocked the bot, deactivated): broadcasts fall back to another. */
export async function markUnreachable(db: Database, accountId: number, now = new Date()): Promise<void> {
  await db.kysely
    .updateTable("ChatAccount")
    .set({ unreachable: true, unreachableAt: now.getTime() })
    .where("id", "=", accountId)
    .execute();
}

/** Makes one of a person's accounts the preferred one. Throws not_found. */
export async function setPreferredAccount(db: Database, personId: number, accountId: number): Promise<void> {
  await db.transaction(async () => {
    const acc = await getAccount(db, accountId);
    if (acc.personId !== personId) throw new AppError("not_found", { what: "account" });
    await db.kysely
      .updateTable("ChatAccount")
      .set((eb) => ({ preferred: eb.case().when("id", "=", accountId).then(eb.lit(true)).else(eb.lit(false)).end() }))
      .where("personId", "=", personId)
      .execute();
  });
}
