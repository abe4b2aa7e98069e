/**
 * Reads events from `stream` until `done(events)` holds or `timeoutMs` passes, without closing it.
 * Returns what was seen; the caller asserts on it (a timeout is not an error here, so the assertion
 * shows what did arrive).
 */
export async function collectUntil<T>(
  stream: AsyncIterator<T>,
  keep: (event: T) => boolean,
  done: (events: T[]) => boolean,
  timeoutMs: number,
): Promise<T[]> {
  const events: T[] = [];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  try {
    while (!done(events)) {
      const result = await Promise.race([stream.next(), timeout]);
      if (result === 'timeout' || result.done) break;
      if (keep(result.value)) events.push(result.value);
    }
  } finally {
    clearTimeout(timer);
  }
  return events;
}
