/**
 * A conservative estimate of how many bits of entropy a secret typed into a setting carries: its
 * length times log2 of the alphabet its character classes span (lower case 26, upper case 26,
 * digits 10, anything else 33), and nothing at all when it is mostly one repeated character. It
 * over-estimates human passwords (which are not random) and is exact for random keys: what it is
 * for is refusing keys that are certainly too weak, such as a 16-character password.
 */
export const minKeyBits = 128;

/** `openssl rand -base64 32`: 256 random bits as 44 characters, the recommended key. */
export const keyRecipe = "openssl rand -base64 32";

export function estimateKeyBits(secret: string): number {
  const chars = [...secret];
  if (new Set(chars).size < Math.min(10, chars.length / 2)) return 0;
  let pool = 0;
  if (/[a-z]/.test(secret)) pool += 26;
  if (/[A-Z]/.test(secret)) pool += 26;
  if (/[0-9]/.test(secret)) pool += 10;
  if (/[^a-zA-Z0-9]/.test(secret)) pool += 33;
  return pool ? Math.floor(chars.length * Math.log2(pool)) : 0;
}
