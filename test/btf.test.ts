import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import {
  BpfError, listFunctions, traceFunction, UntraceableFunctionError, binding,
} from '../lib/index.js';
import { Btf } from '../lib/btf/btf.js';
import { btfModules, vmlinuxBtf } from '../lib/btf/load.js';
import { findFunction } from '../lib/btf/functions.js';
import { kallsyms } from '../lib/trace/kallsyms.js';
import { paramSlots, planFieldPath } from '../lib/trace/read-plan.js';
import { planFunction } from '../lib/trace/traced-function.js';
import { traceDecoder } from '../lib/trace/record.js';
import { listOpenFds } from './support/fds.js';
import { itUnless } from './support/skip.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';

/** One type of `bpftool btf dump file` raw output: its header line and its indented member lines. */
interface DumpedType {
  kind: string;
  name: string;
  typeId?: number;
  retTypeId?: number;
  members: { name: string; typeId: number; bitsOffset?: number }[];
}

function bpftoolAvailable(): string {
  try {
    execFileSync('bpftool', ['version'], { stdio: 'ignore' });
    return existsSync(VMLINUX) ? '' : `${VMLINUX} is missing`;
  } catch {
    return 'bpftool is not installed';
  }
}

let dumped: Map<number, DumpedType> | undefined;

/** The whole vmlinux BTF as bpftool prints it, parsed independently of lib/btf. */
function bpftoolTypes(): Map<number, DumpedType> {
  if (dumped) return dumped;
  const text = execFileSync('bpftool', ['btf', 'dump', 'file', VMLINUX], { maxBuffer: 512 << 20, encoding: 'utf8' });
  const types = new Map<number, DumpedType>();
  let current: DumpedType | undefined;
  for (const line of text.split('\n')) {
    const header = /^\[(\d+)\] (\w+) '([^']*)'(.*)$/.exec(line);
    if (header) {
      const rest = header[4]!;
      current = {
        kind: header[2]!,
        name: header[3] === '(anon)' ? '' : header[3]!,
        members: [],
        ...(/ type_id=(\d+)/.test(rest) ? { typeId: Number(/ type_id=(\d+)/.exec(rest)![1]) } : {}),
        ...(/ret_type_id=(\d+)/.test(rest) ? { retTypeId: Number(/ret_type_id=(\d+)/.exec(rest)![1]) } : {}),
      };
      types.set(Number(header[1]), current);
      continue;
    }
    const member = /^\t'([^']*)' type_id=(\d+)(?: bits_offset=(\d+))?/.exec(line);
    if (member && current) {
      current.members.push({
        name: member[1] === '(anon)' ? '' : member[1]!, typeId: Number(member[2]),
        ...(member[3] !== undefined ? { bitsOffset: Number(member[3]) } : {}),
      });
    }
  }
  dumped = types;
  return types;
}

/** C spelling of simple types (ints, typedefs, structs, pointers, const), from bpftool's dump. */
function spell(types: Map<number, DumpedType>, id: number): string {
  if (id === 0) return 'void';
  const type = types.get(id)!;
  switch (type.kind) {
    case 'PTR': {
      const inner = spell(types, type.typeId!);
      return inner.endsWith('*') ? `${inner}*` : `${inner} *`;
    }
    case 'CONST': return `const ${spell(types, type.typeId!)}`;
    case 'VOLATILE': return `volatile ${spell(types, type.typeId!)}`;
    case 'TYPE_TAG': return spell(types, type.typeId!);
    case 'STRUCT': case 'FWD': return `struct ${type.name}`;
    case 'UNION': return `union ${type.name}`;
    case 'ENUM': case 'ENUM64': return `enum ${type.name}`;
    default: return type.name;
  }
}

function bpftoolFunction(types: Map<number, DumpedType>, name: string) {
  const [, func] = [...types].find(([, type]) => type.kind === 'FUNC' && type.name === name)!;
  const proto = types.get(func.typeId!)!;
  return {
    returnType: spell(types, proto.retTypeId!),
    params: proto.members.map((m) => ({ name: m.name, type: spell(types, m.typeId), typeId: m.typeId })),
  };
}

const noBpftool = bpftoolAvailable();

