import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Native, NativeBpfObject, NativeErrorFields, NativeEventReader } from '../types/native.js';
import { bpfObjectIds } from './support/bpf-objects.js';
import { inGuest } from './support/guest.js';
import { itUnless } from './support/skip.js';

// The addon on its own, below lib/: the contract of types/native.ts, checked against the kernel.

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const addonPath = join(repoRoot, 'build/Release/bpfkit.node');
const nodeGypBuild = createRequire(import.meta.url)('node-gyp-build') as (dir: string) => unknown;
const native = nodeGypBuild(repoRoot) as Native;

type ThrownError = Error & NativeErrorFields;

function thrown(fn: () => unknown): ThrownError {
  try {
    fn();
  } catch (error) {
    return error as ThrownError;
  }
  throw new Error('expected a throw');
}

function expectInvalidType(fn: () => unknown, names: string): void {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(TypeError);
  expect(error.code).toBe('BPFKIT_INVALID_ARG');
  expect(error.message).toContain(names);
}

function expectInvalidValue(fn: () => unknown, names: string): void {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(RangeError);
  expect(error.code).toBe('BPFKIT_INVALID_ARG');
  expect(error.message).toContain(names);
}

const objectMethods = [
  'load', 'attach', 'detach', 'programFd', 'programId', 'mapFd', 'mapInfo',
  'mapLookup', 'mapUpdate', 'mapDelete', 'mapKeys', 'close', 'closeAsync',
] as const;
const readerMethods = ['start', 'pause', 'resume', 'flush', 'ref', 'unref', 'close'] as const;

function openProbe(): NativeBpfObject {
  return new native.BpfObject({ object: 'probe', programs: ['probe_tracepoint'] });
}

// deletes.bpf.c on the syscalls tracepoints, keeping only this process's deletions.
const deleteEvent = native.layouts()['delete_event']!;
const deletesRodata = native.layouts()['deletes.rodata']!;
const deletePrograms = [
  'handle_sys_enter_unlinkat', 'handle_sys_exit_unlinkat', 'handle_sys_enter_unlink', 'handle_sys_exit_unlink',
];

function openDeletes(usePerf = false): NativeBpfObject {
  const rodata = new Uint8Array(deletesRodata.__size!);
  new DataView(rodata.buffer).setUint32(deletesRodata.targ_tgid!, process.pid, true);
  rodata[deletesRodata.targ_use_perf!] = usePerf ? 1 : 0;
  const object = new native.BpfObject({
    object: 'deletes',
    programs: deletePrograms,
    rodata,
    ...(usePerf ? { skipMaps: ['events'] } : {}),
  });
  object.load();
  for (const program of deletePrograms) object.attach(program, { kind: 'auto' });
  return object;
}

const scratch = mkdtempSync(join(tmpdir(), 'bpfkit-native-'));
let fileSerial = 0;

/** Creates and deletes `count` files; returns their names in order. */
function deleteFiles(count: number): string[] {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `f${fileSerial++}`;
    writeFileSync(join(scratch, name), '');
    unlinkSync(join(scratch, name));
    names.push(name);
  }
  return names;
}

interface Batch {
  records: number;
  lost: number;
  bytes: number;
  /** [length, pid, filename] of each framed record */
  events: { length: number; pid: number; filename: string }[];
}

function parseBatch(data: ArrayBuffer, records: number, lost: number): Batch {
  const view = new DataView(data);
  const events: Batch['events'] = [];
  for (let offset = 0; offset < data.byteLength; ) {
    const length = view.getUint32(offset, true);
    const payload = new Uint8Array(data, offset + 4, length);
    const name = payload.subarray(deleteEvent.filename!, payload.indexOf(0, deleteEvent.filename!));
    events.push({
      length,
      pid: new DataView(data, offset + 4).getUint32(deleteEvent.pid!, true),
      filename: Buffer.from(name).toString(),
    });
    offset += (4 + length + 7) & ~7;
  }
  return { records, lost, bytes: data.byteLength, events };
}

