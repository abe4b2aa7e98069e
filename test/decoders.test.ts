import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { BpfError } from '../lib/index.js';
import { binding } from '../lib/index.js';
import { decoder as deleteDecoder } from '../lib/tools/deletes.js';
import { decoder as netlinkDecoder } from '../lib/tools/netlink.js';
import { decoder as programCallDecoder } from '../lib/trace-program.js';
import { traceDecoder } from '../lib/trace/record.js';
import { planFunction } from '../lib/trace/traced-function.js';
import { findFunction } from '../lib/btf/functions.js';
import { Btf, Kind } from '../lib/btf/btf.js';

// Every decoder of kernel-written bytes, fed random and truncated records: each returns a value
// of its declared shape or throws BpfError BPFKIT_DECODE; never a RangeError from reading outside
// the record (a DataView out-of-bounds read) or any other exception.

const ROUNDS = Number(process.env.BPFKIT_FUZZ_ROUNDS ?? 2000);

/** A deterministic PRNG (xorshift32), so a failure reproduces with the seed it prints. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

function randomBytes(next: () => number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(next() * 256);
  // half of the buffers get mostly small values, like real records (enum fields, NULs in strings)
  if (next() < 0.5) for (let i = 0; i < length; i++) if (next() < 0.7) bytes[i] = bytes[i]! % 4;
  return bytes;
}

type Decode = (view: DataView, offset: number, length: number) => unknown;

/** Decodes and classifies: 'ok' with the value, or 'decode-error'; anything else is rethrown. */
function attempt(decode: Decode, view: DataView, offset: number, length: number): { ok: unknown } | 'decode-error' {
  try {
    return { ok: decode(view, offset, length) };
  } catch (error) {
    if (error instanceof BpfError && error.code === 'BPFKIT_DECODE') return 'decode-error';
    throw error;
  }
}

const u32 = (value: unknown): boolean => Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0xffffffff;
const i32 = (value: unknown): boolean => Number.isInteger(value) && (value as number) >= -(2 ** 31) && (value as number) < 2 ** 31;
const str = (value: unknown): boolean => typeof value === 'string';
const bigU64 = (value: unknown): boolean => typeof value === 'bigint' && value >= 0n && value < 2n ** 64n;

interface Subject {
  struct: string;
  decode: Decode;
  /** asserts the decoded value has the documented shape. */
  check: (value: Record<string, unknown>) => void;
  /** makes a random record plausible where one field decides whether anything is decoded. */
  plausible?: (view: DataView, offset: number) => void;
}

function sizeOf(struct: string): number {
  return binding.layouts()[struct]!.__size!;
}

function traceSubject(): Subject {
  const c = binding.layouts().constants!;
  const limits = { maxReads: c.TRACE_MAX_READS!, maxDepth: c.TRACE_READ_DEPTH!, readMax: c.TRACE_READ_MAX!, maxArgs: c.TRACE_MAX_ARGS! };
  // do_unlinkat(int dfd, struct filename *name): an int, a pointer and a string read through it
  const ref = findFunction('do_unlinkat');
  if (!ref) throw new Error('do_unlinkat is not in this kernel\'s BTF');
  const functions = [planFunction(ref, ['name->name'], undefined, limits)];
  return {
    struct: 'trace_event',
    decode: traceDecoder(functions, 'fentry'),
    // the function index must name a traced function, or nothing else is looked at
    plausible: (view, offset) => view.setUint32(offset + binding.layouts().trace_event!.func!, 0, true),
    check: (call) => {
      expect(call.function).toBe('do_unlinkat');
      expect(u32(call.pid) && u32(call.tid) && u32(call.cpu) && str(call.comm)).toBe(true);
      expect(Number.isFinite(call.latencyNs)).toBe(true);
      expect(bigU64(call.timestampNs)).toBe(true);
      const args = call.args as Record<string, unknown>;
      for (const value of Object.values(args)) {
        expect(['number', 'bigint', 'boolean', 'string', 'object']).toContain(typeof value);
      }
    },
  };
}

const subjects: Subject[] = [
  {
    struct: 'delete_event',
    decode: deleteDecoder(),
    check: (event) => {
      expect(u32(event.pid) && u32(event.tid) && u32(event.uid) && i32(event.dfd) && i32(event.ret)).toBe(true);
      expect(str(event.comm) && str(event.filename) && str(event.call)).toBe(true);
      expect(['fentry', 'kprobe', 'tracepoint']).toContain(event.mode);
      expect(typeof event.filenameTruncated).toBe('boolean');
      expect(bigU64(event.timestampNs)).toBe(true);
      if ('latencyNs' in event) expect(Number.isFinite(event.latencyNs)).toBe(true);
    },
  },
  {
    struct: 'netlink_event',
    decode: netlinkDecoder(),
    check: (event) => {
      expect(str(event.message) && str(event.comm)).toBe(true);
      expect(u32(event.pid) && u32(event.tid) && u32(event.messageLength)).toBe(true);
      expect(['tracepoint', 'fentry', 'fexit']).toContain(event.source);
      expect('retval' in event).toBe(event.source === 'fexit');
    },
  },
  {
    struct: 'prog_call_event',
    decode: programCallDecoder(),
    check: (call) => {
      expect(['entry', 'exit']).toContain(call.kind);
      expect(u32(call.pid) && u32(call.tid) && u32(call.cpu) && str(call.comm)).toBe(true);
      if (call.kind === 'exit') expect(i32(call.retval)).toBe(true);
      expect(bigU64(call.timestampNs)).toBe(true);
    },
  },
  traceSubject(),
];

