import { EventStream, type StreamSource } from '../event-stream.js';
import { openEventObject } from '../event-object.js';
import { native } from '../binding.js';
import { BpfError, invalidOption } from '../errors.js';
import { canAttachFentry, canAttachKprobe, probe, type Capability } from '../probe.js';
import { selectTier, type Tier } from '../tiers.js';
import { streamOptionKeys, streamOptions, type EventStreamOptions } from '../stream-options.js';
import { integer, kernelString, knownKeys, oneOf, optionalInteger, optionsObject } from '../validate.js';
import { isGlob, matchFunctions } from '../btf/functions.js';
import type { AttachSpec } from '../../types/native.js';
import { kallsyms } from '../trace/kallsyms.js';
import { checkTraceable, isUntraceable } from '../trace/traceability.js';
import { parsePredicate, predicateOpCodes } from '../trace/predicate.js';
import { planFunction, type TracedFunction } from '../trace/traced-function.js';
import { addressTable, functionTable } from '../trace/function-table.js';
import { traceDecoder, type FunctionCall, type TraceMode } from '../trace/record.js';
import { tracepointAlternatives } from '../trace/alternatives.js';
import { TraceUnavailableError, UntraceableFunctionError } from '../trace/errors.js';
import { isFieldPath } from '../trace/read-plan.js';

export type { FunctionCall, TraceMode } from '../trace/record.js';
export const traceModes: readonly TraceMode[] = ['fentry', 'kprobe.multi', 'kprobe'];

export interface TraceFunctionOptions extends EventStreamOptions {
  /** 'auto' (default): fentry/fexit, else kprobe.multi (several functions), else kprobe/kretprobe. */
  attach?: 'auto' | TraceMode;
  /** look the functions up only in this module's BTF ('vmlinux' for the kernel itself). */
  module?: string;
  /** only this process (thread group id). */
  pid?: number;
  /** only tasks with exactly this command name (at most 15 bytes). */
  comm?: string;
  /** field paths to read at entry, e.g. ['name->name', 'sk->__sk_common.skc_daddr']. */
  args?: string[];
  /** one integer comparison on the return value or a parameter: 'ret < 0', 'dfd == -100'. */
  where?: string;
  /** most functions a glob may match (default 16, at most 128; above 16 only kprobe.multi works). */
  maxFunctions?: number;
}

const optionKeys = ['attach', 'module', 'pid', 'comm', 'args', 'where', 'maxFunctions', ...streamOptionKeys];
const COMM_MAX = 16;

interface Limits {
  slots: number;
  maxFuncs: number;
  maxArgs: number;
  maxReads: number;
  maxDepth: number;
  readMax: number;
}

function limits(): Limits {
  const c = native.layouts().constants!;
  return {
    slots: c.TRACE_SLOTS!, maxFuncs: c.TRACE_MAX_FUNCS!, maxArgs: c.TRACE_MAX_ARGS!,
    maxReads: c.TRACE_MAX_READS!, maxDepth: c.TRACE_READ_DEPTH!, readMax: c.TRACE_READ_MAX!,
  };
}

function targetNames(target: unknown): string[] {
  const names = typeof target === 'string' ? [target] : target;
  if (!Array.isArray(names) || names.length === 0) throw invalidOption('functions', 'must be a function name, a glob, or a non-empty array of them', 'type');
  return names.map((name, i) => {
    const value = kernelString(name, `functions[${i}]`, 127);
    if (!/^[A-Za-z0-9_.*?]+$/.test(value)) throw invalidOption(`functions[${i}]`, `'${value}' is not a function name or glob ('*' and '?' allowed)`);
    return value;
  });
}

function fieldPaths(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalidOption('args', "must be an array of field paths like 'name->name'", 'type');
  return value.map((path, i) => {
    if (typeof path !== 'string' || !isFieldPath(path)) {
      throw invalidOption(`args[${i}]`, `${JSON.stringify(path)} is not a field path like 'name->name' or 'sk->__sk_common.skc_daddr'`);
    }
    return path;
  });
}

