import { it, type TestFunction } from 'vitest';

/**
 * Declares a test that is skipped, loudly, when `reason` is non-empty: the reason goes into the
 * title as `[SKIPPED: reason]`, which scripts/run-tests.mjs lists in its summary.
 */
export function itUnless(reason: string, title: string, fn: TestFunction, timeout?: number): void {
  if (reason) it.skip(`${title} [SKIPPED: ${reason}]`, fn);
  else it(title, fn, timeout);
}
