import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { release, machine } from 'node:os';
import { native } from './binding.js';
import { BpfError, errnoName } from './errors.js';
import { KernelObject } from './kernel-object.js';
import { privilegeExplanation } from './privilege.js';
import { kernelString, symbolName } from './validate.js';
import type { AttachSpec } from '../types/native.js';

export const attachModes = ['fentry', 'fexit', 'kprobe', 'kretprobe', 'kprobe.multi', 'tracepoint', 'raw_tp', 'tp_btf'] as const;
export type AttachMode = (typeof attachModes)[number];
export type BufferCapability = 'ringbuf' | 'perf';

/** Whether the kernel lets bpfkit do one thing, found by really doing it. */
export interface Capability {
  available: boolean;
  /** why not, specifically: the operation, the errno and what it means on this kernel. */
  reason?: string;
  errno?: string;
}

export interface ProbeReport {
  kernel: { release: string; machine: string };
  libbpf: string;
  btf: { vmlinux: boolean; modulesDir: string; modules: number };
  /** the active lockdown mode ('none', 'integrity', 'confidentiality') or 'unknown'. */
  lockdown: string;
  modes: Record<AttachMode, Capability>;
  buffers: Record<BufferCapability, Capability>;
}

const BTF_DIR = '/sys/kernel/btf';
/** A function every kernel has and ftrace can hook: the probes' target. */
const PROBE_FUNCTION = 'vfs_read';
const PROBE_TRACEPOINT = { category: 'sched', name: 'sched_process_fork' };

function hasVmlinuxBtf(): boolean {
  return existsSync(`${BTF_DIR}/vmlinux`);
}

function lockdownMode(): string {
  try {
    return /\[(\w+)\]/.exec(readFileSync('/sys/kernel/security/lockdown', 'utf8'))?.[1] ?? 'unknown';
  } catch {
    return 'unknown (securityfs not mounted)';
  }
}

function kernelHasKprobes(): boolean {
  return existsSync('/sys/bus/event_source/devices/kprobe') ||
    existsSync('/sys/kernel/tracing/kprobe_events') || existsSync('/sys/kernel/debug/tracing/kprobe_events');
}

const NO_KPROBES = 'kernel built without CONFIG_KPROBES (no kprobe PMU, no kprobe_events)';

/** Loads one probe program (only it), optionally attaches it, and closes everything again. */
function tryProgram(program: string, target: string | undefined, spec: AttachSpec | undefined): Capability {
  let object: KernelObject | undefined;
  let stage = 'load';
  try {
    object = KernelObject.open({
      object: 'probe',
      programs: [program],
      ...(target ? { attachTargets: { [program]: { function: target } } } : {}),
    });
    object.load();
    stage = 'attach';
    if (spec) object.attach(program, spec);
    return { available: true };
  } catch (error) {
    return { available: false, errno: errnoName(error), reason: describeFailure(program, stage, error) };
  } finally {
    object?.closeNow();
  }
}

function describeFailure(program: string, stage: string, error: unknown): string {
  const errno = errnoName(error) ?? (error as Error).message;
  const op = (error as BpfError).op ?? stage;
  const privilege = privilegeExplanation(errno);
  if (privilege) return `${op} failed: ${errno}: ${privilege}`;
  const trampoline = /fentry|fexit/.test(program);
  if (trampoline && stage === 'load') {
    const log = (error as BpfError).log ?? '';
    const denied = errno === 'EPERM' && !/processed \d+ insns|R\d /.test(log);
    const why = denied
      ? `; denied before the verifier ran (lockdown: ${lockdownMode()}): a security policy of this kernel forbids trampoline programs`
      : '';
    return `BPF_PROG_LOAD of a trampoline program failed: ${errno}${why}`;
  }
  if (/kprobe|kretprobe/.test(program) && !kernelHasKprobes()) return `${NO_KPROBES}; ${op} failed: ${errno}`;
  if (program === 'probe_kprobe_multi' && (errno === 'EOPNOTSUPP' || errno === 'ENOTSUPP')) {
    return `kprobe.multi links are not supported: ${errno} (kernel older than 5.18 or built without CONFIG_FPROBE)`;
  }
  return `${op} failed: ${errno}`;
}

