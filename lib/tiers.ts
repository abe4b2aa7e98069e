import { BpfError, errnoName } from './errors.js';
import type { Capability } from './probe.js';
import type { Rejection } from './event-stream.js';

/** One way a tool can run: a cheap real probe first, then the real open/load/attach. */
export interface Tier<S> {
  mode: string;
  /** a real load-and-attach probe for this mode (cached per process). */
  check: () => Promise<Capability>;
  open: () => Promise<S> | S;
}

export interface Selected<S> {
  source: S;
  mode: string;
  rejected: Rejection[];
}

function unavailable(tool: string, mode: string, reason: string, errno?: string): BpfError {
  return Object.assign(
    new BpfError(`${tool}: attach mode '${mode}' is unavailable on this kernel: ${reason}`,
      { code: errno ?? 'BPFKIT_MODE_UNAVAILABLE' }),
    { mode, reason },
  );
}

/**
 * Picks the first tier that really works, best first. An explicit mode either works or throws a
 * typed error naming the reason; 'auto' records why each better mode was passed over.
 */
export async function selectTier<S>(tool: string, requested: string, tiers: Tier<S>[]): Promise<Selected<S>> {
  const candidates = requested === 'auto' ? tiers : tiers.filter((tier) => tier.mode === requested);
  const rejected: Rejection[] = [];
  for (const tier of candidates) {
    const capability = await tier.check();
    if (!capability.available) {
      const reason = capability.reason ?? 'unavailable';
      if (requested !== 'auto') throw unavailable(tool, tier.mode, reason, capability.errno);
      rejected.push({ mode: tier.mode, reason, ...(capability.errno ? { errno: capability.errno } : {}) });
      continue;
    }
    try {
      return { source: await tier.open(), mode: tier.mode, rejected };
    } catch (error) {
      if (requested !== 'auto') throw error;
      const errno = errnoName(error);
      rejected.push({ mode: tier.mode, reason: (error as Error).message, ...(errno ? { errno } : {}) });
    }
  }
  const reasons = rejected.map((r) => `${r.mode}: ${r.reason}`).join('; ');
  throw Object.assign(new BpfError(`${tool}: no attach mode works on this kernel (${reasons})`, { code: 'BPFKIT_NO_MODE' }),
    { rejected });
}