/** Resolves names and globs to traceable functions; explicit names must all be traceable. */
function resolveFunctions(names: string[], module: string | undefined, maxFunctions: number): { traceable: { name: string; ref: ReturnType<typeof matchFunctions>[number] }[] } {
  const untraceable: { name: string; reason: string }[] = [];
  const chosen = new Map<string, ReturnType<typeof matchFunctions>[number]>();
  for (const name of names) {
    if (!isGlob(name)) {
      const checked = checkTraceable(name, module);
      if (isUntraceable(checked)) untraceable.push(checked);
      else chosen.set(name, checked);
      continue;
    }
    const matches = matchFunctions(name, module);
    const usable = matches.filter((ref) => !isUntraceable(checkTraceable(ref.btf.name(ref.funcId), ref.module)));
    if (usable.length === 0) {
      untraceable.push({ name, reason: matches.length ? `all ${matches.length} matching functions are untraceable (inlined, notrace or denied)` : 'matches no function in BTF' });
    }
    for (const ref of usable) chosen.set(ref.btf.name(ref.funcId), ref);
    if (chosen.size > maxFunctions) break;
  }
  if (untraceable.length) throw new UntraceableFunctionError(untraceable);
  if (chosen.size > maxFunctions) {
    throw invalidOption('functions', `${names.join(', ')} match more than ${maxFunctions} traceable functions; narrow the pattern or raise maxFunctions`);
  }
  return { traceable: [...chosen].map(([name, ref]) => ({ name, ref })) };
}

/**
 * Traces calls of kernel functions by name: one event per completed call, with the arguments
 * and return value decoded from the functions' BTF signatures. Names, globs, field paths and the
 * predicate are checked against BTF and /proc/kallsyms before any kernel object is created.
 */
