import { describe, expect } from 'vitest';
import { unlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileDeletes, type DeleteEvent, type EventStream } from '../lib/index.js';
import { kernelSupport } from './support/kernel.js';
import { countOpenFds, listOpenFds } from './support/fds.js';
import { bpfObjectIds, type BpfObjectIds } from './support/bpf-objects.js';
import { lingering, ownBpfObjects } from './support/own-bpf.js';
import { runChild } from './support/child.js';

// The event stream's contract, on the tier every kernel here has (syscall tracepoints): loss is
// counted exactly, memory stays bounded, and every way of ending a stream frees everything.
const k = await kernelSupport();
const CYCLES_PER_WAY = Number(process.env.BPFKIT_LIFETIME_CYCLES ?? 50);

function uniquePrefix(): string {
  return `bpfkit-stream-${process.pid}-${Math.random().toString(36).slice(2)}`;
}

/** Deletes a file that does not exist, from this process: one event with ret -ENOENT. */
function deleteMissing(name: string): void {
  try {
    unlinkSync(name);
  } catch {
    // ENOENT is the point: the kernel still reports the attempt.
  }
}

/** Everything the open streams of a test held, gathered while they were open. */
const held: BpfObjectIds = { progs: new Set(), maps: new Set(), links: new Set() };

function recordHeld(): void {
  const owned = ownBpfObjects();
  for (const kind of ['progs', 'maps', 'links'] as const) for (const id of owned[kind]) held[kind].add(id);
}

async function firstEvent(stream: EventStream<DeleteEvent>, name: string): Promise<void> {
  await stream.ready;
  recordHeld();
  deleteMissing(name);
}

const ways: Record<string, (name: string) => Promise<void>> = {
  'break': async (name) => {
    const stream = fileDeletes({ attach: 'tracepoint', prefix: name });
    await firstEvent(stream, name);
    for await (const event of stream) {
      expect(event.filename).toBe(name);
      break;
    }
    await stream.close();
  },
  'AbortSignal': async (name) => {
    const controller = new AbortController();
    const stream = fileDeletes({ attach: 'tracepoint', prefix: name, signal: controller.signal });
    await stream.ready;
    recordHeld();
    const pending = stream.next();
    controller.abort();
    expect(await pending).toEqual({ done: true, value: undefined });
    await stream.close();
  },
  'await using': async (name) => {
    await using stream = fileDeletes({ attach: 'tracepoint', prefix: name });
    await firstEvent(stream, name);
    expect((await stream.next()).value?.filename).toBe(name);
  },
  'an exception in the loop': async (name) => {
    const stream = fileDeletes({ attach: 'tracepoint', prefix: name });
    await firstEvent(stream, name);
    await expect((async () => {
      for await (const event of stream) throw new Error(`stop at ${event.filename}`);
    })()).rejects.toThrow(`stop at ${name}`);
    await stream.close();
  },
};

