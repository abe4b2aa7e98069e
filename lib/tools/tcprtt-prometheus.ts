import { invalidOption } from '../errors.js';
import { kernelString, optionsObject, knownKeys } from '../validate.js';
import type { TcpRtt, TcpRttHistogram, TcpRttSnapshot } from './tcprtt.js';

export interface TcpRttPrometheusOptions {
  /** metric name; default 'tcp_rtt_seconds'. */
  name?: string;
  help?: string;
  /** label carrying a per-address histogram's address; default 'address'. */
  addressLabel?: string;
  /** constant labels added to every sample (e.g. { instance: 'a' }). */
  labels?: Record<string, string>;
}

/** One sample as prom-client's Registry formats it: `${metricName}{labels} value`. */
export interface PrometheusSample {
  metricName: string;
  labels: Record<string, string>;
  value: number;
}

/** The shape prom-client's Registry.registerMetric() accepts: it calls get() on every scrape. */
export interface TcpRttMetric {
  readonly name: string;
  readonly help: string;
  readonly type: 'histogram';
  readonly aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: PrometheusSample[] }>;
  /** Counts from now on (prom-client's registry.resetMetrics()). */
  reset(): void;
  /** The text exposition format (version 0.0.4) of the current totals. */
  text(): string;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

interface Resolved {
  name: string;
  help: string;
  addressLabel: string;
  labels: Record<string, string>;
}

function resolve(options: unknown, defaultAddressLabel: string): Resolved {
  const opts = optionsObject<TcpRttPrometheusOptions>(options);
  knownKeys(opts, ['name', 'help', 'addressLabel', 'labels']);
  const name = opts.name === undefined ? 'tcp_rtt_seconds' : kernelString(opts.name, 'name', 200);
  if (!METRIC_NAME.test(name)) throw invalidOption('name', `is not a Prometheus metric name: '${name}'`);
  const addressLabel = opts.addressLabel === undefined ? defaultAddressLabel : kernelString(opts.addressLabel, 'addressLabel', 200);
  const labels = optionsObject<Record<string, string>>(opts.labels, 'labels');
  for (const [label, value] of Object.entries(labels)) {
    if (!LABEL_NAME.test(label) || label === 'le') throw invalidOption(`labels.${label}`, 'is not a usable label name');
    if (typeof value !== 'string') throw invalidOption(`labels.${label}`, 'must be a string', 'type');
  }
  for (const label of [addressLabel, `${addressLabel}_family`]) {
    if (!LABEL_NAME.test(label) || label in labels) throw invalidOption('addressLabel', `cannot be used as a label: '${label}'`);
  }
  return {
    name,
    help: opts.help === undefined ? 'TCP smoothed round-trip time (srtt) per received segment, from the kernel' : String(opts.help),
    addressLabel,
    labels: labels as Record<string, string>,
  };
}

const unitSeconds = { us: 1e6, ms: 1e3 } as const;

/**
 * Classic cumulative buckets: slot i holds samples below 2^(i+1) units, so its `le` is that bound
 * in seconds (divided, not multiplied, so 2^10 us prints as 0.001024). The last slot is open-ended
 * and only appears in +Inf.
 */
function samples(snapshot: TcpRttSnapshot, histogram: TcpRttHistogram, options: Resolved): PrometheusSample[] {
  const perSecond = unitSeconds[snapshot.unit];
  const labels: Record<string, string> = { ...options.labels };
  if (histogram.key) {
    labels[options.addressLabel] = histogram.key.address;
    labels[`${options.addressLabel}_family`] = histogram.key.family;
  }
  const result: PrometheusSample[] = [];
  let cumulative = 0;
  histogram.buckets.forEach((bucket, i) => {
    cumulative += bucket.count;
    if (i === histogram.buckets.length - 1) return;
    result.push({ metricName: `${options.name}_bucket`, labels: { ...labels, le: String((bucket.high + 1) / perSecond) }, value: cumulative });
  });
  result.push({ metricName: `${options.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: histogram.count });
  result.push({ metricName: `${options.name}_sum`, labels, value: histogram.sum / perSecond });
  result.push({ metricName: `${options.name}_count`, labels, value: histogram.count });
  return result;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function render(options: Resolved, values: PrometheusSample[]): string {
  const lines = [
    `# HELP ${options.name} ${options.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`,
    `# TYPE ${options.name} histogram`,
  ];
  for (const sample of values) {
    const labels = Object.entries(sample.labels).map(([label, value]) => `${label}="${escapeLabel(value)}"`);
    lines.push(`${sample.metricName}${labels.length ? `{${labels.join(',')}}` : ''} ${sample.value}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A snapshot's histograms in the Prometheus text format. Prometheus expects counters that only
 * grow: pass cumulative snapshots (tcpRtt({ cumulative: true }) or TcpRtt.totals()).
 */
export function formatTcpRttPrometheus(snapshot: TcpRttSnapshot, options?: TcpRttPrometheusOptions): string {
  const resolved = resolve(options, 'address');
  return render(resolved, snapshot.histograms.flatMap((histogram) => samples(snapshot, histogram, resolved)));
}

/**
 * A histogram metric over a running tcpRtt()'s totals, for a prom-client Registry
 * (`registry.registerMetric(tcpRttMetric(rtt))`) or for serving text() directly. Per-address
 * histograms are labelled local_address or remote_address (and *_family).
 */
export function tcpRttMetric(source: TcpRtt, options?: TcpRttPrometheusOptions): TcpRttMetric {
  const resolved = resolve(options, source.perAddress === 'remote' ? 'remote_address' : 'local_address');
  let baseline = new Map<string, TcpRttHistogram>();
  const keyOf = (histogram: TcpRttHistogram) => (histogram.key ? `${histogram.key.family}/${histogram.key.address}` : '');

  const current = (): PrometheusSample[] => {
    const totals = source.totals();
    return totals.histograms.flatMap((histogram) => {
      const base = baseline.get(keyOf(histogram));
      const since = base ? {
        ...histogram,
        count: histogram.count - base.count,
        sum: histogram.sum - base.sum,
        buckets: histogram.buckets.map((bucket, i) => ({ ...bucket, count: bucket.count - base.buckets[i]!.count })),
      } : histogram;
      return samples(totals, since, resolved);
    });
  };

  return {
    name: resolved.name,
    help: resolved.help,
    type: 'histogram',
    aggregator: 'sum',
    get: async () => ({ name: resolved.name, help: resolved.help, type: 'histogram', aggregator: 'sum', values: current() }),
    reset: () => {
      baseline = new Map(source.totals().histograms.map((histogram) => [keyOf(histogram), histogram]));
    },
    text: () => render(resolved, current()),
  };
}
