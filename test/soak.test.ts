import { expect } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChild } from './support/child.js';
import { kernelSupport } from './support/kernel.js';

// The CI version of the soak (scripts/soak.mjs, 30 minutes when run by hand): 60 s of continuous
// events through every tool this kernel runs, streams reopened every 10 s. The script checks and
// reports; this test runs it in a child and asserts on the numbers it measured.

const k = await kernelSupport();
const SECONDS = Number(process.env.BPFKIT_SOAK_SECONDS ?? 60);
const script = fileURLToPath(new URL('../scripts/soak.mjs', import.meta.url));

interface Boundary { fds: number; rssMiB: number; heldBpfObjects: number; leftInKernel: number }
interface Summary {
  seconds: number;
  cycles: number;
  tools: string[];
  skipped: string[];
  totals: {
    deletes: { produced: number; received: number; dropped: number; consumed: number; mismatches: number };
    deletesLossy: { produced: number; received: number; dropped: number; consumed: number; mismatches: number };
    netlink?: { produced: number; seen: number; dropped: number };
    tcpRtt?: { cycles: number; samples: number; emptyCycles: number };
  };
  boundaries: Boundary[];
  failures: string[];
}

k.itRequires(['tracepoint', 'ringbuf'], `soak for ${SECONDS} s: fds, RSS and kernel objects flat; dropped is the only loss`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-soak-'));
  try {
    const json = join(dir, 'soak.json');
    const child = await runChild(process.execPath, [script, '--seconds', String(SECONDS), '--cycle-seconds', '10', '--json', json]);
    const result = await child.exited;
    expect(result.signal, result.stderr).toBeNull();
    const summary = JSON.parse(readFileSync(json, 'utf8')) as Summary;
    expect(summary.failures, result.stdout).toEqual([]);
    expect(result.code, result.stdout).toBe(0);
    expect(summary.cycles).toBeGreaterThanOrEqual(Math.floor(SECONDS / 10));

    const { deletes, deletesLossy } = summary.totals;
    expect(deletes.produced).toBeGreaterThan(1000);
    expect(deletes.received + deletes.dropped).toBe(deletes.produced);
    expect(deletes.consumed).toBe(deletes.received);
    // the tiny ring loses most events, and counts every one
    expect(deletesLossy.dropped).toBeGreaterThan(0);
    expect(deletesLossy.received + deletesLossy.dropped).toBe(deletesLossy.produced);
    expect(deletesLossy.mismatches).toBe(0);
    if (summary.totals.netlink) expect(summary.totals.netlink.seen + summary.totals.netlink.dropped).toBeGreaterThanOrEqual(summary.totals.netlink.produced);
    if (summary.totals.tcpRtt) expect(summary.totals.tcpRtt.samples).toBeGreaterThan(0);

    // after two warm-up cycles (lazily created fds appear once; a leak grows every cycle)
    const afterWarmUp = summary.boundaries.slice(2);
    expect(new Set(afterWarmUp.map((b) => b.fds)).size).toBe(1);
    expect(summary.boundaries.every((b) => b.heldBpfObjects === 0 && b.leftInKernel === 0)).toBe(true);
    // every skipped tool says why
    for (const reason of summary.skipped) expect(reason).toMatch(/: .+/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, (SECONDS + 120) * 1000);
