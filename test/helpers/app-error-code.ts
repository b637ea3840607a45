/** The AppError code a call throws (or the error's text for anything else; undefined when it returns). */
import { isAppError } from "../../src/lib/app-error.ts";

export async function appErrorCode(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (e) {
    return isAppError(e) ? e.code : String(e);
  }
  return undefined;
}
