import { readFileSync } from 'node:fs';

export interface KernelSymbol {
  /** 0n when kptr_restrict hides addresses from this process. */
  address: bigint;
  module?: string;
}

export interface Kallsyms {
  /** text symbols by name; the first address wins for duplicated static names. */
  functions: Map<string, KernelSymbol>;
  /** names of compiler-made copies ('foo.isra.0', 'foo.constprop.0') by their base name. */
  clones: Map<string, string[]>;
  /** whether real addresses are visible (root with kptr_restrict < 2). */
  addressesVisible: boolean;
}

const PATH = '/proc/kallsyms';
let cached: Kallsyms | undefined;

/** The kernel's function symbols from /proc/kallsyms, parsed once per process. */
export function kallsyms(): Kallsyms {
  if (cached) return cached;
  const functions = new Map<string, KernelSymbol>();
  const clones = new Map<string, string[]>();
  let addressesVisible = false;
  for (const line of readFileSync(PATH, 'utf8').split('\n')) {
    // "ffffffff816d24d0 T do_unlinkat" or "ffffffffc0a01000 t nf_hook [nf_tables]"
    const first = line.indexOf(' ');
    const second = line.indexOf(' ', first + 1);
    if (second < 0) continue;
    const type = line[first + 1];
    if (type !== 't' && type !== 'T') continue;
    const tab = line.indexOf('\t', second + 1);
    const name = tab < 0 ? line.slice(second + 1) : line.slice(second + 1, tab);
    if (functions.has(name)) continue;
    const address = BigInt(`0x${line.slice(0, first)}`);
    if (address !== 0n) addressesVisible = true;
    const module = tab < 0 ? undefined : /\[(\S+)\]/.exec(line.slice(tab))?.[1];
    functions.set(name, module ? { address, module } : { address });
    const dot = name.indexOf('.');
    if (dot > 0) {
      const base = name.slice(0, dot);
      const list = clones.get(base);
      if (list) list.push(name);
      else clones.set(base, [name]);
    }
  }
  cached = { functions, clones, addressesVisible };
  return cached;
}