describe('EventStream lifetimes', () => {
  for (const [way, run] of Object.entries(ways)) {
    k.itRequires(['tracepoint', 'ringbuf'], `${way} releases every fd, program, map and link (${CYCLES_PER_WAY} cycles)`, async () => {
      const name = uniquePrefix();
      await run(name); // warm up lazy state (probe cache, addon) before counting
      const fds = countOpenFds();
      for (const kind of ['progs', 'maps', 'links'] as const) held[kind].clear();
      for (let i = 0; i < CYCLES_PER_WAY; i++) await run(name);
      expect(held.progs.size).toBeGreaterThanOrEqual(CYCLES_PER_WAY * 6);
      expect(held.links.size).toBeGreaterThanOrEqual(CYCLES_PER_WAY * 6);
      expect(await lingering(held, bpfObjectIds)).toEqual({ progs: [], maps: [], links: [] });
      expect(ownBpfObjects()).toEqual({ progs: new Set(), maps: new Set(), links: new Set() });
      expect(countOpenFds(), JSON.stringify(listOpenFds())).toBe(fds);
    }, 600_000);
  }

  k.itRequires(['tracepoint'], 'close() while next() waits ends that next() with done, at once', async () => {
    const stream = fileDeletes({ attach: 'tracepoint', prefix: uniquePrefix() });
    await stream.ready;
    const pending = stream.next();
    const started = Date.now();
    const closed = stream.close();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(Date.now() - started).toBeLessThan(50);
    await closed;
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    await stream.close(); // idempotent
  });

  k.itRequires(['tracepoint'], 'an already aborted signal fails the stream before anything is loaded', async () => {
    const fds = countOpenFds();
    const stream = fileDeletes({ attach: 'tracepoint', signal: AbortSignal.abort() });
    await expect(stream.ready).rejects.toMatchObject({ name: 'AbortError' });
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    expect(ownBpfObjects().progs.size).toBe(0);
    expect(countOpenFds()).toBe(fds);
  });

  k.itRequires(['tracepoint'], 'a stream nobody iterates does not keep the process alive; one being iterated does', async () => {
    const lib = new URL('../dist/lib/index.js', import.meta.url).pathname;
    const idle = `import { fileDeletes } from '${lib}';
      const s = fileDeletes({ attach: 'tracepoint', prefix: 'x-idle' }); await s.ready; console.log('ready');`;
    const child = await runChild(process.execPath, ['--input-type=module', '-e', idle]);
    const result = await child.exited;
    expect(result.stdout.trim()).toBe('ready');
    expect(result.code).toBe(0);

    const busy = `import { fileDeletes } from '${lib}';
      const s = fileDeletes({ attach: 'tracepoint', prefix: 'x-busy' }); await s.ready; console.log('ready');
      for await (const e of s) console.log('event', e.filename);`;
    const iterating = await runChild(process.execPath, ['--input-type=module', '-e', busy]);
    await iterating.waitForStdout(/ready/);
    await sleep(500);
    const still = await Promise.race([iterating.exited.then(() => 'exited'), sleep(200).then(() => 'running')]);
    iterating.kill('SIGKILL');
    expect(still).toBe('running');
  });
});

describe('backpressure and loss accounting', () => {
  for (const buffer of ['ringbuf', 'perf'] as const) {
    k.itRequires(['tracepoint', buffer], `a slow consumer on a small ${buffer}: received + dropped === produced, memory bounded`, async () => {
      const produced = 20_000;
      const name = uniquePrefix();
      const highWaterMark = 64;
      const stream = fileDeletes({
        attach: 'tracepoint', prefix: name, buffer, ringSize: 16384, perfPages: 2, highWaterMark,
        signal: AbortSignal.timeout(60_000),
      });
      await stream.ready;
      const child = await runChild(process.execPath, ['-e',
        `const fs = require('fs'); for (let i = 0; i < ${produced}; i++) try { fs.unlinkSync('${name}') } catch {}`]);
      let childDone = false;
      void child.exited.then(() => (childDone = true));
      let received = 0;
      let maxQueued = 0;
      // the last event may be consumed before the child's exit is noticed: end the loop from outside
      const finished = setInterval(() => {
        if (childDone && received + stream.stats.dropped >= produced) void stream.close();
      }, 20);
      for await (const event of stream) {
        expect(event.pid).toBe(child.pid);
        received++;
        maxQueued = Math.max(maxQueued, stream.stats.queued);
        if (!childDone && received % 16 === 0) await sleep(1);
        if (childDone && received + stream.stats.dropped >= produced) break;
      }
      clearInterval(finished);
      const stats = stream.stats;
      expect(received).toBe(stats.received);
      expect(stats.received + stats.dropped).toBe(produced);
      expect(stats.dropped).toBeGreaterThan(0);
      expect(maxQueued).toBeLessThanOrEqual(2 * highWaterMark);
      await stream.close();
      expect(stream.stats.dropped).toBe(stats.dropped);
      expect(stream.stats.received).toBe(stats.received);
    }, 120_000);
  }
});
