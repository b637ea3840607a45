/**
 * Everything that differs between SQLite and PostgreSQL, in one place. Queries elsewhere are
 * written once with Kysely and call these helpers where the engines disagree.
 *
 * Representation (the same values on both engines, so a query and its parameters never change):
 * - times are epoch milliseconds: INTEGER on SQLite (as since the first release), BIGINT on
 *   PostgreSQL, read back as numbers (the pg type parser for int8); both sort and compare them
 *   as integers;
 * - booleans are BOOLEAN on PostgreSQL and 0/1 on SQLite; on SQLite, parameters true/false are
 *   bound as 1/0 and Boolean columns (by name, see the generated `booleanColumns`) come back as
 *   true/false, so the domain sees booleans on both;
 * - text compares case-sensitively on both (SQLite `=`; PostgreSQL collations): searches go
 *   through the normalised `nameKey` columns and `likeKey` below.
 */
import {
  sql,
  OperationNodeTransformer,
  PrimitiveValueListNode,
  ValueNode,
  type Expression,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RawBuilder,
  type RootOperationNode,
  type SelectQueryBuilder,
  type SqlBool,
  type UnknownRow,
} from "kysely";
import { booleanColumns } from "../generated/kysely/types.ts";
import { foldVietnamese } from "../lib/vietnamese.ts";

export type Engine = "sqlite" | "postgresql";

class BooleanParams extends OperationNodeTransformer {
  protected override transformValue(node: ValueNode): ValueNode {
    const v = node.value;
    return typeof v === "boolean" ? ValueNode.create(v ? 1 : 0) : super.transformValue(node);
  }
  protected override transformPrimitiveValueList(node: PrimitiveValueListNode): PrimitiveValueListNode {
    return PrimitiveValueListNode.create(node.values.map((v) => (typeof v === "boolean" ? (v ? 1 : 0) : v)));
  }
}

/** SQLite only: binds booleans as 1/0 and reads Boolean columns back as booleans. */
export class SqliteBooleans implements KyselyPlugin {
  readonly #params = new BooleanParams();
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#params.transformNode(args.node);
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const rows = args.result.rows;
    if (!rows.length) return args.result;
    const keys = Object.keys(rows[0]!).filter((k) => booleanColumns.has(k));
    if (!keys.length) return args.result;
    for (const row of rows) {
      for (const k of keys) {
        const v = row[k];
        if (v === 0 || v === 1) row[k] = v === 1;
      }
    }
    return args.result;
  }
}

/**
 * Locks the selected rows for the claiming transaction and skips rows another process holds
 * (PostgreSQL `FOR UPDATE SKIP LOCKED`). SQLite has one writer at a time: a claim made in one
 * statement or one IMMEDIATE transaction is already exclusive, so nothing is added.
 */
export function skipLocked<DB, TB extends keyof DB, O>(
  engine: Engine,
  query: SelectQueryBuilder<DB, TB, O>,
): SelectQueryBuilder<DB, TB, O> {
  return engine === "postgresql" ? query.forUpdate().skipLocked() : query;
}

/**
 * Whether one statement may write to several tables (`WITH a AS (UPDATE …), b AS (INSERT …)
 * SELECT …`: PostgreSQL's data-modifying WITH; SQLite has none). One statement is one round trip
 * and needs no transaction of its own (it is atomic).
 */
export function writesInWith(engine: Engine): boolean {
  return engine === "postgresql";
}

/** `a IS DISTINCT FROM b` (SQLite spells it `IS NOT`); both treat NULL as a value. */
export function isDistinctFrom(engine: Engine, a: Expression<unknown>, b: Expression<unknown>): RawBuilder<SqlBool> {
  return engine === "postgresql" ? sql<SqlBool>`${a} IS DISTINCT FROM ${b}` : sql<SqlBool>`${a} IS NOT ${b}`;
}

/**
 * Case- and diacritic-insensitive search on a key column made by `foldVietnamese` (nameKey):
 * `column LIKE '%folded text%'`. The text is folded the same way here, so "NGUYỄN" finds
 * "nguyen"; % and _ in it match themselves. (Plain LIKE differs between the engines, ASCII
 * case-insensitive on SQLite and case-sensitive on PostgreSQL; on folded keys both agree.)
 */
export function likeKey(
  column: Expression<string | null>,
  text: string,
  where: "contains" | "prefix" = "contains",
): RawBuilder<SqlBool> {
  const escaped = foldVietnamese(text).replace(/[\\%_]/g, (c) => `\\${c}`);
  const pattern = where === "prefix" ? `${escaped}%` : `%${escaped}%`;
  return sql<SqlBool>`${column} LIKE ${pattern} ESCAPE '\\'`;
}

/** One key of a JSON object stored as text (ConversationState.data, settings), as text (7 → "7"). */
export function jsonText(engine: Engine, column: Expression<string | null>, key: string): RawBuilder<string | null> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(`jsonText: bad key ${key}`);
  return engine === "postgresql"
    ? sql<string | null>`(${column}::jsonb ->> ${key})`
    : sql<string | null>`CAST(json_extract(${column}, ${`$.${key}`}) AS TEXT)`;
}

