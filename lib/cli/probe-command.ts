import { probe, type Capability } from '../probe.js';
import { parse, type Command } from './command.js';

function row(name: string, capability: Capability): string {
  return `  ${name.padEnd(14)}${capability.available ? 'yes' : 'no '}  ${capability.reason ?? ''}`.trimEnd();
}

export const probeCommand: Command = {
  summary: 'what this kernel allows (attach modes, buffers, BTF), by real load-and-attach probes',
  async run(args) {
    const parsed = parse(args, { json: { type: 'boolean' } }, 'usage: bpfkit probe [--json]');
    if (!parsed) return 0;
    const report = await probe();
    if (parsed.values.json) {
      console.log(JSON.stringify(report, null, 2));
      return 0;
    }
    console.log(`kernel   ${report.kernel.release} (${report.kernel.machine})`);
    console.log(`libbpf   ${report.libbpf}`);
    console.log(`BTF      vmlinux ${report.btf.vmlinux ? 'yes' : 'no'}, ${report.btf.modules} modules in ${report.btf.modulesDir}`);
    console.log(`lockdown ${report.lockdown}`);
    console.log('attach modes:');
    for (const [mode, capability] of Object.entries(report.modes)) console.log(row(mode, capability));
    console.log('event buffers:');
    for (const [kind, capability] of Object.entries(report.buffers)) console.log(row(kind, capability));
    return 0;
  },
};
