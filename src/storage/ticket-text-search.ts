/**
 * Concern text search, the one place where the two engines' search structures meet (the tables
 * and triggers are in the migrations "web_admin" and "ticket_search_speed"):
 *
 * - SQLite: the FTS5 table TicketMessageSearch (unicode61, diacritics removed, đ → d), prefix
 *   indexes for 2–6 characters, rowid = ticketId · 2³² + message id;
 * - PostgreSQL: the table TicketMessageSearch (message id, ticket id, text folded by chihoi_fold)
 *   with a trigram index; a word matches where it begins a word of the text.
 *
 * Both hold the member's messages and the answers (never internal notes nor system lines), and
 * give the same matches for the same words: a message matches when each word begins one of its
 * words (the runs of letters and digits of the folded text). Words are what `searchWords` makes
 * of typed text: folded, [a-z0-9]+, at most 8.
 */
import { sql, type Expression, type RawBuilder, type SqlBool } from "kysely";
import type { Database } from "./database.ts";

const ticketShift = 4294967296;

function checkWords(words: readonly string[]): void {
  if (!words.length || words.some((w) => !/^[a-z0-9]+$/.test(w)))
    throw new Error(`ticket search: bad words ${JSON.stringify(words)}`);
}

function matchingMessages(
  db: Database,
  words: readonly string[],
  select: "ticket" | "distinct" | "one",
): RawBuilder<unknown> {
  checkWords(words);
  const distinct = select === "distinct" ? sql`DISTINCT ` : sql``;
  if (db.engine === "postgresql") {
    const conditions = sql.join(
      words.map((w) => sql`s."text" ~ ${`(^|[^[:alnum:]])${w}`}`),
      sql` AND `,
    );
    return select === "one"
      ? sql`SELECT 1 FROM "TicketMessageSearch" s WHERE ${conditions}`
      : sql`SELECT ${distinct}s."ticketId" AS "tid" FROM "TicketMessageSearch" s WHERE ${conditions}`;
  }
  const query = words.map((w) => `"${w}"*`).join(" ");
  return select === "one"
    ? sql`SELECT 1 FROM "TicketMessageSearch" WHERE "TicketMessageSearch" MATCH ${query}`
    : sql`SELECT ${distinct}"rowid" / ${sql.lit(ticketShift)} AS "tid" FROM "TicketMessageSearch" WHERE "TicketMessageSearch" MATCH ${query}`;
}

/**
 * The ids of the tickets with a message containing every word (each as a word's beginning), as a
 * subquery with one column `tid`: `selectFrom(ticketTextHits(...).as("h"))`. With `distinct`
 * each ticket comes once; without, once per matching message (enough for `IN`, and cheaper).
 */
export function ticketTextHits(db: Database, words: readonly string[], distinct = true): RawBuilder<{ tid: number }> {
  return sql<{ tid: number }>`(${matchingMessages(db, words, distinct ? "distinct" : "ticket")})`;
}

/** How many messages match, counted up to `cap` (cheap for common words: the count stops there). */
export async function countTicketTextMessages(db: Database, words: readonly string[], cap: number): Promise<number> {
  const row = await db.kysely
    .selectFrom(
      sql<{ one: number }>`(${matchingMessages(db, words, "one")} LIMIT ${Math.max(1, Math.floor(cap))})`.as("hit"),
    )
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Whether checking tickets one by one (`ticketHasText`) is cheap for these words: on SQLite each
 * word must be answered by a prefix index (2–6 characters; a longer word would make FTS5 merge
 * the lists of every word it begins, for every ticket checked). PostgreSQL reads the ticket's
 * messages through the search table's ticket index.
 */
export function ticketTextCheckIsCheap(db: Database, words: readonly string[]): boolean {
  return db.engine === "postgresql" || words.every((w) => w.length >= 2 && w.length <= 6);
}

/** True when the ticket (an id expression) has a message containing every word: a correlated check. */
export function ticketHasText(
  db: Database,
  words: readonly string[],
  ticketId: Expression<number>,
): RawBuilder<SqlBool> {
  checkWords(words);
  if (db.engine === "postgresql") {
    const conditions = sql.join(
      words.map((w) => sql`s."text" ~ ${`(^|[^[:alnum:]])${w}`}`),
      sql` AND `,
    );
    return sql<SqlBool>`EXISTS (SELECT 1 FROM "TicketMessageSearch" s WHERE s."ticketId" = ${ticketId} AND ${conditions})`;
  }
  const query = words.map((w) => `"${w}"*`).join(" ");
  // The ticket's rows are the rowid range [id · 2³², id · 2³² + 2³² − 1]: FTS5 seeks to it.
  return sql<SqlBool>`EXISTS (SELECT 1 FROM "TicketMessageSearch" WHERE "TicketMessageSearch" MATCH ${query}
    AND "rowid" BETWEEN ${ticketId} * ${sql.lit(ticketShift)} AND ${ticketId} * ${sql.lit(ticketShift)} + ${sql.lit(ticketShift - 1)})`;
}
