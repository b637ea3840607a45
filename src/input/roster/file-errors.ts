/**
 * The AppErrors of a roster file that cannot be read as a whole: "file_missing",
 * "file_unreadable", "file_empty", "file_format", each with `params.reason`, a key under
 * "roster.file." in the locales.
 */
import { AppError } from "../../lib/app-error.ts";

/** Every `params.reason` of the AppErrors thrown here; each has a message under "roster.file.". */
export const rosterFileReasons = [
  "missing",
  "io",
  "encoding",
  "xlsx_corrupt",
  "empty",
  "no_rows",
  "no_header",
  "csv_quotes",
  "pdf",
  "xls",
  "encrypted",
  "xlsb",
  "ods",
  "zip_not_xlsx",
  "html",
  "binary",
] as const;
export type RosterFileReason = (typeof rosterFileReasons)[number];

/**
 * The AppError for a file that could not be read: file_missing (no such file), or file_unreadable
 * with a reason in words (a folder, no permission, other I/O).
 */
export function fileReadError(error: unknown, fileName: string): AppError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT" || code === "ENOTDIR")
    return new AppError("file_missing", { file: fileName, reason: "missing" }, { cause: error });
  const reason = code === "EISDIR" ? "folder" : code === "EACCES" || code === "EPERM" ? "permission" : "io";
  return new AppError("file_unreadable", { file: fileName, reason, detail: String(code ?? error) }, { cause: error });
}

/** The AppError `code` for a roster file, its reason and any `extra` parameters of the message, caused by `cause`. */
export function fileError(
  code: "file_unreadable" | "file_empty" | "file_format",
  {
    file,
    reason,
    extra = {},
    cause,
  }: { file: string; reason: RosterFileReason; extra?: Record<string, string | number>; cause?: unknown },
): AppError {
  return new AppError(code, { file, reason, ...extra }, cause === undefined ? undefined : { cause });
}
