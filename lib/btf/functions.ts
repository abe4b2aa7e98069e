import { Btf } from './btf.js';
import { btfModules, moduleBtf, vmlinuxBtf } from './load.js';
import { renderType } from './render.js';

export interface FunctionParam {
  /** the parameter's name in the kernel source ('' if BTF has none; '...' for varargs). */
  name: string;
  /** the type as C spells it, e.g. 'struct filename *'. */
  type: string;
  /** the BTF type id (in vmlinux's id space, or the module's split id space). */
  typeId: number;
}

/** A kernel function's signature from BTF. */
export interface FunctionSignature {
  name: string;
  /** the module that defines it; absent for vmlinux. */
  module?: string;
  returnType: string;
  params: FunctionParam[];
  /** the FUNC's BTF id. */
  btfId: number;
}

/** Where one function lives: its blob, FUNC id and FUNC_PROTO id. */
export interface FunctionRef {
  btf: Btf;
  module?: string;
  funcId: number;
  protoId: number;
}

const byName = new WeakMap<Btf, Map<string, number>>();

/** name → FUNC id for the functions a blob defines; the first definition wins (static duplicates). */
function functionIndex(btf: Btf): Map<string, number> {
  let index = byName.get(btf);
  if (!index) {
    index = new Map();
    for (const id of btf.functions()) {
      const name = btf.name(id);
      if (!index.has(name)) index.set(name, id);
    }
    byName.set(btf, index);
  }
  return index;
}

/** Each BTF blob to search, vmlinux first; `module` narrows it to one ('vmlinux' = the kernel only). */
export function blobs(module?: string): { btf: Btf; module?: string }[] {
  if (module === 'vmlinux') return [{ btf: vmlinuxBtf() }];
  if (module !== undefined) return [{ btf: moduleBtf(module), module }];
  return [{ btf: vmlinuxBtf() }, ...btfModules().map((name) => ({ btf: moduleBtf(name), module: name }))];
}

/** Finds a function by exact name, in vmlinux or any module with BTF (or only in `module`). */
export function findFunction(name: string, module?: string): FunctionRef | undefined {
  for (const blob of blobs(module)) {
    const funcId = functionIndex(blob.btf).get(name);
    if (funcId !== undefined) return { ...blob, funcId, protoId: blob.btf.target(funcId) };
  }
  return undefined;
}

export function signatureOf(ref: FunctionRef): FunctionSignature {
  const { btf, funcId, protoId } = ref;
  const params = btf.params(protoId).map((param) =>
    param.type === 0 ? { name: '...', type: '...', typeId: 0 } : { name: param.name, type: renderType(btf, param.type), typeId: param.type });
  return {
    name: btf.name(funcId),
    ...(ref.module ? { module: ref.module } : {}),
    returnType: renderType(btf, btf.target(protoId)),
    params,
    btfId: funcId,
  };
}

/** A shell-style glob ('*' any run, '?' one character) as an anchored regular expression. */
function globPattern(glob: string): RegExp {
  const source = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`);
}

export function isGlob(pattern: string): boolean {
  return /[*?]/.test(pattern);
}

/** Every function matching `pattern`, vmlinux's first, then each module's, sorted by name. */
export function matchFunctions(pattern: string, module?: string): FunctionRef[] {
  const matches: FunctionRef[] = [];
  const exact = !isGlob(pattern);
  const regex = globPattern(pattern);
  for (const blob of blobs(module)) {
    const index = functionIndex(blob.btf);
    if (exact) {
      const funcId = index.get(pattern);
      if (funcId !== undefined) matches.push({ ...blob, funcId, protoId: blob.btf.target(funcId) });
      continue;
    }
    const names = [...index.keys()].filter((name) => regex.test(name)).sort();
    for (const name of names) {
      const funcId = index.get(name)!;
      matches.push({ ...blob, funcId, protoId: blob.btf.target(funcId) });
    }
  }
  return matches;
}
