/** One bucket of a log2 histogram: `count` values v with low <= v <= high. */
export interface Log2Bucket {
  low: number;
  high: number;
  count: number;
}

/**
 * Buckets from log2 slot counts where slot i holds the integers [2^i, 2^(i+1) - 1], except that
 * slot 0 also holds 0 (so it reads 0 -> 1). Every slot is kept, empty or not.
 */
export function log2Buckets(slots: ArrayLike<number>): Log2Bucket[] {
  const buckets: Log2Bucket[] = [];
  for (let i = 0; i < slots.length; i++) {
    buckets.push({ low: i === 0 ? 0 : 2 ** i, high: 2 ** (i + 1) - 1, count: slots[i]! });
  }
  return buckets;
}

export interface Log2HistogramFormat {
  /** width of the star bar; default 40 (20 when the values need wide columns). */
  barWidth?: number;
}

const WIDE_ABOVE = 2 ** 33;

/**
 * The classic bcc text histogram:
 *
 *      usecs               : count    distribution
 *          0 -> 1          : 0        |                                        |
 *          2 -> 3          : 4        |****                                    |
 *
 * Rows run from the first bucket up to the last non-empty one; the bar of the largest bucket is
 * full. Returns '' when every bucket is empty, as the C tools print nothing then.
 */
export function formatLog2Histogram(buckets: readonly Log2Bucket[], unit: string, options: Log2HistogramFormat = {}): string {
  let last = -1;
  let largest = 0;
  buckets.forEach((bucket, i) => {
    if (bucket.count > 0) last = i;
    largest = Math.max(largest, bucket.count);
  });
  if (last < 0) return '';
  const wide = buckets[last]!.high >= WIDE_ABOVE;
  const column = wide ? 20 : 10;
  const barWidth = options.barWidth ?? (wide ? 20 : 40);
  const lines = [`${' '.repeat(wide ? 15 : 5)}${unit.padEnd(wide ? 29 : 19)} : count    distribution`];
  for (const bucket of buckets.slice(0, last + 1)) {
    const stars = Math.floor((bucket.count * barWidth) / largest);
    const bar = '*'.repeat(stars).padEnd(barWidth);
    const range = `${String(bucket.low).padStart(column)} -> ${String(bucket.high).padEnd(column)}`;
    lines.push(`${range} : ${String(bucket.count).padEnd(8)} |${bar}|`);
  }
  return `${lines.join('\n')}\n`;
}
