import { readFileSync } from 'node:fs';
import { findFunction, type FunctionRef } from '../btf/functions.js';
import { kallsyms } from './kallsyms.js';

/**
 * Functions the kernel refuses to attach trampolines to whatever BTF says, because BPF programs
 * themselves call them (kernel/bpf/verifier.c, btf_id_deny), plus the tracing machinery's own
 * entry points, which would recurse.
 */
const DENIED = new Set([
  'migrate_disable', 'migrate_enable', 'rcu_read_unlock_strict', 'preempt_count_add', 'preempt_count_sub',
  '__rcu_read_lock', '__rcu_read_unlock',
]);
const DENIED_PREFIXES = ['bpf_trampoline_', '__bpf_prog_enter', '__bpf_prog_exit', 'ftrace_', 'kprobe_'];

export type Untraceable = { name: string; reason: string };

let filterFunctions: Set<string> | null | undefined;

/** ftrace's list of hookable functions, or null where it cannot be read (tracefs not mounted, EPERM). */
function ftraceable(): Set<string> | null {
  if (filterFunctions !== undefined) return filterFunctions;
  filterFunctions = null;
  for (const path of ['/sys/kernel/tracing/available_filter_functions', '/sys/kernel/debug/tracing/available_filter_functions']) {
    try {
      const names = new Set<string>();
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        const end = line.search(/[ \t]/);
        if (line) names.add(end < 0 ? line : line.slice(0, end));
      }
      filterFunctions = names;
      break;
    } catch {
      // unreadable here: fall back to the checks that do not need it
    }
  }
  return filterFunctions;
}

/**
 * Finds `name` and checks, without touching the kernel, the reasons it could not be traced: no
 * BTF signature, no symbol (inlined or compiled away), only compiler clones, notrace (not in
 * ftrace's list, where readable) or on the deny list.
 */
export function checkTraceable(name: string, module?: string): FunctionRef | Untraceable {
  const symbols = kallsyms();
  const ref = findFunction(name, module);
  const symbol = symbols.functions.get(name);
  if (DENIED.has(name) || DENIED_PREFIXES.some((prefix) => name.startsWith(prefix))) {
    return { name, reason: 'on the deny list: BPF programs or the tracing machinery call it, so tracing it would recurse' };
  }
  if (!ref) {
    if (symbol) return { name, reason: 'in /proc/kallsyms but not in BTF: no signature to decode its arguments' };
    const where = module ? `module '${module}'` : 'vmlinux or any loaded module';
    return { name, reason: `no such function in the BTF of ${where}` };
  }
  if (!symbol) {
    const clones = symbols.clones.get(name);
    if (clones) return { name, reason: `only compiler-specialised copies exist (${clones.slice(0, 3).join(', ')}), whose arguments do not match the BTF signature` };
    return { name, reason: 'not in /proc/kallsyms: inlined into its callers or removed by the compiler' };
  }
  const hookable = ftraceable();
  if (hookable && !hookable.has(name)) {
    return { name, reason: 'not in available_filter_functions: marked notrace or not hookable by ftrace' };
  }
  return ref;
}

export function isUntraceable(value: FunctionRef | Untraceable): value is Untraceable {
  return 'reason' in value;
}
