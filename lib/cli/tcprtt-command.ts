import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tcpRtt, tcpRttModes, type TcpRttHistogram, type TcpRttOptions, type TcpRttSnapshot } from '../tools/tcprtt.js';
import { formatLog2Histogram } from '../tools/histogram.js';
import { formatTcpRttPrometheus } from '../tools/tcprtt-prometheus.js';
import { numberOption, parse, runSignal, stringOption, type Command } from './command.js';

const help = `usage: bpfkit tcprtt [options]
Summarizes TCP round-trip times (the kernel's smoothed RTT per received segment) as histograms.
  -i, --interval SEC  print a histogram every SEC seconds (default: once, at the end)
  -d, --duration SEC  stop after SEC seconds (default: Ctrl-C)
  -T, --timestamp     print a timestamp before each histogram
  -m, --milliseconds  histograms in milliseconds (default microseconds)
  -p, --lport PORT    only sockets with this local port
  -P, --rport PORT    only sockets with this remote port
  -a, --laddr ADDR    only sockets with this local address (IPv4 or IPv6)
  -A, --raddr ADDR    only sockets with this remote address (IPv4 or IPv6)
  -b, --byladdr       one histogram per local address
  -B, --byraddr       one histogram per remote address
  -e, --extended      show the average RTT of each histogram
  -4, --ipv4          only IPv4 sockets
  -6, --ipv6          only IPv6 sockets
      --attach MODE   auto (default), ${tcpRttModes.join(', ')}
      --prometheus    print the totals in the Prometheus text format instead of bar charts
      --demo          also generate TCP traffic on 127.0.0.1 in a private network namespace
                      (needs unshare and ip), so there is something to see`;

const seconds = (value: string | boolean | undefined, name: string): number | undefined => {
  const number = numberOption(value, name);
  if (number === undefined) return undefined;
  if (!(number > 0)) throw new RangeError(`${name}: must be a positive number of seconds, got ${number}`);
  return Math.max(1, Math.round(number * 1000));
};

/** The C tool's header line: "All Addresses = ******", "Local Address = ::1", plus " [AVG n]" with -e. */
function title(histogram: TcpRttHistogram, perAddress: 'local' | 'remote' | undefined, extended: boolean): string {
  const who = histogram.key === undefined ? 'All Addresses = ******'
    : `${perAddress === 'remote' ? 'Remote' : 'Local'} Address = ${histogram.key.address}`;
  return extended ? `${who} [AVG ${Math.floor(histogram.avg)}]` : who;
}

function render(snapshot: TcpRttSnapshot, options: { timestamp: boolean; extended: boolean; perAddress?: 'local' | 'remote' }): string {
  const lines = [''];
  if (options.timestamp) lines.push(new Date(snapshot.timestamp).toTimeString().slice(0, 8));
  const sorted = [...snapshot.histograms].sort((a, b) => (a.key?.address ?? '').localeCompare(b.key?.address ?? ''));
  for (const histogram of sorted) {
    lines.push(title(histogram, options.perAddress, options.extended));
    lines.push(formatLog2Histogram(histogram.buckets, snapshot.unit === 'ms' ? 'msecs' : 'usecs').trimEnd());
  }
  return lines.join('\n');
}

/** Starts the demo traffic in a private network namespace (this machine's own lo may have no address). */
function startDemoTraffic(durationMs: number | undefined): ChildProcess {
  const script = fileURLToPath(new URL('./tcprtt-traffic.js', import.meta.url));
  const secondsToRun = durationMs === undefined ? 86_400 : durationMs / 1000 + 1;
  const child = spawn('unshare', ['--net', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"',
    process.execPath, script, String(secondsToRun)], { stdio: ['ignore', 'ignore', 'inherit'] });
  child.on('error', (error) => console.error(`bpfkit tcprtt: --demo could not start unshare: ${error.message}`));
  return child;
}

export const tcprttCommand: Command = {
  summary: 'TCP round-trip time histograms (like bcc tcprtt)',
  async run(args) {
    const parsed = parse(args, {
      interval: { type: 'string', short: 'i' },
      duration: { type: 'string', short: 'd' },
      timestamp: { type: 'boolean', short: 'T' },
      milliseconds: { type: 'boolean', short: 'm' },
      lport: { type: 'string', short: 'p' },
      rport: { type: 'string', short: 'P' },
      laddr: { type: 'string', short: 'a' },
      raddr: { type: 'string', short: 'A' },
      byladdr: { type: 'boolean', short: 'b' },
      byraddr: { type: 'boolean', short: 'B' },
      extended: { type: 'boolean', short: 'e' },
      ipv4: { type: 'boolean', short: '4' },
      ipv6: { type: 'boolean', short: '6' },
      attach: { type: 'string' },
      prometheus: { type: 'boolean' },
      demo: { type: 'boolean' },
    }, help);
    if (!parsed) return 0;
    const { values } = parsed;
    if (values.byladdr && values.byraddr) throw new RangeError('-b and -B exclude each other');
    if (values.ipv4 && values.ipv6) throw new RangeError('-4 and -6 exclude each other');
    const duration = seconds(values.duration, 'duration');
    const interval = seconds(values.interval, 'interval') ?? duration ?? 2 ** 31 - 1;
    const perAddress = values.byladdr ? 'local' : values.byraddr ? 'remote' : undefined;
    const options: TcpRttOptions = {
      attach: stringOption(values.attach) as TcpRttOptions['attach'],
      interval,
      ...(duration !== undefined ? { duration } : {}),
      localPort: numberOption(values.lport, 'lport'),
      remotePort: numberOption(values.rport, 'rport'),
      localAddress: stringOption(values.laddr),
      remoteAddress: stringOption(values.raddr),
      ...(values.ipv4 ? { family: 'ipv4' as const } : values.ipv6 ? { family: 'ipv6' as const } : {}),
      ...(perAddress ? { perAddress } : {}),
      unit: values.milliseconds ? 'ms' : 'us',
      cumulative: Boolean(values.prometheus),
      signal: runSignal(undefined),
    };
    const rtt = tcpRtt(options);
    let demo: ChildProcess | undefined;
    try {
      const info = await rtt.ready;
      console.error(`tracing with ${info.mode}${info.rejected.map((r) => `; ${r.mode} rejected: ${r.reason}`).join('')}`);
      if (values.demo) demo = startDemoTraffic(duration);
      console.log(duration === undefined ? 'Tracing TCP RTT... Hit Ctrl-C to end.' : `Tracing TCP RTT for ${duration / 1000} secs.`);
      const addressLabel = perAddress === 'remote' ? 'remote_address' : 'local_address';
      for await (const snapshot of rtt) {
        if (values.prometheus) console.log(`\n${formatTcpRttPrometheus(snapshot, { addressLabel }).trimEnd()}`);
        else console.log(render(snapshot, { timestamp: Boolean(values.timestamp), extended: Boolean(values.extended), perAddress }));
      }
    } finally {
      demo?.kill();
      await rtt.close();
    }
    return 0;
  },
};