interface ReaderRun {
  reader: NativeEventReader;
  batches: Batch[];
  errors: Error[];
}

function readDeletes(
  object: NativeBpfObject,
  options: { kind?: 'ringbuf' | 'perf'; maxBatchRecords?: number; maxBatchBytes?: number } = {},
  onBatch?: (run: ReaderRun) => void,
): ReaderRun {
  const kind = options.kind ?? 'ringbuf';
  const run: ReaderRun = { reader: undefined as unknown as NativeEventReader, batches: [], errors: [] };
  run.reader = new native.EventReader(
    object.mapFd(kind === 'perf' ? 'events_perf' : 'events'),
    { kind, perfPages: 8, maxBatchRecords: options.maxBatchRecords ?? 64, maxBatchBytes: options.maxBatchBytes ?? 65536 },
    (data, records, lost) => {
      run.batches.push(parseBatch(data, records, lost));
      onBatch?.(run);
    },
    (error) => run.errors.push(error),
  );
  return run;
}

const recordsIn = (batches: Batch[]): number => batches.reduce((sum, batch) => sum + batch.records, 0);

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('the addon binary', () => {
  it('links libbpf, libelf and zlib statically and exports only the Node-API entry points', () => {
    const libraries = execFileSync('ldd', [addonPath], { encoding: 'utf8' });
    expect(libraries).toContain('libc.so');
    expect(libraries).not.toMatch(/libbpf|libelf|libz/);
    const exported = execFileSync('nm', ['-D', '--defined-only', addonPath], { encoding: 'utf8' });
    expect(exported).toContain('napi_register_module_v1');
    expect(exported).not.toMatch(/ (bpf_|libbpf_|elf_|gelf_|inflate|deflate)/);
  });

  it('reports libbpf 1.5 or newer and embeds the BPF objects', () => {
    const [major, minor] = native.libbpfVersion().split('.').map(Number);
    expect(major! * 100 + minor!).toBeGreaterThanOrEqual(105);
    expect(native.embeddedObjects()).toEqual(expect.arrayContaining(['probe', 'deletes']));
  });
});

