import { describe, expect, it } from 'vitest';
import { formatLog2Histogram, log2Buckets } from '../lib/tools/histogram.js';
import { formatIpAddress, parseIpAddress } from '../lib/tools/ip-address.js';
import { formatTcpRttPrometheus, tcpRttMetric } from '../lib/tools/tcprtt-prometheus.js';
import type { TcpRtt, TcpRttSnapshot } from '../lib/tools/tcprtt.js';

function slots(counts: Record<number, number>, length = 27): number[] {
  return Array.from({ length }, (_, i) => counts[i] ?? 0);
}

describe('log2Buckets', () => {
  it('slot i covers [2^i, 2^(i+1) - 1], slot 0 also 0', () => {
    const buckets = log2Buckets(slots({ 0: 1, 1: 2, 26: 3 }));
    expect(buckets).toHaveLength(27);
    expect(buckets.slice(0, 4)).toEqual([
      { low: 0, high: 1, count: 1 },
      { low: 2, high: 3, count: 2 },
      { low: 4, high: 7, count: 0 },
      { low: 8, high: 15, count: 0 },
    ]);
    expect(buckets[26]).toEqual({ low: 2 ** 26, high: 2 ** 27 - 1, count: 3 });
  });
});

describe('formatLog2Histogram', () => {
  it('draws the bcc bar chart up to the last non-empty bucket, the largest bar full', () => {
    const text = formatLog2Histogram(log2Buckets(slots({ 1: 1, 3: 40, 4: 10 })), 'usecs');
    expect(text).toBe([
      '     usecs               : count    distribution',
      '         0 -> 1          : 0        |                                        |',
      '         2 -> 3          : 1        |*                                       |',
      '         4 -> 7          : 0        |                                        |',
      '         8 -> 15         : 40       |****************************************|',
      '        16 -> 31         : 10       |**********                              |',
      '',
    ].join('\n'));
  });

  it('rounds bars down and keeps wide counts aligned', () => {
    const text = formatLog2Histogram(log2Buckets(slots({ 0: 3, 1: 2 })), 'msecs', { barWidth: 10 });
    expect(text.split('\n').slice(1, 3)).toEqual([
      '         0 -> 1          : 3        |**********|',
      '         2 -> 3          : 2        |******    |',
    ]);
    const big = formatLog2Histogram(log2Buckets(slots({ 0: 123_456_789 })), 'usecs');
    expect(big.split('\n')[1]).toBe('         0 -> 1          : 123456789 |****************************************|');
  });

  it('uses the wide layout when the values need more than 10 digits', () => {
    const buckets = log2Buckets(slots({ 40: 1 }, 41));
    const lines = formatLog2Histogram(buckets, 'nsecs').split('\n');
    expect(lines[0]).toBe(`${' '.repeat(15)}${'nsecs'.padEnd(29)} : count    distribution`);
    expect(lines[41]).toBe(`${String(2 ** 40).padStart(20)} -> ${String(2 ** 41 - 1).padEnd(20)} : 1        |${'*'.repeat(20)}|`);
  });

  it('prints nothing when every bucket is empty', () => {
    expect(formatLog2Histogram(log2Buckets(slots({})), 'usecs')).toBe('');
    expect(formatLog2Histogram([], 'usecs')).toBe('');
  });
});