/**
 * `column IN (ids)` for any number of ids as ONE parameter (a JSON array on SQLite, an int array
 * on PostgreSQL), so a list of 100,000 ids neither hits the engines' parameter limits nor makes
 * a new statement per list length.
 */
export function inIds(engine: Engine, column: Expression<number | null>, ids: readonly number[]): RawBuilder<SqlBool> {
  for (const id of ids) if (!Number.isSafeInteger(id)) throw new Error(`inIds: not an integer id: ${id}`);
  return engine === "postgresql"
    ? sql<SqlBool>`${column} = ANY(${[...ids]}::int[])`
    : sql<SqlBool>`${column} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`;
}

/** The database's clock in epoch milliseconds (one clock for every process sharing it). */
export function nowMs(engine: Engine): RawBuilder<number> {
  return engine === "postgresql"
    ? sql<number>`(floor(extract(epoch from clock_timestamp()) * 1000))::bigint`
    : sql<number>`CAST(unixepoch('subsec') * 1000 AS INTEGER)`;
}

/**
 * One key of a JSON object stored as text, as an integer (null when absent): `{"unitId": 7}` → 7.
 * For ids kept in a detail column (AuditLog.detail).
 */
export function jsonInt(engine: Engine, column: Expression<string | null>, key: string): RawBuilder<number | null> {
  return sql<number | null>`CAST(${jsonText(engine, column, key)} AS INTEGER)`;
}

/** `column IN (texts)` for any number of strings as ONE parameter, like `inIds` (phones of a roster). */
export function inTexts(
  engine: Engine,
  column: Expression<string | null>,
  texts: readonly string[],
): RawBuilder<SqlBool> {
  return engine === "postgresql"
    ? sql<SqlBool>`${column} = ANY(${[...texts]}::text[])`
    : sql<SqlBool>`${column} IN (SELECT value FROM json_each(${JSON.stringify(texts)}))`;
}

/**
 * A value with its SQL type spelled out: `CAST(? AS BIGINT)`. PostgreSQL types a bare parameter in
 * a SELECT list (INSERT … SELECT ?, …) as text, which a BIGINT or INTEGER column refuses; SQLite
 * reads the cast as a type affinity and stores the same value.
 */
export function typedValue(value: number | null, type: "bigint" | "integer"): RawBuilder<number>;
export function typedValue(value: string | null, type: "text"): RawBuilder<string>;
export function typedValue(
  value: number | string | null,
  type: "bigint" | "integer" | "text",
): RawBuilder<number | string> {
  return type === "text"
    ? sql<string>`CAST(${value} AS TEXT)`
    : type === "bigint"
      ? sql<number>`CAST(${value} AS BIGINT)`
      : sql<number>`CAST(${value} AS INTEGER)`;
}

/**
 * Rows whose key starts with `prefix`, as an index range (`column >= prefix AND column < next`)
 * compared byte by byte on both engines (PostgreSQL: `COLLATE "C"`, since a language collation
 * ignores punctuation such as ":" and ";"). `next` is the prefix with its last character raised.
 */
export function keyPrefix(engine: Engine, column: Expression<string | null>, prefix: string): RawBuilder<SqlBool> {
  if (!prefix) throw new Error("keyPrefix: empty prefix");
  const next = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  return engine === "postgresql"
    ? sql<SqlBool>`(${column} COLLATE "C" >= ${prefix} AND ${column} COLLATE "C" < ${next})`
    : sql<SqlBool>`(${column} >= ${prefix} AND ${column} < ${next})`;
}

/**
 * A list bound as ONE parameter, for `inList`: a JSON array on SQLite, an array on PostgreSQL.
 * Made apart from the query so that a prepared() query can take the list as a slot.
 */
export function listParam(engine: Engine, values: readonly (number | string)[]): string | (number | string)[] {
  return engine === "postgresql" ? [...values] : JSON.stringify(values);
}

/**
 * `column IN (list)` where `list` is one parameter made by `listParam` (a prepared() slot, or the
 * value itself): like `inIds`, for prepared queries and for text lists (chat ids).
 */
export function inList(
  engine: Engine,
  column: Expression<unknown>,
  list: unknown,
  kind: "int" | "text",
): RawBuilder<SqlBool> {
  if (engine === "postgresql")
    return kind === "int"
      ? sql<SqlBool>`${column} = ANY(${list}::int[])`
      : sql<SqlBool>`${column} = ANY(${list}::text[])`;
  return sql<SqlBool>`${column} IN (SELECT value FROM json_each(${list}))`;
}

/**
 * The column's value, kept from choosing an index (SQLite: unary `+`, SQLite's documented way;
 * PostgreSQL: the column itself, its planner has statistics). For a query that finds its rows by
 * id: without statistics SQLite would rather scan a whole status index (`status = 'pending'`:
 * every queued row) than look the ids up.
 */
export function notIndexed<T>(engine: Engine, column: Expression<T>): RawBuilder<T> {
  return engine === "postgresql" ? sql<T>`${column}` : sql<T>`+${column}`;
}

/**
 * The same as `notIndexed` (the name the ticket search uses).
 */
export const unindexed = notIndexed;
