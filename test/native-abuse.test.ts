import { describe, expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { runChild } from './support/child.js';
import { kernelSupport } from './support/kernel.js';

// The addon under abuse, in child processes: a crash there ends the child with a signal, which
// the test reports, instead of killing the test runner. See the fixtures for what each one does.

const k = await kernelSupport();
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

describe('the addon under abuse', () => {
  k.itRequires(['tracepoint', 'ringbuf'], 'wrong types, wrong receivers, use after close, twice and interleaved: typed errors, no crash', async () => {
    const child = await runChild(process.execPath, ['--expose-gc', fixture('native-abuse-child.cjs')]);
    const result = await child.exited;
    expect(result.signal, result.stderr).toBeNull();
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { calls: number; untyped: string[]; asyncDone: number; expectedDone: number; reportedErrors: number };
    expect(summary.untyped).toEqual([]);
    expect(summary.calls).toBeGreaterThan(5000);
    // every closeAsync callback ran once, also for objects closed synchronously meanwhile
    expect(summary.asyncDone).toBe(summary.expectedDone);
    // a throwing onBatch was reported to onError once per batch (one record per batch, 4 records)
    expect(summary.reportedErrors).toBe(4);
  }, 120_000);

  k.itRequires(['tracepoint', 'ringbuf'], 'garbage collection while iterating frees nothing a live stream uses', async () => {
    const child = await runChild(process.execPath, ['--expose-gc', fixture('gc-child.mjs')]);
    const result = await child.exited;
    expect(result.signal, result.stderr).toBeNull();
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { rounds: number; events: number; progsBefore: number; progsAfter: number; progsClosed: number };
    expect(summary.rounds).toBe(20);
    expect(summary.events).toBeGreaterThanOrEqual(20);
    expect(summary.progsBefore).toBeGreaterThanOrEqual(6);
    expect(summary.progsAfter).toBe(summary.progsBefore);
    expect(summary.progsClosed).toBe(0);
  });
});