describe('argument checks', () => {
  it('rejects wrongly typed options with a TypeError naming the option', () => {
    expectInvalidType(() => new native.BpfObject(undefined as never), 'options');
    expectInvalidType(() => new native.BpfObject({ object: 1 } as never), 'options.object');
    expectInvalidType(() => new native.BpfObject({ object: 'probe', programs: 'x' } as never), 'options.programs');
    expectInvalidType(() => new native.BpfObject({ object: 'probe', programs: [1] } as never), 'options.programs[0]');
    expectInvalidType(() => new native.BpfObject({ object: 'probe', rodata: [1, 2] } as never), 'options.rodata');
    expectInvalidType(() => new native.BpfObject({ object: 'probe', mapSizes: { x: '1' } } as never), 'options.mapSizes.x');
    expectInvalidType(
      () => new native.BpfObject({ object: 'probe', attachTargets: { probe_fentry: {} } } as never),
      'options.attachTargets.probe_fentry.function',
    );
    expectInvalidType(() => new native.BpfObject({ object: 'probe', skipMaps: 'x' } as never), 'options.skipMaps');
  });

  it('rejects bad values with a RangeError naming the option', () => {
    expectInvalidValue(() => new native.BpfObject({ object: 'probe', mapSizes: { probe_ringbuf: 0 } }), 'options.mapSizes.probe_ringbuf');
    expectInvalidValue(() => new native.BpfObject({ object: 'probe', mapSizes: { probe_ringbuf: 1.5 } }), 'options.mapSizes.probe_ringbuf');
    const sized = new native.BpfObject({ object: 'deletes' });
    const size = sized.rodataSize;
    sized.close();
    expect(size).toBe(deletesRodata.__size);
    expectInvalidValue(
      () => new native.BpfObject({ object: 'deletes', rodata: new Uint8Array(size - 1) }),
      `options.rodata must be exactly ${size} bytes (got ${size - 1})`,
    );
  });

  it('rejects bad method arguments', () => {
    const object = openProbe();
    try {
      expectInvalidType(() => object.attach(1 as never, { kind: 'auto' }), 'program');
      expectInvalidType(() => object.attach('probe_tracepoint', undefined as never), 'spec');
      expectInvalidValue(() => object.attach('probe_tracepoint', { kind: 'uprobe' } as never), 'spec.kind');
      expectInvalidType(() => object.attach('probe_tracepoint', { kind: 'tracepoint', category: 'syscalls' } as never), 'spec.name');
      expectInvalidType(() => object.detach('0' as never), 'link');
      expectInvalidValue(() => object.detach(7), 'link 7');
      expectInvalidType(() => object.mapInfo(undefined as never), 'map');
      expectInvalidType(() => object.closeAsync(undefined as never), 'done');
    } finally {
      object.close();
    }
  });

  it('rejects bad EventReader arguments before touching the map', () => {
    const onBatch = (): void => {};
    const options = { kind: 'ringbuf', maxBatchRecords: 1, maxBatchBytes: 64 } as const;
    expectInvalidValue(() => new native.EventReader(-1, options, onBatch, onBatch), 'mapFd');
    expectInvalidType(() => new native.EventReader('3' as never, options, onBatch, onBatch), 'mapFd');
    expectInvalidValue(() => new native.EventReader(3, { ...options, kind: 'pipe' as never }, onBatch, onBatch), 'options.kind');
    expectInvalidValue(() => new native.EventReader(3, { ...options, kind: 'perf', perfPages: 3 }, onBatch, onBatch), 'options.perfPages');
    expectInvalidValue(() => new native.EventReader(3, { ...options, maxBatchRecords: 0 }, onBatch, onBatch), 'options.maxBatchRecords');
    expectInvalidType(() => new native.EventReader(3, options, undefined as never, onBatch), 'onBatch');
    expectInvalidType(() => new native.EventReader(3, options, onBatch, null as never), 'onError');
  });

  it('names the valid choices when an object, program or map is unknown', () => {
    const unknownObject = thrown(() => new native.BpfObject({ object: 'nope' }));
    expect(unknownObject.code).toBe('BPFKIT_NOT_FOUND');
    expect(unknownObject.message).toMatch(/unknown object "nope"; valid: .*\bprobe\b/);

    const unknownProgram = thrown(() => new native.BpfObject({ object: 'probe', programs: ['nope'] }));
    expect(unknownProgram.code).toBe('BPFKIT_NOT_FOUND');
    expect(unknownProgram.message).toMatch(/unknown program "nope"; valid: .*\bprobe_tracepoint\b/);

    const object = openProbe();
    try {
      const unknownMap = thrown(() => object.mapFd('nope'));
      expect(unknownMap.code).toBe('BPFKIT_NOT_FOUND');
      expect(unknownMap.message).toMatch(/unknown map "nope"; valid: .*\bprobe_ringbuf\b/);
    } finally {
      object.close();
    }
  });

  it('refuses methods and getters called on anything but an instance of their class', () => {
    const object = openProbe();
    const deletes = openDeletes();
    const reader = readDeletes(deletes);
    try {
      const objectPrototype = native.BpfObject.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
      const readerPrototype = native.EventReader.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
      for (const name of objectMethods) {
        for (const receiver of [{}, undefined, 42, reader.reader]) {
          expectInvalidType(() => objectPrototype[name]!.call(receiver, 'probe_tracepoint'), 'this must be an instance of BpfObject');
        }
      }
      for (const name of readerMethods) {
        for (const receiver of [{}, null, object]) {
          expectInvalidType(() => readerPrototype[name]!.call(receiver), 'this must be an instance of EventReader');
        }
      }
      const closedGetter = Object.getOwnPropertyDescriptor(native.BpfObject.prototype, 'closed')!.get!;
      expectInvalidType(() => closedGetter.call(reader.reader), 'this must be an instance of BpfObject');
      expect(closedGetter.call(object)).toBe(false);
    } finally {
      reader.reader.close();
      deletes.close();
      object.close();
    }
  });
});