describe('IP addresses', () => {
  it('parses dotted quads and IPv6 into network byte order', () => {
    expect(parseIpAddress('127.0.0.1', 'a')).toEqual({ family: 'ipv4', bytes: Uint8Array.from([127, 0, 0, 1]) });
    expect(Array.from(parseIpAddress('::1', 'a').bytes)).toEqual([...new Array(15).fill(0), 1]);
    expect(Array.from(parseIpAddress('2001:db8::8:800:200c:417a', 'a').bytes)).toEqual(
      [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0x08, 0x08, 0, 0x20, 0x0c, 0x41, 0x7a]);
    expect(Array.from(parseIpAddress('::ffff:10.1.2.3', 'a').bytes)).toEqual([...new Array(10).fill(0), 0xff, 0xff, 10, 1, 2, 3]);
    expect(Array.from(parseIpAddress('fe80::', 'a').bytes)).toEqual([0xfe, 0x80, ...new Array(14).fill(0)]);
  });

  it('rejects what is not an address, naming the option', () => {
    for (const bad of ['1.2.3', '127.1', '256.0.0.1', '1.2.3.4 ', '::1::', 'fe80::1%eth0', 'localhost', '']) {
      expect(() => parseIpAddress(bad, 'localAddress')).toThrow(RangeError);
      expect(() => parseIpAddress(bad, 'localAddress')).toThrow(/^localAddress: /);
    }
    expect(() => parseIpAddress(1, 'remoteAddress')).toThrow(TypeError);
  });

  it('formats addresses the usual way (RFC 5952 for IPv6)', () => {
    const round = (text: string) => {
      const { family, bytes } = parseIpAddress(text, 'a');
      return formatIpAddress(family, bytes);
    };
    expect(round('10.0.0.255')).toBe('10.0.0.255');
    expect(round('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(round('2001:DB8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(round('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(round('fe80:0:0:0:0:0:0:0')).toBe('fe80::');
    expect(round('::ffff:127.0.0.1')).toBe('::ffff:127.0.0.1');
    expect(round('::')).toBe('::');
  });
});

const snapshot: TcpRttSnapshot = {
  timestamp: 0,
  intervalMs: 1000,
  unit: 'us',
  histograms: [
    { key: { family: 'ipv4', address: '127.0.0.1' }, count: 3, sum: 2100, avg: 700, buckets: log2Buckets(slots({ 2: 1, 10: 2 })) },
    { key: { family: 'ipv6', address: '::1' }, count: 1, sum: 2 ** 27, avg: 2 ** 27, buckets: log2Buckets(slots({ 26: 1 })) },
  ],
};

describe('Prometheus exposition', () => {
  it('writes cumulative le buckets in seconds, +Inf, _sum in seconds and _count', () => {
    const text = formatTcpRttPrometheus(snapshot, { labels: { host: 'a"b' } });
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('# HELP tcp_rtt_seconds TCP smoothed round-trip time (srtt) per received segment, from the kernel');
    expect(lines[1]).toBe('# TYPE tcp_rtt_seconds histogram');
    const v4 = 'host="a\\"b",address="127.0.0.1",address_family="ipv4"';
    expect(lines[2]).toBe(`tcp_rtt_seconds_bucket{${v4},le="0.000002"} 0`);
    expect(lines).toContain(`tcp_rtt_seconds_bucket{${v4},le="0.000008"} 1`);
    expect(lines).toContain(`tcp_rtt_seconds_bucket{${v4},le="0.001024"} 1`);
    expect(lines).toContain(`tcp_rtt_seconds_bucket{${v4},le="0.002048"} 3`);
    expect(lines).toContain(`tcp_rtt_seconds_bucket{${v4},le="67.108864"} 3`);
    expect(lines).toContain(`tcp_rtt_seconds_bucket{${v4},le="+Inf"} 3`);
    expect(lines).toContain(`tcp_rtt_seconds_sum{${v4}} 0.0021`);
    expect(lines).toContain(`tcp_rtt_seconds_count{${v4}} 3`);
    // 26 finite bounds (the last slot is open-ended) + Inf + sum + count per histogram
    expect(lines).toHaveLength(2 + 2 * 29);
    const v6 = 'host="a\\"b",address="::1",address_family="ipv6"';
    // a sample in the overflow slot is only below +Inf
    expect(lines).toContain(`tcp_rtt_seconds_bucket{${v6},le="67.108864"} 0`);
    expect(lines).toContain(`tcp_rtt_seconds_bucket{${v6},le="+Inf"} 1`);
  });

  it('uses milliseconds snapshots correctly and rejects bad names', () => {
    const ms: TcpRttSnapshot = { ...snapshot, unit: 'ms', histograms: [{ count: 1, sum: 40, avg: 40, buckets: log2Buckets(slots({ 5: 1 })) }] };
    const text = formatTcpRttPrometheus(ms, { name: 'rtt' });
    expect(text).toContain('rtt_bucket{le="0.032"} 0\n');
    expect(text).toContain('rtt_bucket{le="0.064"} 1\n');
    expect(text).toContain('rtt_sum 0.04\n');
    expect(() => formatTcpRttPrometheus(ms, { name: 'bad name' })).toThrow(RangeError);
    expect(() => formatTcpRttPrometheus(ms, { labels: { le: 'x' } })).toThrow(/labels.le/);
  });

  it('tcpRttMetric has the shape prom-client registries call, labelled by which address, and reset() rebases', async () => {
    let current = snapshot;
    const source = { perAddress: 'remote', totals: () => current } as unknown as TcpRtt;
    const metric = tcpRttMetric(source);
    expect(metric).toMatchObject({ name: 'tcp_rtt_seconds', type: 'histogram', aggregator: 'sum' });
    const got = await metric.get();
    expect(got.name).toBe('tcp_rtt_seconds');
    expect(got.values).toContainEqual({
      metricName: 'tcp_rtt_seconds_count', labels: { remote_address: '127.0.0.1', remote_address_family: 'ipv4' }, value: 3,
    });
    expect(metric.text()).toBe(formatTcpRttPrometheus(snapshot, { addressLabel: 'remote_address' }));
    metric.reset();
    const first = snapshot.histograms[0]!;
    current = { ...snapshot, histograms: [{ ...first, count: 5, sum: 2500, buckets: log2Buckets(slots({ 2: 1, 10: 4 })) }] };
    const after = (await metric.get()).values.filter((v) => v.labels.remote_address === '127.0.0.1');
    expect(after.find((v) => v.metricName.endsWith('_count'))!.value).toBe(2);
    expect(after.find((v) => v.metricName.endsWith('_sum'))!.value).toBeCloseTo(0.0004, 12);
    expect(after.find((v) => v.labels.le === '0.000008')!.value).toBe(0);
  });
});
