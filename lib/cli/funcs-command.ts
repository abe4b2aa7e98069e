import { listFunctions, type KernelFunction } from '../tools/list-functions.js';
import { parse, stringOption, type Command } from './command.js';

const help = `usage: bpfkit funcs PATTERN [options]
Lists kernel functions whose name matches PATTERN ('*' and '?' allowed), from vmlinux and module BTF.
  -v, --verbose       print each signature
  -m, --module NAME   only this module ('vmlinux' for the kernel itself)
      --probe         also report whether fentry and kprobe really attach to each (slow)
      --json          print JSON`;

function signature(fn: KernelFunction): string {
  const params = fn.params.map((p) => (p.name === '...' ? '...' : `${p.type}${p.type.endsWith('*') ? '' : ' '}${p.name}`));
  const returnType = fn.returnType.endsWith('*') ? fn.returnType : `${fn.returnType} `;
  return `${returnType}${fn.name}(${params.join(', ') || 'void'})`;
}

function traceability(fn: KernelFunction): string {
  if (!fn.traceable) return '';
  const { fentry, kprobe } = fn.traceable;
  const mark = (mode: string, ok: boolean) => `${mode}:${ok ? 'yes' : 'no'}`;
  const reason = [fentry, kprobe].find((c) => !c.available)?.reason;
  return `  [${mark('fentry', fentry.available)} ${mark('kprobe', kprobe.available)}]${reason ? ` ${reason}` : ''}`;
}

export const funcsCommand: Command = {
  summary: 'kernel functions matching a pattern, with BTF signatures (like bpftrace -lv kfunc:...)',
  async run(args) {
    const parsed = parse(args, {
      verbose: { type: 'boolean', short: 'v' },
      module: { type: 'string', short: 'm' },
      probe: { type: 'boolean' },
      json: { type: 'boolean' },
    }, help);
    if (!parsed) return 0;
    const [pattern, ...extra] = parsed.positionals;
    if (!pattern || extra.length) {
      console.error(help);
      return 2;
    }
    const module = stringOption(parsed.values.module);
    const functions = await listFunctions(pattern, { ...(module ? { module } : {}), probe: parsed.values.probe === true });
    if (parsed.values.json) {
      console.log(JSON.stringify(functions, null, 2));
      return 0;
    }
    for (const fn of functions) {
      const prefix = fn.module ? `${fn.module}:` : '';
      console.log(`${parsed.values.verbose ? signature(fn) : fn.name}${prefix ? `  [${prefix.slice(0, -1)}]` : ''}${traceability(fn)}`);
    }
    if (functions.length === 0) console.error(`no function matches '${pattern}'`);
    return functions.length ? 0 : 1;
  },
};
