/**
 * Compares a secret a request carries (a webhook's secret-token header) with the configured one.
 * It compares SHA-256 digests in constant time, so neither the content nor the length of the
 * secret leaks through timing. The Zalo Bot Platform's webhook uses it; Telegram's is checked by
 * grammY's webhookCallback (its secretToken option), which compares in constant time too.
 */
import { createHash, timingSafeEqual } from "node:crypto";

export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}
