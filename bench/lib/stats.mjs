// Summaries of repeated measurements.
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function summary(values) {
  return { min: Math.min(...values), median: median(values), max: Math.max(...values), runs: values.length };
}

export function ratio(value, reference) {
  return reference > 0 ? value / reference : null;
}
