import { describe, expect, it } from 'vitest';
import { fileDeletes } from '../lib/index.js';
import { ownBpfObjects } from './support/own-bpf.js';
import { countOpenFds } from './support/fds.js';

// Every public option, abused: each call throws synchronously a TypeError or RangeError whose
// message names the option, and the kernel never sees a thing.

type Case = [label: string, options: unknown, option: string, kind: typeof TypeError | typeof RangeError];

const streamCases: Case[] = [
  ['ringSize not a power of two', { ringSize: 5000 }, 'ringSize', RangeError],
  ['ringSize too small', { ringSize: 1024 }, 'ringSize', RangeError],
  ['ringSize huge', { ringSize: 2 ** 40 }, 'ringSize', RangeError],
  ['ringSize NaN', { ringSize: NaN }, 'ringSize', TypeError],
  ['ringSize string', { ringSize: '1M' }, 'ringSize', TypeError],
  ['buffer unknown', { buffer: 'shm' }, 'buffer', RangeError],
  ['perfPages not a power of two', { perfPages: 3 }, 'perfPages', RangeError],
  ['wakeup unknown', { wakeup: 'never' }, 'wakeup', RangeError],
  ['wakeupEvery zero', { wakeupEvery: 0 }, 'wakeupEvery', RangeError],
  ['maxDelayMs negative', { maxDelayMs: -1 }, 'maxDelayMs', RangeError],
  ['maxDelayMs Infinity', { maxDelayMs: Infinity }, 'maxDelayMs', RangeError],
  ['highWaterMark fractional', { highWaterMark: 1.5 }, 'highWaterMark', RangeError],
  ['highWaterMark huge', { highWaterMark: 2 ** 31 }, 'highWaterMark', RangeError],
  ['signal not a signal', { signal: {} }, 'signal', TypeError],
];

const deleteCases: Case[] = [
  ['options not an object', 'fentry', 'options', TypeError],
  ['options an array', [], 'options', TypeError],
  ['unknown option', { pids: 1 }, 'options.pids', TypeError],
  ['attach unknown', { attach: 'uprobe' }, 'attach', RangeError],
  ['attach not a string', { attach: 1 }, 'attach', TypeError],
  ['pid zero', { pid: 0 }, 'pid', RangeError],
  ['pid negative', { pid: -5 }, 'pid', RangeError],
  ['pid NaN', { pid: NaN }, 'pid', TypeError],
  ['pid string', { pid: '42' }, 'pid', TypeError],
  ['pid too big', { pid: 2 ** 32 }, 'pid', RangeError],
  ['uid negative', { uid: -1 }, 'uid', RangeError],
  ['uid fractional', { uid: 0.5 }, 'uid', RangeError],
  ['comm too long', { comm: 'abcdefghijklmnop' }, 'comm', RangeError],
  ['comm with NUL', { comm: 'rm\0x' }, 'comm', RangeError],
  ['comm empty', { comm: '' }, 'comm', RangeError],
  ['comm not a string', { comm: 7 }, 'comm', TypeError],
  ['prefix empty', { prefix: '' }, 'prefix', RangeError],
  ['prefix too long', { prefix: '/'.repeat(64) }, 'prefix', RangeError],
  ['prefix with NUL', { prefix: '/tmp\0' }, 'prefix', RangeError],
  ...streamCases,
];

describe('fileDeletes() rejects bad options before touching the kernel', () => {
  it.each(deleteCases)('%s', async (_label, options, option, kind) => {
    const fds = countOpenFds();
    const before = ownBpfObjects();
    let thrown: unknown;
    try {
      fileDeletes(options as never);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(kind);
    expect((thrown as Error).message.startsWith(`${option}:`)).toBe(true);
    expect(thrown).toMatchObject({ code: 'BPFKIT_INVALID_OPTION', option });
    expect(ownBpfObjects()).toEqual(before);
    expect(countOpenFds()).toBe(fds);
  });
});