describe('stream decoders under fuzzing', () => {
  for (const subject of subjects) {
    const size = sizeOf(subject.struct);

    it(`${subject.struct} (${size} bytes): random records decode to valid events or a typed decode error`, () => {
      const next = random(0xb9f + size);
      let decoded = 0;
      for (let round = 0; round < ROUNDS; round++) {
        // a record somewhere inside a batch, as the stream sees it: [pad][record][trailing bytes]
        const before = Math.floor(next() * 16);
        const length = size + Math.floor(next() * 32);
        const after = Math.floor(next() * 16);
        const bytes = randomBytes(next, before + length + after);
        const view = new DataView(bytes.buffer);
        if (next() < 0.8) subject.plausible?.(view, before);
        const result = attempt(subject.decode, view, before, length);
        if (result === 'decode-error') continue;
        subject.check(result.ok as Record<string, unknown>);
        decoded++;
      }
      // random bytes are mostly valid records: the decoders must not reject everything either
      expect(decoded).toBeGreaterThan(ROUNDS / 4);
    });

    it(`${subject.struct}: every truncation and every overrun is a typed decode error`, () => {
      const next = random(0x7e57 + size);
      const bytes = randomBytes(next, size + 64);
      const whole = new DataView(bytes.buffer);
      for (let length = 0; length < size; length++) {
        expect(attempt(subject.decode, whole, 0, length), `length ${length}`).toBe('decode-error');
      }
      // the record claims more bytes than the batch holds
      for (let cut = 1; cut <= size; cut += Math.max(1, size >> 5)) {
        const short = new DataView(bytes.buffer, 0, size - cut + 8);
        expect(attempt(subject.decode, short, 8, size), `batch short by ${cut}`).toBe('decode-error');
      }
      // a view that starts inside a larger buffer and ends before the record does
      const window = new DataView(bytes.buffer, 16, size - 1);
      expect(attempt(subject.decode, window, 0, size)).toBe('decode-error');
      expect(attempt(subject.decode, whole, -1, size)).toBe('decode-error');
    });
  }
});

describe('the BTF parser under fuzzing', () => {
  const vmlinux = readFileSync('/sys/kernel/btf/vmlinux');

  /** Parses and walks every type; returns 'ok' or 'decode-error', rethrowing anything else. */
  function parse(bytes: Uint8Array): 'ok' | 'decode-error' {
    try {
      const btf = new Btf(bytes, 'fuzz');
      for (let id = btf.firstId; id < Math.min(btf.endId, btf.firstId + 2000); id++) {
        const kind = btf.kind(id);
        btf.name(id);
        if (kind === Kind.Struct || kind === Kind.Union) btf.members(id);
        if (kind === Kind.FuncProto) btf.params(id);
      }
      return 'ok';
    } catch (error) {
      if (error instanceof BpfError && error.code === 'BPFKIT_DECODE') return 'decode-error';
      throw error;
    }
  }

  it('random bytes and truncated vmlinux BTF are rejected with a typed decode error', () => {
    const next = random(0xb7f);
    for (let round = 0; round < 200; round++) {
      expect(parse(randomBytes(next, Math.floor(next() * 256)))).toBe('decode-error');
    }
    for (let round = 0; round < 100; round++) {
      const cut = Math.floor(next() * vmlinux.length);
      expect(parse(vmlinux.subarray(0, cut)), `first ${cut} bytes`).toBe('decode-error');
    }
    expect(parse(vmlinux)).toBe('ok');
  });

  it('corrupted type records inside vmlinux BTF parse or fail with a typed decode error', () => {
    const next = random(0xc0de);
    const header = new DataView(vmlinux.buffer, vmlinux.byteOffset, 24);
    const typesStart = header.getUint32(4, true) + header.getUint32(8, true);
    for (let round = 0; round < 60; round++) {
      // keep the header valid and flip bytes in the first types, where the walk above goes
      const copy = Uint8Array.from(vmlinux.subarray(0, Math.min(vmlinux.length, 4 << 20)));
      const view = new DataView(copy.buffer);
      view.setUint32(12, Math.min(view.getUint32(12, true), copy.length - typesStart), true);
      view.setUint32(20, 0, true);
      view.setUint32(16, 0, true);
      for (let flip = 0; flip < 8; flip++) {
        copy[typesStart + Math.floor(next() * 16_000)] = Math.floor(next() * 256);
      }
      expect(['ok', 'decode-error']).toContain(parse(copy));
    }
  });
});