function probeMode(mode: AttachMode): Capability {
  const needsBtf = mode === 'fentry' || mode === 'fexit' || mode === 'tp_btf';
  if (needsBtf && !hasVmlinuxBtf()) return { available: false, reason: `no BTF (${BTF_DIR}/vmlinux is missing)` };
  switch (mode) {
    case 'fentry':
    case 'fexit':
      return tryProgram(`probe_${mode}`, PROBE_FUNCTION, { kind: 'auto' });
    case 'kprobe':
    case 'kretprobe':
      return tryProgram(`probe_${mode}`, undefined, { kind: 'kprobe', function: PROBE_FUNCTION, retprobe: mode === 'kretprobe' });
    case 'kprobe.multi':
      return tryProgram('probe_kprobe_multi', undefined, { kind: 'kprobe.multi', functions: [PROBE_FUNCTION], retprobe: false });
    case 'tracepoint':
      return tryProgram('probe_tracepoint', undefined, { kind: 'tracepoint', ...PROBE_TRACEPOINT });
    case 'raw_tp':
      return tryProgram('probe_raw_tp', undefined, { kind: 'raw_tp', name: PROBE_TRACEPOINT.name });
    case 'tp_btf':
      return tryProgram('probe_tp_btf', PROBE_TRACEPOINT.name, { kind: 'auto' });
  }
}

function probeBuffer(kind: BufferCapability): Capability {
  const map = kind === 'ringbuf' ? 'probe_ringbuf' : 'probe_perf';
  const other = kind === 'ringbuf' ? 'probe_perf' : 'probe_ringbuf';
  let object: KernelObject | undefined;
  try {
    object = KernelObject.open({ object: 'probe', programs: [], skipMaps: [other] });
    object.load();
    object.mapFd(map);
    return { available: true };
  } catch (error) {
    const errno = errnoName(error);
    const privilege = privilegeExplanation(errno);
    const why = `${errno ?? (error as Error).message}${privilege ? `: ${privilege}` : ''}`;
    return { available: false, errno, reason: `creating a ${kind} map failed: ${why}` };
  } finally {
    object?.closeNow();
  }
}

let cached: Promise<ProbeReport> | undefined;

/** What this kernel allows, found by real loads and attaches; computed once per process. */
export function probe(): Promise<ProbeReport> {
  cached ??= Promise.resolve().then(() => {
    const modes = {} as Record<AttachMode, Capability>;
    for (const mode of attachModes) modes[mode] = probeMode(mode);
    return {
      kernel: { release: release(), machine: machine() },
      libbpf: native.libbpfVersion(),
      btf: {
        vmlinux: hasVmlinuxBtf(),
        modulesDir: BTF_DIR,
        modules: existsSync(BTF_DIR) ? readdirSync(BTF_DIR).filter((name) => name !== 'vmlinux').length : 0,
      },
      lockdown: lockdownMode(),
      modes,
      buffers: { ringbuf: probeBuffer('ringbuf'), perf: probeBuffer('perf') },
    };
  });
  return cached;
}

function checkModule(module: unknown): string | undefined {
  if (module === undefined) return undefined;
  const name = kernelString(module, 'module', 55);
  if (!/^[A-Za-z0-9_-]+$/.test(name) || !existsSync(`${BTF_DIR}/${name}`)) {
    throw new BpfError(`module '${name}' has no BTF in ${BTF_DIR} (not loaded, or built without BTF)`,
      { code: 'BPFKIT_NOT_FOUND' });
  }
  return name;
}

const fentryCache = new Map<string, Promise<Capability>>();
const kprobeCache = new Map<string, Promise<Capability>>();

/**
 * The fentry_can_attach equivalent: loads AND attaches a minimal fentry program to `fn`
 * (found in vmlinux or module BTF by libbpf). Cached per function.
 */
export function canAttachFentry(fn: string, module?: string): Promise<Capability> {
  const name = symbolName(fn, 'fn');
  const mod = checkModule(module);
  const key = `${mod ?? ''}:${name}`;
  let result = fentryCache.get(key);
  if (!result) {
    result = Promise.resolve().then(() =>
      hasVmlinuxBtf() ? tryProgram('probe_fentry', name, { kind: 'auto' })
        : { available: false, reason: `no BTF (${BTF_DIR}/vmlinux is missing)` });
    fentryCache.set(key, result);
  }
  return result;
}

/** Attaches a minimal kprobe to `fn`: false when the kernel has no kprobes even if the symbol exists. */
export function canAttachKprobe(fn: string): Promise<Capability> {
  const name = symbolName(fn, 'fn');
  let result = kprobeCache.get(name);
  if (!result) {
    result = Promise.resolve().then(() =>
      tryProgram('probe_kprobe', undefined, { kind: 'kprobe', function: name, retprobe: false }));
    kprobeCache.set(name, result);
  }
  return result;
}

/** Whether `category:name` exists, by attaching a tracepoint program to it. */
export async function tracepointExists(category: string, name: string): Promise<boolean> {
  const cat = kernelString(category, 'category', 64);
  const event = kernelString(name, 'name', 64);
  for (const [option, value] of [['category', cat], ['name', event]] as const) {
    if (!/^[A-Za-z0-9_]+$/.test(value)) throw new RangeError(`${option}: not a tracepoint name: '${value}'`);
  }
  return tryProgram('probe_tracepoint', undefined, { kind: 'tracepoint', category: cat, name: event }).available;
}
