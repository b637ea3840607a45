/**
 * Opens the database named by a URL: `file:…` (SQLite, the default) or `postgresql://…`.
 *
 * Both engines expose `kysely`, typed from prisma/schema.prisma (src/generated/kysely), with the
 * dialect differences confined to src/storage (see dialect.ts). SQLite also exposes `sql`, the
 * raw-SQL interface the not-yet-converted code uses. Everything is asynchronous, and every
 * statement (`sql` or Kysely) goes through Kysely's executor on the one SQLite connection, whose
 * mutex runs one statement or one transaction at a time.
 *
 * Transactions: `db.transaction(async () => …)`, NEVER `db.kysely.transaction()` in domain code.
 * The transaction is ambient (AsyncLocalStorage): inside the body, `db.kysely` is the open
 * transaction and `db.sql` runs its statements in it, so helpers called with the same `db` take
 * part in it (and cannot deadlock waiting for the connection the transaction holds). A statement
 * issued from outside the transaction waits until it ends (isolation). A `db.transaction` inside
 * another one is a SAVEPOINT: its failure rolls back only its own work, and the outer body may catch
 * it and go on (as better-sqlite3's nested transactions did). Nested transactions at one level run
 * one after another, never interleaved. A transaction's body awaits only database calls (no
 * network, no timers): the whole database waits for it.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { mkdirSync } from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import type pg from "pg";
import {
  CompiledQuery,
  Kysely,
  PostgresDialect,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type QueryCompiler,
  type QueryResult,
  type Transaction,
} from "kysely";
import type { DB } from "../generated/kysely/types.ts";
import { applyMigrations, applyPostgresMigrations } from "./migrate.ts";
import { SqliteBooleans, type Engine } from "./dialect.ts";
import { serverStatementName } from "./prepared.ts";

export type { DB };
export type { Engine };

export interface Database {
  engine: Engine;
  /**
   * Typed queries, both engines: the open transaction inside `transaction(...)`, else the base
   * instance. Never call `kysely.transaction()` in domain code: use `transaction` below.
   */
  readonly kysely: Kysely<DB>;
  /** Raw SQL (SQLite only; throws on PostgreSQL: that code is not converted yet). */
  sql: Sql;
  /**
   * Runs `fn` in one transaction (SQLite: BEGIN IMMEDIATE), ambient for everything it awaits;
   * nested, a SAVEPOINT. Commits when `fn` resolves, rolls back when it rejects.
   */
  transaction<T>(fn: () => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** True inside `transaction(...)`: what is read may still be rolled back. */
  readonly inTransaction: boolean;
  /** The database aborted a transaction to break a deadlock or conflict: running it again is safe. */
  isTransientConflict(error: unknown): boolean;
  /** Absolute path of the SQLite file ("" on PostgreSQL). */
  file: string;
  /** The URL it was opened with. */
  url: string;
  close(): Promise<void>;
}

export interface TransactionOptions {
  /**
   * PostgreSQL: run the whole transaction again, up to this many times, when the server aborted it
   * to break a deadlock or a serialization conflict (40P01, 40001); the body must be safe to run
   * again. Ignored for a nested transaction (a savepoint cannot be retried alone) and on SQLite
   * (one writer at a time: no deadlocks).
   */
  retryConflicts?: number;
}

/** A PostgreSQL error that says: nothing wrong with the transaction, run it again. */
function isTransientConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "40P01" || code === "40001";
}

export interface OpenOptions {
  /** PostgreSQL: connections in the pool (default 10). */
  poolSize?: number;
  /** Apply pending migrations first (default true). */
  migrate?: boolean;
}

