/**
 * What a Zalo failure means, read from zca-js's errors: the network (nothing reached Zalo), an
 * expired session (log in again), or a send failure classified for the delivery engine. Also what
 * of an error may be logged, since ws error events carry the socket and its cookies.
 */
import { ChannelSendError } from "../channel.ts";
import { zca } from "./normalise-zalo-event.ts";

const networkCodes =
  /^(ECONNRESET|ECONNREFUSED|ECONNABORTED|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EPIPE|EHOSTUNREACH|ENETUNREACH|UND_ERR_\w+)$/;

function isZaloApiError(error: unknown): error is Error & { code: number | null } {
  return (
    error instanceof zca.ZaloApiError || (error instanceof Error && error.name === "ZcaApiError" && "code" in error)
  );
}

/** A fetch/socket failure: nothing reached Zalo or no answer came back. */
export function isNetworkError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (!(e instanceof Error)) return false;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && networkCodes.test(code)) return true;
    if (e.name === "AbortError" || e.name === "TimeoutError" || e.name === "ConnectTimeoutError") return true;
    if (e instanceof TypeError && /fetch failed|network|socket/i.test(e.message)) return true;
  }
  return false;
}

function httpStatusOf(error: Error): number | null {
  const m = /status code (\d{3})/.exec(error.message);
  return m ? Number(m[1]) : null;
}

/** The session is no longer accepted (code 102, "not logged in", HTTP 401): log in again. */
export function isSessionError(error: unknown): boolean {
  if (!isZaloApiError(error)) return false;
  if (error.code === 102) return true;
  const status = httpStatusOf(error);
  if (status === 401) return true;
  return /not logged in|chưa đăng nhập|session key|phiên đăng nhập/i.test(error.message);
}

/** Classifies a failed send for the delivery engine. */
export function classifyZaloError(error: unknown): ChannelSendError {
  if (error instanceof ChannelSendError) return error;
  if (isZaloApiError(error)) {
    const code = error.code ?? undefined;
    const message = `zalo: ${error.message}${code !== undefined ? ` (code ${code})` : ""}`;
    // "Không thể nhận tin nhắn từ bạn": the stranger/rate limit; retrying soon makes it worse.
    if (code === 123)
      return new ChannelSendError("rate_limited", message, {
        retryAfterSeconds: 3 * 3600,
        scope: "chat",
        errorCode: 123,
        cause: error,
      });
    if (isSessionError(error)) return new ChannelSendError("transient", message, { errorCode: code, cause: error });
    const status = httpStatusOf(error);
    if (status === 429)
      return new ChannelSendError("rate_limited", message, {
        retryAfterSeconds: 60,
        scope: "platform",
        errorCode: status,
        cause: error,
      });
    if (status !== null && (status >= 500 || status === 408 || status === 403))
      return new ChannelSendError("transient", message, { errorCode: status, cause: error });
    if (code === undefined && /failed to parse response/i.test(error.message))
      return new ChannelSendError("transient", message, { cause: error });
    return new ChannelSendError("permanent", message, { errorCode: code ?? status ?? undefined, cause: error });
  }
  if (isNetworkError(error))
    return new ChannelSendError("transient", `zalo network: ${(error as Error).message}`, { cause: error });
  return new ChannelSendError("permanent", `zalo: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
  });
}

/**
 * What of an error may be logged: an Error as such (the logger keeps name, message, stack), else
 * only a message. ws error events carry the socket, whose request headers hold the cookies.
 */
export function loggable(error: unknown): Error | { message: string } {
  if (error instanceof Error) return error;
  if (error && typeof error === "object") {
    const inner = (error as { error?: unknown }).error;
    if (inner instanceof Error) return inner;
    const message = (error as { message?: unknown }).message;
    return { message: typeof message === "string" ? message : Object.prototype.toString.call(error) };
  }
  return { message: String(error) };
}
