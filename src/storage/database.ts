/**
 * Opens the database: one better-sqlite3 connection shared by Prisma Client (through the driver
 * adapter) and by the raw-SQL hot paths (`sql`), so that the two never lock each other out.
 *
 * Rule for the rest of the code: atomic multi-statement work uses `sql.transaction(...)`, which is
 * synchronous and cannot interleave with other queries; Prisma's interactive `$transaction` is not
 * used, because on a shared connection other async work could slip into it.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "../generated/prisma/client.ts";
import { applyMigrations } from "./migrate.ts";

export type { PrismaClient };

export interface Database {
  prisma: PrismaClient;
  sql: Sql;
  /** Absolute path of the SQLite file. */
  file: string;
  close(): Promise<void>;
}

/** Resolves "file:./data/x.db" to an absolute path (relative to the working directory). */
export function databaseFile(url: string): string {
  const raw = url.replace(/^file:/, "").replace(/\?.*$/, "");
  return raw === ":memory:" ? raw : path.resolve(raw);
}

function applyPragmas(db: BetterSqlite3.Database): void {
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = ON");
}

/**
 * Opens (and creates, with its folder) the SQLite database at `url`, applies pending migrations,
 * and connects Prisma. Throws when the file cannot be opened or a migration fails.
 */
export async function openDatabase(url: string): Promise<Database> {
  const file = databaseFile(url);
  if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });

  const migrator = new BetterSqlite3(file);
  try {
    applyPragmas(migrator);
    applyMigrations(migrator);
  } finally {
    migrator.close();
  }

  let connection: BetterSqlite3.Database | undefined;
  const inner = new PrismaBetterSQLite3({ url: `file:${file}` }, { timestampFormat: "unixepoch-ms" });
  const factory: typeof inner = Object.assign(Object.create(Object.getPrototypeOf(inner)), inner, {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: async () => {
      const adapter = await inner.connect();
      // The adapter keeps its better-sqlite3 handle as `client`; we share it for raw SQL.
      connection = (adapter as unknown as { client: BetterSqlite3.Database }).client;
      applyPragmas(connection);
      return adapter;
    },
    connectToShadowDb: () => inner.connectToShadowDb(),
  });
  const prisma = new PrismaClient({ adapter: factory });
  await prisma.$connect();
  if (!connection) throw new Error("database connection was not opened");
  const sql = new Sql(connection);
  return {
    prisma,
    sql,
    file,
    async close() {
      await prisma.$disconnect();
      if (connection?.open) connection.close();
    },
  };
}

type Params = unknown[] | Record<string, unknown>;

/**
 * Raw SQL on the shared connection with cached prepared statements. Integers come back as numbers
 * (the adapter turns on BigInt for its own statements; ours turn it off).
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