export function engineOf(url: string): Engine {
  if (/^postgres(ql)?:\/\//i.test(url)) return "postgresql";
  if (/^file:/i.test(url)) return "sqlite";
  throw new Error(
    `DATABASE_URL must start with file: (SQLite) or postgresql:// (PostgreSQL), not "${url.replace(/\/\/[^@/]*@/, "//…@").slice(0, 40)}"`,
  );
}

/** Resolves "file:./data/x.db" to an absolute path (relative to the working directory). */
export function databaseFile(url: string): string {
  const raw = url.replace(/^file:/, "").replace(/\?.*$/, "");
  return raw === ":memory:" ? raw : path.resolve(raw);
}

/** A URL safe to print: the password is replaced. */
export function redactUrl(url: string): string {
  return url.replace(/^(\w+:\/\/[^:/@]*:)[^@]*@/, "$1***@");
}

function applyPragmas(db: BetterSqlite3.Database): void {
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = ON");
}

/**
 * Opens the database at `url`, applying pending migrations (SQLite: creating the file and its
 * folder). Throws when it cannot be opened or a migration fails.
 */
export async function openDatabase(url: string, options: OpenOptions = {}): Promise<Database> {
  return engineOf(url) === "postgresql" ? await openPostgres(url, options) : await openSqlite(url, options);
}

async function openSqlite(url: string, options: OpenOptions): Promise<Database> {
  const file = databaseFile(url);
  if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
  const connection = new BetterSqlite3(file);
  try {
    applyPragmas(connection);
    if (options.migrate !== false) applyMigrations(connection);
  } catch (error) {
    connection.close();
    throw error;
  }
  const base = new Kysely<DB>({ dialect: new SqliteConnectionDialect(connection), plugins: [new SqliteBooleans()] });
  const tx = new AmbientTransactions(base);
  const sql = new Sql(connection, () => tx.raw());
  return {
    engine: "sqlite",
    get kysely() {
      return tx.kysely();
    },
    sql,
    transaction: (fn, options) => tx.run(fn, options),
    get inTransaction() {
      return tx.active();
    },
    isTransientConflict,
    file,
    url,
    async close() {
      await base.destroy();
      if (connection.open) connection.close();
    },
  };
}

interface TxScope {
  trx: Transaction<DB>;
  /** The same transaction without plugins (raw SQL: rows exactly as stored). */
  raw: Kysely<DB>;
  parent: TxScope | undefined;
  /** Set when the body has finished: late callers fall back to the enclosing scope. */
  done: boolean;
  depth: number;
  savepoints: number;
  /** Nested transactions of this scope, one after another. */
  queue: Promise<unknown>;
}

/** `Database.transaction` and the ambient `kysely`, for both engines. */
class AmbientTransactions {
  readonly #als = new AsyncLocalStorage<TxScope>();
  readonly #base: Kysely<DB>;
  readonly #baseRaw: Kysely<DB>;
  constructor(base: Kysely<DB>) {
    this.#base = base;
    this.#baseRaw = base.withoutPlugins();
  }

  #scope(): TxScope | undefined {
    let s = this.#als.getStore();
    while (s?.done) s = s.parent;
    return s;
  }

  kysely(): Kysely<DB> {
    return this.#scope()?.trx ?? this.#base;
  }

  active(): boolean {
    return this.#scope() !== undefined;
  }

  raw(): Kysely<DB> {
    return this.#scope()?.raw ?? this.#baseRaw;
  }

  async run<T>(fn: () => Promise<T>, options?: TransactionOptions): Promise<T> {
    if (this.#scope()) return this.#nested(fn);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#outermost(fn);
      } catch (error) {
        if (attempt >= (options?.retryConflicts ?? 0) || !isTransientConflict(error)) throw error;
      }
    }
  }

  #outermost<T>(fn: () => Promise<T>): Promise<T> {
    return this.#base.transaction().execute(async (trx) => {
      const scope: TxScope = {
        trx,
        raw: trx.withoutPlugins(),
        parent: undefined,
        done: false,
        depth: 0,
        savepoints: 0,
        queue: Promise.resolve(),
      };
      try {
        return await this.#als.run(scope, fn);
      } finally {
        scope.done = true;
      }
    });
  }

  #nested<T>(fn: () => Promise<T>): Promise<T> {
    const outer = this.#scope()!;
    const nested = async (): Promise<T> => {
      const name = `chihoi_sp_${outer.depth + 1}_${outer.savepoints++}`;
      const exec = (q: string) => outer.raw.executeQuery(CompiledQuery.raw(q));
      await exec(`savepoint ${name}`);
      const scope: TxScope = {
        ...outer,
        parent: outer,
        done: false,
        depth: outer.depth + 1,
        savepoints: 0,
        queue: Promise.resolve(),
      };
      let result: T;
      try {
        result = await this.#als.run(scope, fn);
      } catch (error) {
        scope.done = true;
        await exec(`rollback to savepoint ${name}`);
        await exec(`release savepoint ${name}`);
        throw error;
      }
      scope.done = true;
      await exec(`release savepoint ${name}`);
      return result;
    };
    const p = outer.queue.then(nested, nested);
    outer.queue = p.catch(() => {});
    return p;
  }
}