export function traceFunction(functions: string | string[], options?: TraceFunctionOptions): EventStream<FunctionCall> {
  const opts = optionsObject<TraceFunctionOptions>(options);
  knownKeys(opts, optionKeys);
  const names = targetNames(functions);
  const attach = oneOf(opts.attach, 'attach', ['auto', ...traceModes], 'auto');
  const module = opts.module === undefined ? undefined : kernelString(opts.module, 'module', 55);
  const pid = optionalInteger(opts.pid, 'pid', 1, 0x3fffffff);
  const comm = opts.comm === undefined ? undefined : kernelString(opts.comm, 'comm', COMM_MAX - 1);
  const paths = fieldPaths(opts.args);
  const predicate = parsePredicate(opts.where, 'where');
  const limit = limits();
  const maxFunctions = opts.maxFunctions === undefined ? limit.slots : integer(opts.maxFunctions, 'maxFunctions', 1, limit.maxFuncs);
  const stream = streamOptions(opts);

  const { traceable } = resolveFunctions(names, module, maxFunctions);
  const planLimits = { maxReads: limit.maxReads, maxDepth: limit.maxDepth, readMax: limit.readMax, maxArgs: limit.maxArgs };
  const planned = traceable.map(({ ref }) => planFunction(ref, paths, predicate, planLimits));
  for (const path of paths) {
    if (!planned.some((fn) => fn.reads.some((read) => read.label === path))) {
      throw invalidOption('args', `'${path}': no traced function has a parameter '${path.split(/->|\./)[0]}'`);
    }
  }
  const first = planned[0]!;

  const rodataFor = (ordered: TracedFunction[], addresses?: bigint[]) => ({
    targ_tgid: pid ?? 0,
    targ_comm: comm ?? '',
    targ_pred_op: predicate ? predicateOpCodes[predicate.op] : 0,
    targ_pred_value: predicate?.value ?? 0n,
    targ_funcs: functionTable(ordered, ordered.length),
    ...(addresses ? { targ_func_count: addresses.length, targ_func_ips: addressTable(addresses, addresses.length) } : {}),
  });

  const perFunctionTier = (mode: 'fentry' | 'kprobe', check: () => Promise<Capability>): Tier<StreamSource<FunctionCall>> => ({
    mode,
    check: async () => planned.length > limit.slots
      ? { available: false, reason: `${planned.length} functions: one ${mode} object traces at most ${limit.slots}` }
      : check(),
    open: async () => {
      const programs: Record<string, AttachSpec | undefined> = {};
      const attachTargets: Record<string, { function: string }> = {};
      planned.forEach((fn, i) => {
        if (mode === 'fentry') {
          programs[`trace_fentry_${i}`] = undefined;
          programs[`trace_fexit_${i}`] = undefined;
          attachTargets[`trace_fentry_${i}`] = { function: fn.name };
          attachTargets[`trace_fexit_${i}`] = { function: fn.name };
        } else {
          programs[`trace_kprobe_${i}`] = { kind: 'kprobe', function: fn.name, retprobe: false };
          programs[`trace_kretprobe_${i}`] = { kind: 'kprobe', function: fn.name, retprobe: true };
        }
      });
      const { object, buffer } = await openEventObject({
        object: 'trace', programs, rodata: rodataFor(planned), ...(mode === 'fentry' ? { attachTargets } : {}),
      }, stream);
      return { object, buffer, decode: traceDecoder(planned, mode), mode, rejected: [] };
    },
  });

  const multiTier: Tier<StreamSource<FunctionCall>> = {
    mode: 'kprobe.multi',
    check: async () => {
      const capability = (await probe()).modes['kprobe.multi'];
      if (!capability.available) return capability;
      if (!kallsyms().addressesVisible) return { available: false, reason: '/proc/kallsyms shows no addresses (kptr_restrict): calls cannot be told apart' };
      return { available: true };
    },
    open: async () => {
      const symbols = kallsyms().functions;
      const ordered = [...planned].sort((a, b) => {
        const x = symbols.get(a.name)!.address;
        const y = symbols.get(b.name)!.address;
        return x < y ? -1 : x > y ? 1 : 0;
      });
      const addresses = ordered.map((fn) => symbols.get(fn.name)!.address);
      const functionsToAttach = ordered.map((fn) => fn.name);
      const { object, buffer } = await openEventObject({
        object: 'trace',
        programs: {
          trace_kprobe_multi: { kind: 'kprobe.multi', functions: functionsToAttach, retprobe: false },
          trace_kretprobe_multi: { kind: 'kprobe.multi', functions: functionsToAttach, retprobe: true },
        },
        rodata: rodataFor(ordered, addresses),
      }, stream);
      return { object, buffer, decode: traceDecoder(ordered, 'kprobe.multi'), mode: 'kprobe.multi', rejected: [] };
    },
  };

  // kprobe.multi only pays off for several functions; one function keeps the two better tiers.
  const tiers = [
    perFunctionTier('fentry', () => canAttachFentry(first.name, first.module)),
    ...(planned.length > 1 || attach === 'kprobe.multi' ? [multiTier] : []),
    perFunctionTier('kprobe', () => canAttachKprobe(first.name)),
  ];

  return new EventStream(async () => {
    try {
      const selected = await selectTier('traceFunction', attach, tiers);
      return { ...selected.source, rejected: selected.rejected };
    } catch (error) {
      if (!(error instanceof BpfError) || error.code !== 'BPFKIT_NO_MODE') throw error;
      const rejected = (error as BpfError & { rejected: TraceUnavailableError['rejected'] }).rejected;
      const found = planned.map((fn) => tracepointAlternatives(fn.name));
      const alternatives = [...new Set(found.flatMap((f) => f.alternatives))];
      throw new TraceUnavailableError(planned.map((fn) => fn.name), rejected, alternatives, found.find((f) => f.note)?.note);
    }
  }, stream);
}