describe('BpfObject lifecycle', () => {
  it('closes idempotently; every method afterwards throws BPFKIT_CLOSED', () => {
    const object = openProbe();
    object.load();
    object.close();
    object.close();
    expect(object.closed).toBe(true);
    const methods = object as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const name of objectMethods.filter((method) => method !== 'close' && method !== 'closeAsync')) {
      const error = thrown(() => methods[name]!('probe_tracepoint', new Uint8Array(4), new Uint8Array(4)));
      expect(error.code, name).toBe('BPFKIT_CLOSED');
    }
  });

  it('closeAsync frees the kernel objects off the JS thread and calls every done once', async () => {
    const object = openProbe();
    object.load();
    object.attach('probe_tracepoint', { kind: 'tracepoint', category: 'syscalls', name: 'sys_enter_getpid' });
    const id = object.programId('probe_tracepoint');
    expect((await bpfObjectIds()).progs.has(id)).toBe(true);

    const calls: string[] = [];
    const both = new Promise<void>((resolve) => {
      object.closeAsync(() => calls.push('first'));
      object.closeAsync(() => {
        calls.push('second');
        resolve();
      });
    });
    expect(object.closed).toBe(true);
    expect(thrown(() => object.programFd('probe_tracepoint')).code).toBe('BPFKIT_CLOSED');
    expect(calls).toEqual([]);
    await both;
    expect(calls).toEqual(['first', 'second']);
    expect((await bpfObjectIds()).progs.has(id)).toBe(false);

    const afterwards = await new Promise<string>((resolve) => object.closeAsync(() => resolve('called')));
    expect(afterwards).toBe('called');
  });
});

describe('real programs', () => {
  it('loads and attaches a tracepoint program, then detaches and closes it', async () => {
    const object = openProbe();
    object.load();
    const link = object.attach('probe_tracepoint', { kind: 'tracepoint', category: 'syscalls', name: 'sys_enter_getpid' });
    expect(link).toBe(0);
    const id = object.programId('probe_tracepoint');
    expect(object.programFd('probe_tracepoint')).toBeGreaterThan(2);
    const kernel = await bpfObjectIds();
    expect(kernel.progs.has(id)).toBe(true);
    object.detach(link);
    object.detach(link);
    object.close();
    expect((await bpfObjectIds()).progs.has(id)).toBe(false);
  });

  itUnless(inGuest() ? 'the guest kernels allow trampoline programs' : '',
    'a load the kernel refuses throws its errno, the operation and the libbpf log (fentry: EPERM here)', () => {
      const object = new native.BpfObject({
        object: 'probe',
        programs: ['probe_fentry'],
        attachTargets: { probe_fentry: { function: 'do_unlinkat' } },
      });
      try {
        const error = thrown(() => object.load());
        expect(error.code).toBe('EPERM');
        expect(error.errno).toBe(1);
        expect(error.op).toBe('bpf_object__load');
        expect(error.message).toBe('bpf_object__load failed: EPERM (Operation not permitted)');
        expect(error.log).toContain("prog 'probe_fentry'");
      } finally {
        object.close();
      }
    });

  itUnless(inGuest() ? 'the guest kernels have kprobes' : '',
    'an attach the kernel refuses throws its errno and the attach call (kprobe: ENOENT here)', () => {
      const object = new native.BpfObject({ object: 'probe', programs: ['probe_kprobe'] });
      try {
        object.load();
        const error = thrown(() => object.attach('probe_kprobe', { kind: 'kprobe', function: 'do_unlinkat', retprobe: false }));
        expect(error.code).toBe('ENOENT');
        expect(error.errno).toBe(2);
        expect(error.op).toBe('bpf_program__attach_kprobe_opts');
      } finally {
        object.close();
      }
    });

  it('reads, writes, lists and deletes map entries, per-CPU maps included', () => {
    const object = openDeletes();
    try {
      const hash = object.mapInfo('syscall_starts');
      expect(hash).toMatchObject({ keySize: 4, maxEntries: 10240 });
      const key = new Uint8Array([0xfe, 0xff, 0xff, 0x7f]);
      const value = Uint8Array.from({ length: hash.valueSize }, (_, i) => i + 1);
      expect(object.mapLookup('syscall_starts', key)).toBeNull();
      object.mapUpdate('syscall_starts', key, value);
      expect(object.mapLookup('syscall_starts', key)).toEqual(value);
      expect(object.mapKeys('syscall_starts')).toContainEqual(key);
      expect(object.mapDelete('syscall_starts', key)).toBe(true);
      expect(object.mapDelete('syscall_starts', key)).toBe(false);
      expectInvalidValue(() => object.mapLookup('syscall_starts', new Uint8Array(3)), 'key must be exactly 4 bytes (got 3)');
      expectInvalidValue(() => object.mapUpdate('syscall_starts', key, new Uint8Array(1)), 'value must be exactly');

      const perCpu = object.mapInfo('dropped');
      expect(perCpu.possibleCpus).toBeGreaterThan(0);
      const zero = new Uint8Array(4);
      const slots = new Uint8Array(8 * perCpu.possibleCpus);
      slots[0] = 7;
      object.mapUpdate('dropped', zero, slots);
      expect(object.mapLookup('dropped', zero)).toEqual(slots);
      expect(object.mapKeys('dropped')).toEqual([zero]);
    } finally {
      object.close();
    }
  });
});

