import { netlinkErrors, netlinkSources, type NetlinkError, type NetlinkSource } from '../tools/netlink.js';
import { numberOption, parse, stringOption, runSignal, type Command } from './command.js';

const help = `usage: bpfkit netlink-errors [options]
Prints one line per netlink extended-ack error (the message iproute2 shows after "Error:") until Ctrl-C.
  -s, --sources LIST  auto (default), or a comma-separated list of ${netlinkSources.join(', ')}
                      (fentry/fexit trace the tracepoint's BPF program itself)
  -d, --duration SEC  stop after SEC seconds`;

function sourcesOption(value: string | undefined): 'auto' | NetlinkSource[] | undefined {
  if (value === undefined || value === 'auto') return value;
  return value.split(',').map((source) => source.trim()) as NetlinkSource[];
}

function line(event: NetlinkError): string {
  const source = event.source === 'fexit' ? `fexit=${event.retval}` : event.source;
  const message = event.truncated ? `${event.message}... (${event.messageLength} bytes)` : event.message;
  return `${String(event.pid).padEnd(8)}${event.comm.padEnd(17)}${source.padEnd(12)}${message}`;
}

export const netlinkCommand: Command = {
  summary: 'netlink extended-ack errors (tc/ip "Error: ..." messages) with the process that caused them',
  async run(args) {
    const parsed = parse(args, {
      sources: { type: 'string', short: 's' },
      duration: { type: 'string', short: 'd' },
    }, help);
    if (!parsed) return 0;
    const { values } = parsed;
    const stream = netlinkErrors({
      sources: sourcesOption(stringOption(values.sources)),
      signal: runSignal(numberOption(values.duration, 'duration')),
    });
    const info = await stream.ready;
    console.error(`tracing netlink extack errors with ${info.mode}${info.rejected.map((r) => `; ${r.mode} skipped: ${r.reason}`).join('')}`);
    console.log(`${'PID'.padEnd(8)}${'COMM'.padEnd(17)}${'SOURCE'.padEnd(12)}MESSAGE`);
    for await (const event of stream) console.log(line(event));
    const { dropped } = stream.stats;
    if (dropped > 0) console.error(`${dropped} events dropped (the consumer fell behind)`);
    return 0;
  },
};
