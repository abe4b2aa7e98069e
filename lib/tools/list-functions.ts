import { canAttachFentry, canAttachKprobe, type Capability } from '../probe.js';
import { invalidOption } from '../errors.js';
import { boolean, kernelString, knownKeys, optionsObject } from '../validate.js';
import { matchFunctions, signatureOf, type FunctionSignature } from '../btf/functions.js';
import { checkTraceable, isUntraceable } from '../trace/traceability.js';

export type { FunctionParam, FunctionSignature } from '../btf/functions.js';

export interface ListFunctionsOptions {
  /** only this module's functions ('vmlinux' for the kernel itself); default: vmlinux and every module with BTF. */
  module?: string;
  /** also attach a minimal fentry and kprobe program to each function (real probes, cached). */
  probe?: boolean;
}

export interface KernelFunction extends FunctionSignature {
  /** with probe: true — whether each attach mode really works for this function here. */
  traceable?: { fentry: Capability; kprobe: Capability };
}

/** Probing loads and attaches two programs per function; more than this is almost surely a mistake. */
const MAX_PROBED = 256;

/**
 * Kernel functions whose name matches `pattern` ('do_unlinkat', 'tcp_*', 'vfs_?ead'), with their
 * signatures from BTF rendered as C, like `bpftrace -lv 'kfunc:tcp_*'`. vmlinux comes first,
 * then each module; names are sorted within each.
 */
export async function listFunctions(pattern: string, options?: ListFunctionsOptions): Promise<KernelFunction[]> {
  const glob = kernelString(pattern, 'pattern', 127);
  if (!/^[A-Za-z0-9_.*?]+$/.test(glob)) throw invalidOption('pattern', `'${glob}' is not a function name or glob ('*' and '?' allowed)`);
  const opts = optionsObject<ListFunctionsOptions>(options);
  knownKeys(opts, ['module', 'probe']);
  const module = opts.module === undefined ? undefined : kernelString(opts.module, 'module', 55);
  const probing = boolean(opts.probe, 'probe', false);
  const matches = matchFunctions(glob, module);
  if (probing && matches.length > MAX_PROBED) {
    throw invalidOption('probe', `'${glob}' matches ${matches.length} functions; probing checks at most ${MAX_PROBED} at once`);
  }
  const functions: KernelFunction[] = [];
  for (const ref of matches) {
    const signature: KernelFunction = signatureOf(ref);
    if (probing) signature.traceable = await traceability(signature);
    functions.push(signature);
  }
  return functions;
}

async function traceability(fn: FunctionSignature): Promise<{ fentry: Capability; kprobe: Capability }> {
  const checked = checkTraceable(fn.name, fn.module);
  if (isUntraceable(checked)) {
    const refused = { available: false, reason: checked.reason };
    return { fentry: refused, kprobe: refused };
  }
  return { fentry: await canAttachFentry(fn.name, fn.module), kprobe: await canAttachKprobe(fn.name) };
}