describe('EventReader', () => {
  it('delivers ring buffer records in framed batches, several per wakeup when the budget runs out', async () => {
    const object = openDeletes();
    const run = readDeletes(object, { maxBatchRecords: 4 });
    try {
      run.reader.start();
      run.reader.pause();
      const names = deleteFiles(10);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(run.batches).toEqual([]);
      run.reader.resume();
      await waitFor(() => recordsIn(run.batches) >= 10);
      expect(run.batches.map((batch) => batch.records)).toEqual([4, 4, 2]);
      const events = run.batches.flatMap((batch) => batch.events);
      expect(events.map((event) => event.filename.split('/').pop())).toEqual(names);
      for (const event of events) expect(event).toMatchObject({ length: deleteEvent.__size, pid: process.pid });
      for (const batch of run.batches) {
        expect(batch.bytes).toBe(batch.records * ((4 + deleteEvent.__size! + 7) & ~7));
        expect(batch.lost).toBe(0);
      }
      expect(run.errors).toEqual([]);
    } finally {
      run.reader.close();
      object.close();
    }
  });

  it('keeps each batch within maxBatchBytes, except a record that is bigger on its own', async () => {
    const object = openDeletes();
    const framed = (4 + deleteEvent.__size! + 7) & ~7;
    const run = readDeletes(object, { maxBatchBytes: framed + 8 });
    const tiny = readDeletes(object, { maxBatchBytes: 8 });
    try {
      deleteFiles(3);
      run.reader.flush();
      expect(run.batches.map((batch) => batch.bytes)).toEqual([framed, framed, framed]);
      deleteFiles(2);
      tiny.reader.flush();
      expect(tiny.batches.map((batch) => batch.records)).toEqual([1, 1]);
    } finally {
      run.reader.close();
      tiny.reader.close();
      object.close();
    }
  });

  it('flush() drains synchronously, also before start()', () => {
    const object = openDeletes();
    const run = readDeletes(object);
    try {
      const names = deleteFiles(3);
      run.reader.flush();
      expect(run.batches.flatMap((batch) => batch.events.map((event) => event.filename.split('/').pop()))).toEqual(names);
      run.reader.flush();
      expect(run.batches).toHaveLength(1);
    } finally {
      run.reader.close();
      object.close();
    }
  });

  it('reads a perf event array', async () => {
    const object = openDeletes(true);
    const run = readDeletes(object, { kind: 'perf', maxBatchRecords: 2 });
    try {
      run.reader.start();
      const names = deleteFiles(5);
      await waitFor(() => recordsIn(run.batches) >= 5);
      expect(run.batches.flatMap((batch) => batch.events.map((event) => event.filename.split('/').pop()))).toEqual(names);
      expect(Math.max(...run.batches.map((batch) => batch.records))).toBeLessThanOrEqual(2);
      expect(run.batches.every((batch) => batch.lost === 0)).toBe(true);
    } finally {
      run.reader.close();
      object.close();
    }
  });

  it('passes an exception from onBatch to onError and survives close() inside onBatch', async () => {
    const object = openDeletes();
    const failure = new Error('consumer failed');
    const run = readDeletes(object, { maxBatchRecords: 1 }, (current) => {
      if (current.batches.length === 1) throw failure;
      if (current.batches.length === 2) current.reader.close();
    });
    try {
      run.reader.start();
      deleteFiles(5);
      await waitFor(() => run.reader.closed);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(run.batches).toHaveLength(2);
      expect(run.errors).toEqual([failure]);
      expect(thrown(() => run.reader.flush()).code).toBe('BPFKIT_CLOSED');
    } finally {
      run.reader.close();
      object.close();
    }
  });

  it('lets an exception from onError escape flush() to its caller', () => {
    const object = openDeletes();
    const failure = new Error('error handler failed');
    const reader = new native.EventReader(
      object.mapFd('events'),
      { kind: 'ringbuf', maxBatchRecords: 8, maxBatchBytes: 4096 },
      () => {
        throw new Error('consumer failed');
      },
      () => {
        throw failure;
      },
    );
    try {
      deleteFiles(1);
      expect(thrown(() => reader.flush())).toBe(failure);
    } finally {
      reader.close();
      object.close();
    }
  });

  it('closes idempotently; every other method afterwards throws BPFKIT_CLOSED', () => {
    const object = openDeletes();
    const run = readDeletes(object);
    run.reader.start();
    run.reader.close();
    run.reader.close();
    expect(run.reader.closed).toBe(true);
    const methods = run.reader as unknown as Record<string, () => unknown>;
    for (const name of readerMethods.filter((method) => method !== 'close')) {
      expect(thrown(() => methods[name]!()).code, name).toBe('BPFKIT_CLOSED');
    }
    object.close();
  });

  it('is torn down with a worker thread that still has open objects and a started reader', async () => {
    const worker = new Worker(
      `
      const { parentPort, workerData } = require('node:worker_threads');
      const native = require(workerData.addonPath);
      const object = new native.BpfObject({ object: 'deletes', programs: ['handle_sys_enter_unlink', 'handle_sys_exit_unlink'] });
      object.load();
      object.attach('handle_sys_enter_unlink', { kind: 'auto' });
      const reader = new native.EventReader(object.mapFd('events'), { kind: 'ringbuf', maxBatchRecords: 8, maxBatchBytes: 4096 },
        () => {}, () => {});
      reader.start();
      const idle = new native.EventReader(object.mapFd('events'), { kind: 'ringbuf', maxBatchRecords: 8, maxBatchBytes: 4096 },
        () => {}, () => {});
      const closing = new native.BpfObject({ object: 'probe', programs: ['probe_tracepoint'] });
      closing.closeAsync(() => {});
      parentPort.postMessage(object.programId('handle_sys_enter_unlink'));
      `,
      { eval: true, workerData: { addonPath } },
    );
    const id = await new Promise<number>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    expect((await bpfObjectIds()).progs.has(id)).toBe(true);
    expect(await worker.terminate()).toBe(1);
    expect((await bpfObjectIds()).progs.has(id)).toBe(false);
  });
});

process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