type Mode = "get" | "all" | "raw" | "run";
const modeKey = Symbol("chihoi-sql-mode");
type SqlQuery = CompiledQuery & { [modeKey]?: Mode };

/**
 * Kysely's SQLite dialect on our own driver: transactions begin IMMEDIATE (the write lock up
 * front: a deferred transaction that reads and then writes can fail with SQLITE_BUSY when another
 * process wrote in between, whatever the busy timeout); prepared statements are cached (bounded);
 * integers come back as numbers; and `Sql`'s statements (marked with their mode) run with
 * better-sqlite3's own get/all/raw/run on the same connection, under the same mutex.
 */
class SqliteConnectionDialect implements Dialect {
  constructor(readonly db: BetterSqlite3.Database) {}
  createDriver(): Driver {
    return new SqliteConnectionDriver(this.db);
  }
  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }
  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

class SqliteConnectionDriver implements Driver {
  readonly #connection: StatementConnection;
  #lock: Promise<void> | undefined;
  #unlock: (() => void) | undefined;
  constructor(db: BetterSqlite3.Database) {
    this.#connection = new StatementConnection(db);
  }
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    // One connection: wait until the one holder (a statement or a whole transaction) releases it.
    while (this.#lock !== undefined) await this.#lock;
    this.#lock = new Promise((resolve) => (this.#unlock = resolve));
    return this.#connection;
  }
  async releaseConnection(): Promise<void> {
    const unlock = this.#unlock;
    this.#lock = undefined;
    this.#unlock = undefined;
    unlock?.();
  }
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("commit"));
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("rollback"));
  }
  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${name}`));
  }
  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to savepoint ${name}`));
  }
  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release savepoint ${name}`));
  }
  async destroy(): Promise<void> {
    // The connection is closed by Database.close.
  }
}

class StatementConnection implements DatabaseConnection {
  readonly #statements: ReturnType<typeof cachedStatements>;
  constructor(db: BetterSqlite3.Database) {
    this.#statements = cachedStatements(db);
  }
  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { sql, parameters } = compiledQuery;
    const mode = (compiledQuery as SqlQuery)[modeKey];
    try {
      if (mode === undefined) {
        // A Kysely query: its parameters are one flat array.
        const stmt = this.#statements.prepare(sql, false);
        if (stmt.reader) return Promise.resolve({ rows: stmt.all(parameters) as R[] });
        return Promise.resolve(runResult(stmt.run(parameters)));
      }
      // Sql's arguments as given: positional values, an array, or an object of named values.
      const args = parameters as unknown[];
      if (mode === "run") return Promise.resolve(runResult(this.#statements.prepare(sql, false).run(...args)));
      if (mode === "get") {
        const row = this.#statements.prepare(sql, false).get(...args);
        return Promise.resolve({ rows: (row === undefined ? [] : [row]) as R[] });
      }
      return Promise.resolve({ rows: this.#statements.prepare(sql, mode === "raw").all(...args) as R[] });
    } catch (error) {
      return Promise.reject(error);
    }
  }
  // biome-ignore lint/correctness/useYield: an iterator that refuses at its first step
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error("streaming is not supported on this SQLite connection");
  }
}

function runResult<R>(r: BetterSqlite3.RunResult): QueryResult<R> {
  return { numAffectedRows: BigInt(r.changes), insertId: BigInt(r.lastInsertRowid), rows: [] };
}

/**
 * Prepared statements, kept (bounded) since better-sqlite3 statements are reusable; reads return
 * integers as numbers. `raw` statements return rows as arrays.
 */
function cachedStatements(db: BetterSqlite3.Database, max = 1000) {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(query: string, raw: boolean): BetterSqlite3.Statement {
      const key = raw ? `raw:${query}` : query;
      let stmt = cache.get(key);
      if (!stmt) {
        stmt = db.prepare(query);
        if (stmt.reader) stmt.safeIntegers(false);
        if (raw) stmt.raw(true);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(key, stmt);
      }
      return stmt;
    },
  };
}

async function openPostgres(url: string, options: OpenOptions): Promise<Database> {
  // Loaded here, not at the top: SQLite-only processes (the default) never load the driver.
  const { default: driver } = await import("pg");
  // int8 (counts, epoch-ms times) and numeric as JavaScript numbers: all ours fit in 2^53.
  const types: pg.CustomTypesConfig = {
    getTypeParser: ((oid: number, format?: "text" | "binary") => {
      if (oid === 20 || oid === 1700) return (value: string) => Number(value);
      return driver.types.getTypeParser(oid, format as "text");
    }) as pg.CustomTypesConfig["getTypeParser"],
  };
  const pool = new driver.Pool({ connectionString: url, max: options.poolSize ?? 10, types });
  // An idle client's connection error (server restart) must not crash the process.
  pool.on("error", () => {});
  // Queries prepared on the server (prepared.ts `serverPrepared`) go by their statement name: the
  // connection parses and plans them once, then only binds and runs them.
  pool.on("connect", (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (text: unknown, values?: unknown, callback?: unknown) => {
      const name = typeof text === "string" ? serverStatementName(text) : undefined;
      return name ? query({ name, text, values }, callback) : query(text, values, callback);
    };
  });
  try {
    const client = await pool.connect();
    try {
      if (options.migrate !== false) await applyPostgresMigrations(client);
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end();
    throw error;
  }
  const kysely = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  const tx = new AmbientTransactions(kysely);
  const sql = new Proxy({} as Sql, {
    get() {
      throw new Error(
        "this part of Chi Hội does not run on PostgreSQL yet (it still uses SQLite-only SQL; see docs/storage.md)",
      );
    },
  });
  let closed = false;
  return {
    engine: "postgresql",
    get kysely() {
      return tx.kysely();
    },
    sql,
    transaction: (fn, options) => tx.run(fn, options),
    get inTransaction() {
      return tx.active();
    },
    isTransientConflict,
    file: "",
    url,
    async close() {
      if (closed) return;
      closed = true;
      await kysely.destroy(); // ends the pool
    },
  };
}

type Params = unknown[] | Record<string, unknown>;

/**
 * Raw SQL on the shared connection, through Kysely's executor (so in the ambient transaction, and
 * queued behind any other transaction), with cached prepared statements. Integers come back as
 * numbers; rows exactly as stored (no boolean conversion).
 */
export class Sql {
  constructor(
    /** The better-sqlite3 connection (backups; nothing else should use it directly). */
    readonly db: BetterSqlite3.Database,
    readonly executor: () => Kysely<DB>,
  ) {}

  async #exec(mode: Mode, query: string, params: unknown[]): Promise<QueryResult<unknown>> {
    const compiled: SqlQuery = { ...CompiledQuery.raw(query, params), [modeKey]: mode };
    return this.executor().executeQuery(compiled);
  }

  async get<T>(query: string, ...params: Params[] | unknown[]): Promise<T | undefined> {
    return (await this.#exec("get", query, params)).rows[0] as T | undefined;
  }

  async all<T>(query: string, ...params: Params[] | unknown[]): Promise<T[]> {
    return (await this.#exec("all", query, params)).rows as T[];
  }

  /** Rows as arrays (faster for large read-only scans). */
  async raw<T extends unknown[]>(query: string, ...params: unknown[]): Promise<T[]> {
    return (await this.#exec("raw", query, params)).rows as T[];
  }

  async run(query: string, ...params: Params[] | unknown[]): Promise<{ changes: number; lastInsertRowid: number }> {
    const r = await this.#exec("run", query, params);
    return { changes: Number(r.numAffectedRows ?? 0n), lastInsertRowid: Number(r.insertId ?? 0n) };
  }
}
