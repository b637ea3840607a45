/**
 * Prepared queries: a Kysely query built and compiled ONCE per engine, then run many times with
 * new parameters. Building and compiling a Kysely query costs about as much as running it on
 * SQLite (measured in bench/storage-routes.bench.ts), so the hot paths (inbound store, outbox
 * claim and send record) use this; everything else can build its queries inline.
 *
 *   const findInbound = prepared((k, p: Slots<{ platform: string; eventId: string }>) =>
 *     k.selectFrom("MessageLog").select(["id", "status"]).where("platform", "=", p.platform).where("platformEventId", "=", p.eventId));
 *   const row = await findInbound.first(db, { platform: "telegram", eventId: "42" });
 *
 * `p.name` stands for a parameter: use it only where a value goes (comparisons, values, set,
 * limit). The query's shape must not depend on the values: no `in` lists of varying length, no
 * `IS NULL` chosen by value (compare with `=`: NULL matches nothing, as in SQL). Results go through
 * the same plugins as any Kysely query (booleans on SQLite). Inside `db.transaction(...)` they run
 * in the transaction (`db.kysely` is the ambient one).
 */
import { CompiledQuery, type Compilable, type Kysely, type QueryResult } from "kysely";
import type { DB } from "../generated/kysely/types.ts";
import type { Database } from "./database.ts";
import type { Engine } from "./dialect.ts";

const slotMark = Symbol("prepared-slot");

interface SlotValue {
  readonly [slotMark]: string;
}

/** The parameters of a prepared query, as the builder sees them (placeholders typed as values). */
export type Slots<P> = { readonly [K in keyof P]: P[K] };

function isSlot(v: unknown): v is SlotValue {
  return typeof v === "object" && v !== null && slotMark in v;
}

export interface Prepared<P, O> {
  all(db: Database, params: P): Promise<O[]>;
  first(db: Database, params: P): Promise<O | undefined>;
  /** For writes without RETURNING: the number of rows changed. */
  run(db: Database, params: P): Promise<number>;
  /**
   * Large read-only scans (a whole unit tree): each row as an array of the values of `columns`,
   * which must be the query's selected columns in their order. On SQLite no row objects are built
   * (better-sqlite3's raw mode: about a third faster on 10,000 rows). Values come back as stored,
   * without the plugins: do not select Boolean columns (0/1 on SQLite).
   */
  tuples<const K extends readonly (keyof O)[]>(
    db: Database,
    params: P,
    columns: K,
  ): Promise<{ -readonly [I in keyof K]: O[K[I]] }[]>;
}

/**
 * PostgreSQL: the SQL of the queries prepared on the server (`{ serverPrepared: true }`), with the
 * statement name each connection knows it by (database.ts passes the name along with the query).
 */
const serverPrepared = new Map<string, string>();

/** The server-side statement name of a query's SQL, when it is prepared there (PostgreSQL). */
export function serverStatementName(sql: string): string | undefined {
  return serverPrepared.get(sql);
}

/** Names `sql` for the server to prepare once per connection (PostgreSQL; SQLite prepares everything). */
function prepareOnServer(db: Database, sql: string): void {
  if (db.engine === "postgresql" && !serverPrepared.has(sql))
    serverPrepared.set(sql, `chihoi_${serverPrepared.size + 1}`);
}

/** A parameter's value as bound: undefined is NULL; SQLite stores booleans as 1 and 0. */
function bound(db: Database, value: unknown): unknown {
  if (value === undefined) return null;
  return db.engine === "sqlite" && typeof value === "boolean" ? (value ? 1 : 0) : value;
}

export interface PreparedOptions {
  /**
   * PostgreSQL: prepare the statement on the server once per connection (a named statement), so
   * that each run is only bound and executed, not parsed and planned again. For the hot statements
   * of the delivery engine, where planning cost more than running (the claim: about 5 ms of
   * planning for 2 ms of work under load). The server may then use one generic plan for every
   * run: only for statements whose best plan does not depend on the values.
   */
  serverPrepared?: boolean;
}

export function prepared<P extends Record<string, unknown>, O>(
  build: (k: Kysely<DB>, p: Slots<P>) => Compilable<O>,
  options: PreparedOptions = {},
): Prepared<P, O> {
  // The SQL depends only on the engine (dialect and plugins), so one compilation per engine serves
  // every database and every transaction.
  const cache = new Map<Database["engine"], { sql: string; parameters: readonly unknown[] }>();
  const compiled = (db: Database) => {
    let c = cache.get(db.engine);
    if (!c) {
      const slots = new Proxy({} as Slots<P>, {
        get: (_, name) => {
          if (typeof name !== "string") throw new Error("prepared: parameter names are strings");
          return { [slotMark]: name } satisfies SlotValue;
        },
      });
      const q = build(db.kysely, slots).compile();
      c = { sql: q.sql, parameters: q.parameters };
      if (options.serverPrepared) prepareOnServer(db, q.sql);
      cache.set(db.engine, c);
    }
    return c;
  };
  const bind = (db: Database, params: P): unknown[] =>
    compiled(db).parameters.map((v) => {
      if (!isSlot(v)) return v;
      const name = v[slotMark];
      if (!(name in params)) throw new Error(`prepared: parameter "${name}" missing`);
      return bound(db, params[name]);
    });
  const execute = async (db: Database, params: P): Promise<QueryResult<O>> =>
    db.kysely.executeQuery(CompiledQuery.raw(compiled(db).sql, bind(db, params)) as CompiledQuery<O>);
  return {
    async all(db, params) {
      return (await execute(db, params)).rows;
    },
    async first(db, params) {
      return (await execute(db, params)).rows[0];
    },
    async run(db, params) {
      return Number((await execute(db, params)).numAffectedRows ?? 0n);
    },
    async tuples<const K extends readonly (keyof O)[]>(db: Database, params: P, columns: K) {
      type Tuple = { -readonly [I in keyof K]: O[K[I]] };
      // SQLite: the connection's raw statements (in the ambient transaction like any query).
      if (db.engine === "sqlite") return (await db.sql.raw(compiled(db).sql, ...bind(db, params))) as Tuple[];
      return (await execute(db, params)).rows.map((row) => columns.map((c) => row[c]) as Tuple);
    },
  };
}

