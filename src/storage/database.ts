/**
 * Opens the database named by a URL: `file:…` (SQLite, the default) or `postgresql://…`.
 *
 * Both engines expose `kysely`, typed from prisma/schema.prisma (src/generated/kysely), with the
 * dialect differences confined to src/storage (see dialect.ts). SQLite also exposes `sql`, the
 * synchronous raw-SQL interface the not-yet-converted code uses, on the same connection as
 * Kysely, so the two never lock each other out.
 *
 * Rules while both coexist on SQLite: atomic multi-statement work in old code uses
 * `sql.transaction(...)` (synchronous: nothing can interleave); converted code uses
 * `kysely.transaction()`, whose body awaits only database calls (Kysely serialises its own queries
 * on the one connection, but a synchronous `sql` call made from elsewhere during an open Kysely
 * transaction would join it).
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import type pg from "pg";
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDatabase, type SqliteDialectConfig, type SqliteStatement } from "kysely";
import type { DB } from "../generated/kysely/types.ts";
import { applyMigrations, applyPostgresMigrations } from "./migrate.ts";
import { SqliteBooleans, type Engine } from "./dialect.ts";

export type { DB };
export type { Engine };

export interface Database {
  engine: Engine;
  /** Typed queries, both engines. */
  kysely: Kysely<DB>;
  /** Raw synchronous SQL (SQLite only; throws on PostgreSQL: that code is not converted yet). */
  sql: Sql;
  /** Absolute path of the SQLite file ("" on PostgreSQL). */
  file: string;
  /** The URL it was opened with. */
  url: string;
  close(): Promise<void>;
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
  throw new Error(`DATABASE_URL must start with file: (SQLite) or postgresql:// (PostgreSQL), not "${url.replace(/\/\/[^@/]*@/, "//…@").slice(0, 40)}"`);
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
  return engineOf(url) === "postgresql" ? openPostgres(url, options) : openSqlite(url, options);
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
  const sql = new Sql(connection);
  const kysely = new Kysely<DB>({
    dialect: new ImmediateSqliteDialect({ database: cachedStatements(connection) }),
    plugins: [new SqliteBooleans()],
  });
  return {
    engine: "sqlite",
    kysely,
    sql,
    file,
    url,
    async close() {
      await kysely.destroy();
      if (connection.open) connection.close();
    },
  };
}

/**
 * Kysely transactions on SQLite start IMMEDIATE (the write lock up front, as `sql.transaction`
 * does): a deferred transaction that reads and then writes can fail with SQLITE_BUSY when another
 * process wrote in between, whatever the busy timeout.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

/**
 * Kysely prepares a statement per query; better-sqlite3 statements are reusable, so keep them
 * (bounded) and turn off BigInt for reads, as `Sql` does.
 */
function cachedStatements(db: BetterSqlite3.Database, max = 500): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => {
      // The connection is closed by Database.close (it is shared with `sql`).
    },
    prepare(query: string): SqliteStatement {
      let stmt = cache.get(query);
      if (!stmt) {
        stmt = db.prepare(query);
        if (stmt.reader) stmt.safeIntegers(false);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(query, stmt);
      }
      return stmt as unknown as SqliteStatement;
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
  const sql = new Proxy({} as Sql, {
    get() {
      throw new Error("this part of Chi Hội does not run on PostgreSQL yet (it still uses SQLite-only SQL; see docs/storage.md)");
    },
  });
  let closed = false;
  return {
    engine: "postgresql",
    kysely,
    sql,
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
 * Raw SQL on the shared connection with cached prepared statements. Integers come back as numbers.
 */
export class Sql {
  readonly #cache = new Map<string, BetterSqlite3.Statement>();
  readonly #rawCache = new Map<string, BetterSqlite3.Statement>();
  constructor(readonly db: BetterSqlite3.Database) {}

  #stmt(query: string): BetterSqlite3.Statement {
    let stmt = this.#cache.get(query);
    if (!stmt) {
      stmt = this.db.prepare(query);
      if (stmt.reader) stmt.safeIntegers(false);
      this.#cache.set(query, stmt);
    }
    return stmt;
  }

  get<T>(query: string, ...params: Params[] | unknown[]): T | undefined {
    return this.#stmt(query).get(...(params as unknown[])) as T | undefined;
  }

  all<T>(query: string, ...params: Params[] | unknown[]): T[] {
    return this.#stmt(query).all(...(params as unknown[])) as T[];
  }

  /** Rows as arrays (faster for large read-only scans). */
  raw<T extends unknown[]>(query: string, ...params: unknown[]): T[] {
    let stmt = this.#rawCache.get(query);
    if (!stmt) {
      stmt = this.db.prepare(query).raw(true).safeIntegers(false);
      this.#rawCache.set(query, stmt);
    }
    return stmt.all(...params) as T[];
  }

  run(query: string, ...params: Params[] | unknown[]): { changes: number; lastInsertRowid: number } {
    const r = this.#stmt(query).run(...(params as unknown[]));
    return { changes: r.changes, lastInsertRowid: Number(r.lastInsertRowid) };
  }

  /** Runs `fn` in one IMMEDIATE transaction (takes the write lock up front: no upgrade deadlocks). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }
}
