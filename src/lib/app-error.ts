/**
 * The one application error. `code` is a closed union: the conversation layer turns it into a
 * localised reply (`errors.<code>`), the CLI into a message and exit code 1, the web layer into an
 * HTTP status. `params` fill the placeholders of the localised message.
 */
export const appErrorCodes = [
  "not_found",
  "forbidden",
  "invalid_input",
  "conflict",
  "unit_ambiguous",
  "unit_not_found",
  "unit_cycle",
  "unit_root_move",
  "person_not_found",
  "phone_taken",
  "code_invalid",
  "code_expired",
  "code_used",
  "code_throttled",
  "code_paused",
  "code_legacy",
  "account_linked_elsewhere",
  "not_linked",
  "file_missing",
  "file_unreadable",
  "file_empty",
  "file_format",
  "import_invalid_rows",
  "meeting_in_past",
  "meeting_end_before_start",
  "meeting_cancelled",
  "meeting_finished",
  "meeting_started",
  "date_invalid",
  "recurrence_invalid",
  "recurrence_never_fires",
  "directive_summary_empty",
  "directive_summary_too_long",
  "directive_number_invalid",
  "report_period_invalid",
  "ticket_closed",
  "ticket_too_many",
  "ticket_not_yours",
  "ticket_at_root",
  "ticket_assignee_not_handler",
  "already_initialised",
  "database_busy",
] as const;

export type AppErrorCode = (typeof appErrorCodes)[number];

export class AppError extends Error {
  override readonly name = "AppError";
  constructor(
    readonly code: AppErrorCode,
    readonly params: Record<string, string | number> = {},
    options?: { cause?: unknown },
  ) {
    super(`${code}${Object.keys(params).length ? ` ${JSON.stringify(params)}` : ""}`, options);
  }
}

export function isAppError(error: unknown, code?: AppErrorCode): error is AppError {
  return error instanceof AppError && (code === undefined || error.code === code);
}