describe('listFunctions against bpftool', () => {
  itUnless(noBpftool, "do_unlinkat has bpftool's parameter names, type ids and C types", async () => {
    const types = bpftoolTypes();
    const [fn, ...more] = await listFunctions('do_unlinkat');
    expect(more).toEqual([]);
    const expected = bpftoolFunction(types, 'do_unlinkat');
    expect(fn).toMatchObject({ name: 'do_unlinkat', returnType: expected.returnType, params: expected.params });
    expect(fn!.module).toBeUndefined();
    expect(fn!.params.map((p) => [p.name, p.type])).toEqual([['dfd', 'int'], ['name', 'struct filename *']]);
  });

  itUnless(noBpftool, 'renders const char *, typedefs and multi-parameter signatures like bpftool', async () => {
    const types = bpftoolTypes();
    for (const name of ['vfs_read', 'do_sys_openat2', 'tcp_v4_connect', 'tcp_connect']) {
      const [fn] = await listFunctions(name);
      const expected = bpftoolFunction(types, name);
      expect({ name, returnType: fn!.returnType, params: fn!.params }).toEqual({ name, ...expected });
    }
  });

  itUnless(noBpftool, 'finds every vmlinux FUNC bpftool prints, with the same parameter names and type ids', async () => {
    const types = bpftoolTypes();
    const fromBpftool = new Map<string, { name: string; typeId: number }[]>();
    for (const type of types.values()) {
      if (type.kind !== 'FUNC' || fromBpftool.has(type.name)) continue;
      fromBpftool.set(type.name, types.get(type.typeId!)!.members.map((m) => ({ name: m.name, typeId: m.typeId })));
    }
    const listed = await listFunctions('*', { module: 'vmlinux' });
    expect(listed.length).toBe(fromBpftool.size);
    let compared = 0;
    for (const fn of listed) {
      const params = fn.params.map((p) => (p.typeId === 0 ? { name: '', typeId: 0 } : { name: p.name, typeId: p.typeId }));
      expect(params, fn.name).toEqual(fromBpftool.get(fn.name));
      compared++;
    }
    expect(compared).toBeGreaterThan(10_000);
  }, 120_000);

  it("matches globs: 'tcp_conn*' finds tcp_connect, sorted, all from vmlinux", async () => {
    const names = (await listFunctions('tcp_conn*', { module: 'vmlinux' })).map((fn) => fn.name);
    expect(names).toContain('tcp_connect');
    expect(names).toEqual([...names].sort());
    expect(names.every((name) => name.startsWith('tcp_conn'))).toBe(true);
    expect(await listFunctions('no_such_function_*')).toEqual([]);
  });

  const modules = btfModules();
  itUnless(modules.length ? '' : 'no module with BTF is loaded on this kernel (/sys/kernel/btf holds only vmlinux); the guests test it',
    'lists a module\'s functions from its split BTF', async () => {
      const listed = await listFunctions('*', { module: modules[0]! });
      expect(listed.length).toBeGreaterThan(0);
      expect(listed.every((fn) => fn.module === modules[0])).toBe(true);
    });
});