export interface PreparedRows<P, O = unknown> {
  /** Runs the statement for `rows` (in chunks of at most `maxRows`); the rows changed in total. */
  run(db: Database, rows: readonly P[]): Promise<number>;
  /** Runs the statement for `rows` (in chunks of at most `maxRows`); the rows it returns (RETURNING), in order of the chunks. */
  all(db: Database, rows: readonly P[]): Promise<O[]>;
}

/** One prepared query per engine (a query whose shape differs between the engines). */
export function perEngine<P extends Record<string, unknown>, O>(
  build: (engine: Engine) => Prepared<P, O>,
): (db: Database) => Prepared<P, O> {
  const sqlite = build("sqlite");
  const postgresql = build("postgresql");
  return (db) => (db.engine === "postgresql" ? postgresql : sqlite);
}

/**
 * A statement over several rows at once (a multi-row INSERT, an UPDATE of a list of rows),
 * prepared once per engine and per number of rows: `build` receives one set of slots per row.
 * On PostgreSQL a batch then costs one round trip instead of one per row; on SQLite the statement
 * is still prepared, so the batch costs no compilation. The parameters are bound by position
 * straight from the rows (no per-batch object of named values: a 5,000-row batch has 25,000).
 *
 *   const insertAttempts = preparedRows((k, rows: Slots<{ id: number; at: number }>[]) =>
 *     k.insertInto("DeliveryAttempt").values(rows.map((r) => ({ outboxId: r.id, createdAt: r.at, … }))));
 */
export function preparedRows<P extends Record<string, unknown>, O>(
  build: (k: Kysely<DB>, rows: Slots<P>[]) => Compilable<O>,
  maxRows = 50,
  options: PreparedOptions = {},
): PreparedRows<P, O> {
  /** Per engine and batch size: the SQL, and for each parameter its row and column (or a constant). */
  type Plan = { sql: string; rowOf: Int32Array; columnOf: (string | null)[]; constants: unknown[] };
  const plans = new Map<string, Plan>();
  const planFor = (db: Database, n: number): Plan => {
    const key = `${db.engine}:${n}`;
    let plan = plans.get(key);
    if (!plan) {
      const rows = Array.from(
        { length: n },
        (_, i) =>
          new Proxy({} as Slots<P>, {
            get: (_, name) => {
              if (typeof name !== "string") throw new Error("preparedRows: parameter names are strings");
              return { [slotMark]: name, row: i } satisfies SlotValue & { row: number };
            },
          }),
      );
      const q = build(db.kysely, rows).compile();
      if (options.serverPrepared) prepareOnServer(db, q.sql);
      const count = q.parameters.length;
      plan = { sql: q.sql, rowOf: new Int32Array(count), columnOf: new Array(count), constants: new Array(count) };
      q.parameters.forEach((v, k) => {
        if (isSlot(v)) {
          plan!.rowOf[k] = (v as unknown as { row: number }).row;
          plan!.columnOf[k] = v[slotMark];
        } else {
          plan!.rowOf[k] = -1;
          plan!.columnOf[k] = null;
          plan!.constants[k] = v;
        }
      });
      plans.set(key, plan);
    }
    return plan;
  };
  const execute = async (db: Database, chunk: readonly P[]): Promise<QueryResult<O>> => {
    const plan = planFor(db, chunk.length);
    const values = new Array<unknown>(plan.rowOf.length);
    for (let k = 0; k < values.length; k++) {
      const row = plan.rowOf[k]!;
      if (row < 0) {
        values[k] = plan.constants[k];
        continue;
      }
      const name = plan.columnOf[k]!;
      const params = chunk[row]!;
      const value = params[name];
      if (value === undefined && !(name in params)) throw new Error(`prepared: parameter "${name}" missing`);
      values[k] = bound(db, value);
    }
    return db.kysely.executeQuery(CompiledQuery.raw(plan.sql, values) as CompiledQuery<O>);
  };
  return {
    async run(db, rows) {
      let changed = 0;
      for (let from = 0; from < rows.length; from += maxRows)
        changed += Number((await execute(db, rows.slice(from, from + maxRows))).numAffectedRows ?? 0n);
      return changed;
    },
    async all(db, rows) {
      const out: O[] = [];
      for (let from = 0; from < rows.length; from += maxRows)
        for (const row of (await execute(db, rows.slice(from, from + maxRows))).rows) out.push(row);
      return out;
    },
  };
}
