import { parseArgs } from 'node:util';
import { traceFunction, traceModes, type FunctionCall } from '../tools/trace-function.js';
import type { TraceValue } from '../trace/value-format.js';
import { numberOption, runSignal, stringOption, type Command } from './command.js';

const help = `usage: bpfkit trace FUNCTION... [options]
Prints one line per completed call of the kernel functions (names or globs) until Ctrl-C.
  -a, --attach MODE   auto (default), ${traceModes.join(', ')}
      --arg PATH      also read a field path at entry, e.g. name->name or
                      sk->__sk_common.skc_daddr (repeatable)
  -w, --where EXPR    only calls where EXPR holds: 'ret < 0', 'dfd == -100'
  -p, --pid PID       only this process
  -c, --comm NAME     only this command name
  -m, --module NAME   look the functions up in this module only
      --max N         most functions a glob may match (default 16)
  -d, --duration SEC  stop after SEC seconds`;

function show(value: TraceValue): string {
  return typeof value === 'string' && !value.startsWith('0x') ? JSON.stringify(value) : String(value);
}

function line(call: FunctionCall): string {
  const args = Object.entries(call.args).map(([name, value]) => `${name}=${show(value)}`).join(', ');
  const ret = 'ret' in call ? ` = ${show(call.ret!)}` : '';
  const latency = `${(call.latencyNs / 1000).toFixed(1)}us`;
  return `${String(call.pid).padEnd(8)}${call.comm.padEnd(17)}${call.function}(${args})${ret}  ${latency}`;
}

export const traceCommand: Command = {
  summary: 'calls of any kernel function with BTF-decoded arguments and return values',
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        attach: { type: 'string', short: 'a' },
        arg: { type: 'string', multiple: true },
        where: { type: 'string', short: 'w' },
        pid: { type: 'string', short: 'p' },
        comm: { type: 'string', short: 'c' },
        module: { type: 'string', short: 'm' },
        max: { type: 'string' },
        duration: { type: 'string', short: 'd' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      console.log(help);
      return 0;
    }
    if (positionals.length === 0) {
      console.error(help);
      return 2;
    }
    const stream = traceFunction(positionals, {
      attach: stringOption(values.attach) as 'auto' | undefined,
      args: values.arg,
      where: values.where,
      pid: numberOption(values.pid, 'pid'),
      comm: values.comm,
      module: values.module,
      maxFunctions: numberOption(values.max, 'max'),
      signal: runSignal(numberOption(values.duration, 'duration')),
    });
    const info = await stream.ready;
    console.error(`tracing ${positionals.join(', ')} with ${info.mode}${info.rejected.map((r) => `; ${r.mode} rejected: ${r.reason}`).join('')}`);
    for await (const call of stream) console.log(line(call));
    const { dropped } = stream.stats;
    if (dropped > 0) console.error(`${dropped} calls dropped (the consumer fell behind)`);
    return 0;
  },
};
