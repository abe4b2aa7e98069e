import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { BpfError } from '../errors.js';
import { Btf } from './btf.js';

export const BTF_DIR = '/sys/kernel/btf';

let vmlinux: Btf | undefined;
const modules = new Map<string, Btf>();

function notFound(message: string): BpfError {
  return new BpfError(message, { code: 'BPFKIT_NOT_FOUND' });
}

/** The running kernel's BTF, read once from /sys/kernel/btf/vmlinux. */
export function vmlinuxBtf(): Btf {
  if (vmlinux) return vmlinux;
  const path = `${BTF_DIR}/vmlinux`;
  if (!existsSync(path)) throw notFound(`${path} is missing: this kernel was built without CONFIG_DEBUG_INFO_BTF`);
  vmlinux = new Btf(readFileSync(path), path);
  return vmlinux;
}

/** Names of the loaded modules that carry BTF (the files next to vmlinux in /sys/kernel/btf). */
export function btfModules(): string[] {
  if (!existsSync(BTF_DIR)) return [];
  return readdirSync(BTF_DIR).filter((name) => name !== 'vmlinux').sort();
}

/** A module's split BTF, on top of vmlinux's; read once per module. */
export function moduleBtf(module: string): Btf {
  let btf = modules.get(module);
  if (btf) return btf;
  if (!/^[A-Za-z0-9_-]+$/.test(module)) throw new RangeError(`module: not a module name: '${module}'`);
  const path = `${BTF_DIR}/${module}`;
  if (!existsSync(path)) throw notFound(`module '${module}' has no BTF in ${BTF_DIR} (not loaded, or built without BTF)`);
  btf = new Btf(readFileSync(path), path, vmlinuxBtf());
  modules.set(module, btf);
  return btf;
}
