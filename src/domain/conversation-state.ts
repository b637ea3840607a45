/**
 * Per chat account conversation context: at most one pending question, with an expiry, so that a
 * bare "1", "có" or "ok" is understood while a question is open and not otherwise.
 */
import type { OnConflictBuilder, OnConflictDatabase, OnConflictTables, OnConflictUpdateBuilder } from "kysely";
import type { Database, DB } from "../storage/database.ts";
import { prepared, type Slots } from "../storage/prepared.ts";

export interface PendingQuestion<T = Record<string, unknown>> {
  kind: string;
  data: T & { choices?: string[] };
  expiresAt: number;
}

type QuestionValues = { chatAccountId: number; kind: string; data: string; expiresAt: number; updatedAt: number };

// Every inbound message reads the account's question, and most replies set or clear one: built once
// (the read prepared on the PostgreSQL server too: planning it cost more than running it).
const readQuestion = prepared(
  (k, p: Slots<{ chatAccountId: number }>) =>
    k
      .selectFrom("ConversationState")
      .select(["kind", "data", "expiresAt"])
      .where("chatAccountId", "=", p.chatAccountId),
  { serverPrepared: true },
);
const questionValues = (p: Slots<QuestionValues>) => ({
  chatAccountId: p.chatAccountId,
  kind: p.kind,
  data: p.data,
  expiresAt: p.expiresAt,
  updatedAt: p.updatedAt,
});
const writeQuestion = prepared((k, p: Slots<QuestionValues>) =>
  k
    .insertInto("ConversationState")
    .values(questionValues(p))
    .onConflict((oc) => replaceQuestion(oc)),
);
const offerQuestionRow = prepared((k, p: Slots<QuestionValues>) =>
  k
    .insertInto("ConversationState")
    .values(questionValues(p))
    .onConflict((oc) => offerQuestionOnConflict(oc)),
);
const deleteQuestion = prepared((k, p: Slots<{ chatAccountId: number }>) =>
  k.deleteFrom("ConversationState").where("chatAccountId", "=", p.chatAccountId),
);
const deleteQuestionOfKind = prepared((k, p: Slots<{ chatAccountId: number; kind: string }>) =>
  k.deleteFrom("ConversationState").where("chatAccountId", "=", p.chatAccountId).where("kind", "=", p.kind),
);

/** A question as stored (read here, or with the account: `accountWithPerson`). */
export interface StoredQuestion {
  kind: string;
  data: string;
  expiresAt: number;
}

/** The open question of an account, or undefined when none is open (or it expired). */
export async function getPendingQuestion(
  db: Database,
  chatAccountId: number,
  now = new Date(),
): Promise<PendingQuestion | undefined> {
  return openQuestion(await readQuestion.first(db, { chatAccountId }), now);
}

/** A stored question if it is still open at `now` (undefined when none, expired or unreadable). */
export function openQuestion(row: StoredQuestion | null | undefined, now: Date): PendingQuestion | undefined {
  if (!row || row.expiresAt <= now.getTime()) return undefined;
  try {
    return { kind: row.kind, data: JSON.parse(row.data), expiresAt: row.expiresAt };
  } catch {
    return undefined;
  }
}

/** Opens a question for an account, replacing any other. */
export async function setPendingQuestion(
  db: Database,
  {
    chatAccountId,
    kind,
    data,
    expiresAt,
    now = new Date(),
  }: { chatAccountId: number; kind: string; data: Record<string, unknown>; expiresAt: Date; now?: Date },
): Promise<void> {
  await writeQuestion.run(db, {
    chatAccountId,
    kind,
    data: JSON.stringify(data),
    expiresAt: expiresAt.getTime(),
    updatedAt: now.getTime(),
  });
}

/** Closes the account's question (only if it is still of `kind`, when given). */
export async function clearPendingQuestion(db: Database, chatAccountId: number, kind?: string): Promise<void> {
  if (kind) await deleteQuestionOfKind.run(db, { chatAccountId, kind });
  else await deleteQuestion.run(db, { chatAccountId });
}

/**
 * Flows a person is in the middle of (typing a meeting, a directive, attendance, an answer to a
 * ticket): a broadcast's one-tap question does not replace them until they expire. Every other
 * question (a concern confirmation, a language choice, an earlier reminder…) gives way to the
 * newest one, so that "1" or "có" answers the message the person just received.
 */
export const protectedQuestionKinds = [
  "meeting_new",
  "directive_new",
  "attendance",
  "ticket_answer",
  "ticket_escalate",
  "rsvp_reason",
] as const;

type QuestionConflict = OnConflictBuilder<DB, "ConversationState">;
type QuestionUpdate = OnConflictUpdateBuilder<
  OnConflictDatabase<DB, "ConversationState">,
  OnConflictTables<"ConversationState">
>;

function replaceQuestion(oc: QuestionConflict): QuestionUpdate {
  return oc.column("chatAccountId").doUpdateSet((eb) => ({
    kind: eb.ref("excluded.kind"),
    data: eb.ref("excluded.data"),
    expiresAt: eb.ref("excluded.expiresAt"),
    updatedAt: eb.ref("excluded.updatedAt"),
  }));
}

/**
 * The ON CONFLICT clause of an insert into ConversationState that respects
 * `protectedQuestionKinds`, for typed inserts (one row or INSERT … SELECT):
 * `.insertInto("ConversationState").values(…).onConflict(offerQuestionOnConflict)`.
 */
export function offerQuestionOnConflict(oc: QuestionConflict): QuestionUpdate {
  return replaceQuestion(oc).where((eb) =>
    eb.or([
      eb("ConversationState.expiresAt", "<=", eb.ref("excluded.updatedAt")),
      eb("ConversationState.kind", "not in", protectedQuestionKinds),
    ]),
  );
}

/**
 * Opens a one-tap question on an account unless the person is in the middle of a multi-step flow
 * (see `protectedQuestionKinds`).
 */
export async function offerQuestion(
  db: Database,
  {
    chatAccountId,
    kind,
    data,
    expiresAt,
    now,
  }: { chatAccountId: number; kind: string; data: Record<string, unknown>; expiresAt: Date; now: Date },
): Promise<void> {
  await offerQuestionRow.run(db, {
    chatAccountId,
    kind,
    data: JSON.stringify(data),
    expiresAt: expiresAt.getTime(),
    updatedAt: now.getTime(),
  });
}
