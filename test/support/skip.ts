import { it, type TestFunction } from 'vitest';

/**
 * Declares a test that is skipped, loudly, when `reason` is non-empty: the reason goes into the
 * title as `[SKIPPED: reason]`, which scripts/run-tests.mjs lists in its summary.
 */
export function itUnless(reason: string, title: string, fn: TestFunction, timeout?: number): void {
  it.skipIf(reason !== '')(reason ? `${title} [SKIPPED: ${reason}]` : title, fn, timeout);
}