describe('field paths resolved from BTF', () => {
  const limits = { maxReads: 4, maxDepth: 4, readMax: 64, maxArgs: 6 };

  itUnless(noBpftool, "name->name loads filename.name and reads a string; sk->__sk_common.skc_dport finds the field inside anonymous unions at bpftool's offset", () => {
    const types = bpftoolTypes();
    const unlinkat = findFunction('do_unlinkat')!;
    const name = planFieldPath(unlinkat.btf, paramSlots(unlinkat.btf, unlinkat.protoId, 6), 'name->name', 'args', limits);
    const filename = [...types.values()].find((t) => t.kind === 'STRUCT' && t.name === 'filename')!;
    const nameOffset = filename.members.find((m) => m.name === 'name')!.bitsOffset! / 8;
    expect(name).toMatchObject({ arg: 1, kind: 'string', offsets: [nameOffset, 0], format: { kind: 'string' } });

    const connect = findFunction('tcp_connect')!;
    const dport = planFieldPath(connect.btf, paramSlots(connect.btf, connect.protoId, 6), 'sk->__sk_common.skc_dport', 'args', limits);
    // skc_dport sits in an anonymous struct inside an anonymous union of struct sock_common
    const common = [...types.values()].find((t) => t.kind === 'STRUCT' && t.name === 'sock_common')!;
    const offsetOf = (id: number, field: string): number | undefined => {
      for (const member of types.get(id)!.members) {
        if (member.name === field) return member.bitsOffset!;
        const inner = types.get(member.typeId);
        if (member.name === '' && inner && (inner.kind === 'STRUCT' || inner.kind === 'UNION')) {
          const found = offsetOf(member.typeId, field);
          if (found !== undefined) return found + member.bitsOffset!;
        }
      }
      return undefined;
    };
    const commonId = [...types].find(([, t]) => t === common)![0];
    expect(dport).toMatchObject({ arg: 0, kind: 'bytes', size: 2, offsets: [offsetOf(commonId, 'skc_dport')! / 8], format: { kind: 'be16' } });
    const daddr = planFieldPath(connect.btf, paramSlots(connect.btf, connect.protoId, 6), 'sk->__sk_common.skc_daddr', 'args', limits);
    expect(daddr).toMatchObject({ size: 4, offsets: [offsetOf(commonId, 'skc_daddr')! / 8], format: { kind: 'ipv4' } });
  });

  it('plans a string read for each char * parameter and none for other pointers', () => {
    const openat = planFunction(findFunction('do_sys_openat2')!, [], undefined, limits);
    expect(openat.reads.map((r) => [r.label, r.kind, r.arg])).toEqual([['filename', 'string', 1]]);
    const unlinkat = planFunction(findFunction('do_unlinkat')!, [], undefined, limits);
    expect(unlinkat.reads).toEqual([]);
  });
});

