/**
 * `chihoi backup`: an online copy of the live SQLite database that cannot hurt it. The target's
 * real path is resolved (symlinks followed, the folder's real path when the file does not exist
 * yet): the live database and its -wal/-shm/-journal files are refused however they are reached.
 * An existing file is replaced only with `force`, and then the path itself is replaced (a symlink
 * is swapped, not written through). The copy is written to a private temporary file (mode 0600)
 * in the same folder and renamed into place, so a failed backup leaves no half-written file and
 * the copy is readable by its owner only. SQLite only: on PostgreSQL it refuses (`not_sqlite`),
 * the server's own pg_dump makes that backup.
 */
import {
  chmodSync,
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { redactUrl, type Database } from "./database.ts";

/** `not_sqlite`: the database is on PostgreSQL, whose backups are pg_dump's (no file to copy). */
export type BackupProblem = "same_file" | "exists" | "not_a_file" | "not_sqlite";

export class BackupError extends Error {
  override readonly name = "BackupError";
  constructor(
    readonly problem: BackupProblem,
    readonly file: string,
  ) {
    super(`${problem}: ${file}`);
  }
}

/** The real path a write to `target` would reach, or undefined when it is a dangling symlink. */
function realTarget(target: string): string | undefined {
  try {
    return realpathSync(target);
  } catch {
    try {
      lstatSync(target);
      return undefined; // a symlink to nowhere
    } catch {
      return path.join(realpathSync(path.dirname(target)), path.basename(target));
    }
  }
}

/** Copies the live database to `file`. Throws BackupError (or the I/O error of the copy). */
export async function backupDatabase(
  db: Database,
  file: string,
  options: { force?: boolean } = {},
): Promise<{ file: string; size: number }> {
  const target = path.resolve(file);
  if (db.engine !== "sqlite") throw new BackupError("not_sqlite", redactUrl(db.url));
  mkdirSync(path.dirname(target), { recursive: true });
  const live = realpathSync(db.file);
  const protectedFiles = new Set(["", "-wal", "-shm", "-journal"].map((suffix) => live + suffix));
  const real = realTarget(target);
  if (real !== undefined && protectedFiles.has(real)) throw new BackupError("same_file", target);
  let exists = false;
  try {
    const stat = lstatSync(target);
    exists = true;
    if (stat.isDirectory() || (real !== undefined && !stat.isSymbolicLink() && !stat.isFile()))
      throw new BackupError("not_a_file", target);
    if (real !== undefined && statSync(real).isDirectory()) throw new BackupError("not_a_file", target);
  } catch (error) {
    if (error instanceof BackupError) throw error;
  }
  if (exists && !options.force) throw new BackupError("exists", target);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
  closeSync(openSync(temp, "wx", 0o600));
  try {
    // better-sqlite3's online backup copies page by page while other connections keep writing.
    await db.sql.db.backup(temp);
    chmodSync(temp, 0o600);
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  } finally {
    for (const suffix of ["-wal", "-shm", "-journal"]) rmSync(temp + suffix, { force: true });
  }
  return { file: target, size: statSync(target).size };
}
