/**
 * The buckets of the first-answer-time histogram kept per unit and day in TicketTally (columns
 * h0…h35, migration report_tallies, whose triggers hold the same bounds): bucket 0 is under one
 * minute, bucket k (1…34) is [BOUNDS[k-1], BOUNDS[k]) where BOUNDS[k] = 1 min × 2^(k/2) (rounded
 * to the millisecond), bucket 35 is 91 days and more. Each bucket's upper bound is √2 times its
 * lower bound.
 *
 * A median read from the histogram (`histogramMedian`) lies in the same bucket as the exact
 * median and is interpolated linearly inside it: off by less than the bucket's width, at most
 * 41 % of the value (under a minute: less than a minute). Figures over few concerns are read
 * exactly from the concerns themselves instead (see unitStats).
 */
import type { DB } from "../../generated/kysely/types.ts";

export const ANSWER_BUCKETS = 36;

/** BOUNDS[k]: the exclusive upper bound of bucket k (k = 0…34), ms. */
export const ANSWER_BUCKET_BOUNDS: readonly number[] = Array.from({ length: ANSWER_BUCKETS - 1 }, (_, k) =>
  Math.round(60_000 * 2 ** (k / 2)),
);

/** The bucket of a first-answer time in ms (as the triggers compute it). */
export function answerBucket(ms: number): number {
  for (let k = 0; k < ANSWER_BUCKET_BOUNDS.length; k++) if (ms < ANSWER_BUCKET_BOUNDS[k]!) return k;
  return ANSWER_BUCKETS - 1;
}

export type AnswerBucketColumn = Extract<keyof DB["TicketTally"], `h${number}`>;
/** The histogram columns of TicketTally, in bucket order (h0…h35: the schema names them so). */
export const answerBucketColumns: readonly AnswerBucketColumn[] = Array.from(
  { length: ANSWER_BUCKETS },
  (_, k) => `h${k}` as AnswerBucketColumn,
);

function bucketRange(k: number): [number, number] {
  const lo = k === 0 ? 0 : ANSWER_BUCKET_BOUNDS[k - 1]!;
  const hi = k < ANSWER_BUCKETS - 1 ? ANSWER_BUCKET_BOUNDS[k]! : lo * Math.SQRT2;
  return [lo, hi];
}

/** The value at rank `rank` (0-based, ascending) of a histogram, interpolated inside its bucket. */
function valueAtRank(histogram: readonly number[], rank: number): number {
  let before = 0;
  for (let k = 0; k < histogram.length; k++) {
    const n = histogram[k]!;
    if (rank < before + n) {
      const [lo, hi] = bucketRange(k);
      return Math.round(lo + ((hi - lo) * (rank - before + 0.5)) / n);
    }
    before += n;
  }
  return bucketRange(histogram.length - 1)[0];
}

/** The median of a histogram (counts per bucket), or null when it is empty. See the module comment for its precision. */
export function histogramMedian(histogram: readonly number[]): number | null {
  let n = 0;
  for (const c of histogram) n += c;
  if (!n) return null;
  if (n % 2) return valueAtRank(histogram, (n - 1) / 2);
  return (valueAtRank(histogram, n / 2 - 1) + valueAtRank(histogram, n / 2)) / 2;
}