describe('traceFunction rejects bad input before touching the kernel', () => {
  const cases: [string, () => unknown, string, typeof TypeError | typeof RangeError][] = [
    ['no function', () => traceFunction([]), 'functions', TypeError],
    ['function not a string', () => traceFunction([42 as unknown as string]), 'functions[0]', TypeError],
    ['function with a space', () => traceFunction('do unlinkat'), 'functions[0]', RangeError],
    ['pid negative', () => traceFunction('do_unlinkat', { pid: -1 }), 'pid', RangeError],
    ['comm too long', () => traceFunction('do_unlinkat', { comm: 'x'.repeat(16) }), 'comm', RangeError],
    ['attach unknown', () => traceFunction('do_unlinkat', { attach: 'uprobe' as 'fentry' }), 'attach', RangeError],
    ['args not an array', () => traceFunction('do_unlinkat', { args: 'name->name' as unknown as string[] }), 'args', TypeError],
    ['args not a path', () => traceFunction('do_unlinkat', { args: ['name-->name'] }), 'args[0]', RangeError],
    ['path through a missing member', () => traceFunction('do_unlinkat', { args: ['name->nope'] }), 'args', RangeError],
    ['path on a non-pointer', () => traceFunction('do_unlinkat', { args: ['dfd->x'] }), 'args', RangeError],
    ['path on no parameter of any function', () => traceFunction('do_unlinkat', { args: ['sk->__sk_common.skc_daddr'] }), 'args', RangeError],
    ['where not a comparison', () => traceFunction('do_unlinkat', { where: 'ret <' }), 'where', RangeError],
    ['where not a string', () => traceFunction('do_unlinkat', { where: 5 as unknown as string }), 'where', TypeError],
    ['where on an unknown parameter', () => traceFunction('do_unlinkat', { where: 'flags == 1' }), 'where', RangeError],
    ['where on ret of a void function', () => traceFunction('tcp_set_state', { where: 'ret < 0' }), 'where', RangeError],
    ['glob matching too many', () => traceFunction('tcp_*'), 'functions', RangeError],
    ['maxFunctions above the table', () => traceFunction('tcp_*', { maxFunctions: 100_000 }), 'maxFunctions', RangeError],
    ['unknown option', () => traceFunction('do_unlinkat', { filter: 'x' } as object), 'options.filter', TypeError],
  ];

  for (const [label, call, option, kind] of cases) {
    it(`${label} → ${kind.name} naming ${option}`, () => {
      const before = bpfFds();
      let thrown: unknown;
      try {
        call();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(kind);
      expect((thrown as Error).message.startsWith(`${option}`)).toBe(true);
      expect(bpfFds()).toEqual(before);
    });
  }
});

describe('untraceable functions are refused with the specific reason', () => {
  it('a function that does not exist', () => {
    const error = catchSync(() => traceFunction('no_such_function_xyz'));
    expect(error).toBeInstanceOf(UntraceableFunctionError);
    expect(error).toMatchObject({ code: 'BPFKIT_UNTRACEABLE', functions: [{ name: 'no_such_function_xyz', reason: expect.stringMatching(/no such function in the BTF/) }] });
  });

  it('a function on the deny list', () => {
    const error = catchSync(() => traceFunction('migrate_disable')) as UntraceableFunctionError;
    expect(error.functions[0]!.reason).toMatch(/deny list/);
  });

  it('a function in BTF but not in /proc/kallsyms (inlined) — found on this kernel', () => {
    const symbols = kallsyms().functions;
    const btf = vmlinuxBtf();
    let inlined: string | undefined;
    for (const id of btf.functions()) {
      const name = btf.name(id);
      if (!symbols.has(name) && !kallsyms().clones.has(name)) {
        inlined = name;
        break;
      }
    }
    if (!inlined) return expect.fail('every BTF function of this kernel is in kallsyms; nothing to check');
    const error = catchSync(() => traceFunction(inlined!)) as UntraceableFunctionError;
    expect(error.functions[0]).toEqual({ name: inlined, reason: 'not in /proc/kallsyms: inlined into its callers or removed by the compiler' });
  });

  it('names every bad function of a list at once', () => {
    const error = catchSync(() => traceFunction(['do_unlinkat', 'nope_a', 'nope_b'])) as UntraceableFunctionError;
    expect(error.functions.map((f) => f.name)).toEqual(['nope_a', 'nope_b']);
  });
});

describe('decoding is robust against malformed input', () => {
  const fn = planFunction(findFunction('do_unlinkat')!, ['name->name'], undefined, { maxReads: 4, maxDepth: 4, readMax: 64, maxArgs: 6 });
  const size = binding.layouts().trace_event!.__size!;

  it('a truncated trace_event record is a BPFKIT_DECODE error, for every shorter length', () => {
    const decode = traceDecoder([fn], 'fentry');
    const view = new DataView(new ArrayBuffer(size));
    for (let length = 0; length < size; length += 7) {
      expect(() => decode(view, 0, length)).toThrow(expect.objectContaining({ code: 'BPFKIT_DECODE' }));
    }
    expect(() => decode(view, 8, size)).toThrow(expect.objectContaining({ code: 'BPFKIT_DECODE' }));
  });

  it('a record naming a function that is not traced is a BPFKIT_DECODE error', () => {
    const decode = traceDecoder([fn], 'fentry');
    const view = new DataView(new ArrayBuffer(size));
    view.setUint32(binding.layouts().trace_event!.func!, 7, true);
    expect(() => decode(view, 0, size)).toThrow(expect.objectContaining({ code: 'BPFKIT_DECODE' }));
  });

  it('random and truncated BTF blobs fail with BPFKIT_DECODE, never hang or throw anything else', () => {
    const real = new Uint8Array(readFileSync(VMLINUX));
    let seed = 1;
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const samples: Uint8Array[] = [new Uint8Array(0), real.slice(0, 23), real.slice(0, 4096), real.slice(0, real.length - 1)];
    for (let i = 0; i < 50; i++) {
      const bytes = real.slice(0, 2048 + Math.floor(random() * 4096));
      for (let j = 0; j < 16; j++) bytes[24 + Math.floor(random() * (bytes.length - 24))] = Math.floor(random() * 256);
      samples.push(bytes);
    }
    for (const bytes of samples) {
      try {
        const btf = new Btf(bytes, 'fuzz');
        for (const id of btf.functions()) btf.params(btf.target(id));
      } catch (error) {
        expect(error).toBeInstanceOf(BpfError);
        expect((error as BpfError).code).toBe('BPFKIT_DECODE');
      }
    }
  });
});

/** This process's BPF objects (other test processes may create theirs meanwhile). */
function bpfFds(): string[] {
  return listOpenFds().filter((fd) => /bpf/.test(fd.target)).map((fd) => `${fd.fd} ${fd.target}`);
}

function catchSync(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}
