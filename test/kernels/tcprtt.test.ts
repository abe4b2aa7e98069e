import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tcpRtt, type TcpRtt, type TcpRttHistogram, type TcpRttMode, type TcpRttSnapshot } from '../../lib/index.js';
import { kernelSupport, type KernelFeature } from '../support/kernel.js';
import { runChild, type ChildResult } from '../support/child.js';
import { listOpenFds } from '../support/fds.js';
import { inGuest } from '../support/guest.js';
import { itUnless } from '../support/skip.js';

// Real TCP traffic in a private network namespace (this machine's own `lo` has no address), run by
// a child process: the vitest worker stays in the host namespace, and BPF sees every namespace.
// Each test uses its own ports and loopback addresses, and asserts on histograms filtered to them.

const k = await kernelSupport();

const needs: Record<TcpRttMode, KernelFeature[]> = {
  fentry: ['fentry'],
  kprobe: ['kprobe'],
  tp_btf: ['tp_btf'],
  raw_tp: ['raw_tp'],
  tracepoint: ['tracepoint'],
};

interface Connection {
  /** where the server listens; the client connects to `via` when given (a TUN delay line). */
  server: { host: string; port: number; via?: string };
  client?: { host?: string; port?: number };
  /** request/response round trips; the next request leaves as soon as the response arrives. */
  requests?: number;
  /** instead of a number of requests: keep going this long, pausing pauseMs between them. */
  durationMs?: number;
  pauseMs?: number;
}

// Runs each connection to completion (the client ends it, both sides see 'close'), all at once.
const TRAFFIC = String.raw`
const net = require('net');
const connections = JSON.parse(process.argv[1]);
const run = (c) => new Promise((resolve, reject) => {
  const server = net.createServer((s) => s.on('data', (d) => s.write(d)).on('close', () => server.close(resolve)));
  server.on('error', reject);
  server.listen(c.server.port, c.server.host, () => {
    const client = net.connect({ host: c.server.via || c.server.host, port: c.server.port,
      localAddress: c.client && c.client.host, localPort: c.client && c.client.port });
    const until = c.durationMs ? Date.now() + c.durationMs : Infinity;
    let sent = 0;
    const send = () => { sent++; client.write('x'.repeat(32)); };
    client.on('error', reject).on('connect', send).on('data', () => {
      const more = c.durationMs ? Date.now() < until : sent < c.requests;
      if (!more) client.end();
      else if (c.pauseMs) setTimeout(send, c.pauseMs);
      else send();
    });
  });
});
Promise.all(connections.map(run)).then(() => console.log('done'), (e) => { console.error(e); process.exit(1); });
`;

// A userspace "netem" for kernels without sch_netem: a TUN device whose packets come back after a
// fixed delay with source and destination swapped (IPv4 checksums do not change when two words of
// the summed header swap places). A client connecting to 10.99.0.2 thus reaches a server on
// 10.99.0.1, and every packet crosses the TUN once: one delay each way, like netem on lo.
const TUN_DELAY = String.raw`
import fcntl, heapq, os, select, struct, subprocess, sys, time
delay = float(sys.argv[1]) / 1000
tun = os.open('/dev/net/tun', os.O_RDWR)
fcntl.ioctl(tun, 0x400454ca, struct.pack('16sH22x', b'rtt0', 0x1001))  # TUNSETIFF, IFF_TUN | IFF_NO_PI
for cmd in (['ip', 'addr', 'add', '10.99.0.1/24', 'dev', 'rtt0'], ['ip', 'link', 'set', 'rtt0', 'up']):
    subprocess.run(cmd, check=True)
child = subprocess.Popen(sys.argv[2:])
queue, seq = [], 0
while child.poll() is None:
    wait = min(0.05, max(0.0, queue[0][0] - time.monotonic())) if queue else 0.05
    if select.select([tun], [], [], wait)[0]:
        packet = os.read(tun, 65536)
        if packet[0] >> 4 == 4:
            heapq.heappush(queue, (time.monotonic() + delay, seq, packet[:12] + packet[16:20] + packet[12:16] + packet[20:]))
            seq += 1
    now = time.monotonic()
    while queue and queue[0][0] <= now:
        os.write(tun, heapq.heappop(queue)[2])
sys.exit(child.returncode)
`;

type Wrapper = { kind: 'plain' } | { kind: 'netem'; delayMs: number } | { kind: 'tun'; delayMs: number };

async function traffic(connections: Connection[], wrapper: Wrapper = { kind: 'plain' }): Promise<ChildResult> {
  const node = [process.execPath, '-e', TRAFFIC, JSON.stringify(connections)];
  const setup = wrapper.kind === 'netem' ? `ip link set lo up && tc qdisc add dev lo root netem delay ${wrapper.delayMs}ms`
    : 'ip link set lo up';
  const command = wrapper.kind === 'tun' ? ['/usr/bin/python3', '-c', TUN_DELAY, String(wrapper.delayMs), ...node] : node;
  const child = await runChild('unshare', ['--net', 'sh', '-c', `${setup} && exec "$0" "$@"`, ...command]);
  const result = await child.exited;
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toContain('done');
  return result;
}

function only(snapshot: TcpRttSnapshot): TcpRttHistogram {
  expect(snapshot.histograms.length).toBeLessThanOrEqual(1);
  return snapshot.histograms[0] ?? { count: 0, sum: 0, avg: 0, buckets: [] };
}

function byAddress(snapshot: TcpRttSnapshot): Map<string, TcpRttHistogram> {
  return new Map(snapshot.histograms.map((h) => [`${h.key!.family} ${h.key!.address}`, h]));
}

/** The histogram's own numbers agree: count = Σ buckets, Σ low·n <= sum <= Σ high·n. */
function expectConsistent(histogram: TcpRttHistogram): void {
  expect(histogram.buckets).toHaveLength(27);
  expect(histogram.buckets.reduce((n, b) => n + b.count, 0)).toBe(histogram.count);
  expect(histogram.sum).toBeGreaterThanOrEqual(histogram.buckets.reduce((n, b) => n + b.low * b.count, 0));
  expect(histogram.sum).toBeLessThanOrEqual(histogram.buckets.reduce((n, b) => n + b.high * b.count, 0));
  expect(histogram.avg).toBeCloseTo(histogram.count ? histogram.sum / histogram.count : 0, 9);
}

/** Attaches every monitor before any traffic starts. */
async function attached<T extends Record<string, TcpRtt>>(monitors: T): Promise<T> {
  await Promise.all(Object.values(monitors).map((m) => m.ready));
  return monitors;
}

async function closeAll(monitors: Record<string, TcpRtt>): Promise<void> {
  await Promise.all(Object.values(monitors).map((m) => m.close()));
}

const bpfFds = () => listOpenFds().filter((fd) => /bpf/.test(fd.target)).length;

const N = 40;

for (const mode of ['fentry', 'kprobe', 'tp_btf', 'raw_tp', 'tracepoint'] as const) {
  describe(`tcpRtt({ attach: '${mode}' })`, () => {
    k.itRequires(needs[mode], 'counts the samples of the test\'s own connection, on both ends', async () => {
      const m = await attached({
        server: tcpRtt({ attach: mode, localPort: 7101, interval: 60_000 }),
        client: tcpRtt({ attach: mode, remotePort: 7101, interval: 60_000 }),
      });
      expect(m.server.mode).toBe(mode);
      expect((await m.client.ready).mode).toBe(mode);
      await traffic([{ server: { host: '127.0.0.1', port: 7101 }, requests: N }]);
      for (const side of [m.server, m.client]) {
        const histogram = only(side.totals());
        // one sample per segment received: every request (server) or response (client), plus a
        // few pure ACKs and the FIN
        expect(histogram.count).toBeGreaterThanOrEqual(N);
        expect(histogram.count).toBeLessThanOrEqual(2 * N + 6);
        expect(histogram.key).toBeUndefined();
        expectConsistent(histogram);
      }
      await closeAll(m);
    });
  });
}

describe('filters and per-address histograms (applied in the kernel)', () => {
  it('port and address filters include and exclude exactly the right samples; per-address keys are right', async () => {
    // A: 127.0.0.3:7202 -> 127.0.0.2:7201, B: 127.0.0.5:7204 -> 127.0.0.4:7203 (all of 127/8 is lo's)
    const m = await attached({
      byLocal: tcpRtt({ perAddress: 'local', family: 'ipv4', interval: 60_000 }),
      byRemote: tcpRtt({ perAddress: 'remote', family: 'ipv4', interval: 60_000 }),
      portA: tcpRtt({ localPort: 7201, interval: 60_000 }),
      portB: tcpRtt({ localPort: 7203, interval: 60_000 }),
      remotePortA: tcpRtt({ remotePort: 7201, interval: 60_000 }),
      bothPorts: tcpRtt({ localPort: 7202, remotePort: 7201, interval: 60_000 }),
      crossedPorts: tcpRtt({ localPort: 7201, remotePort: 7204, interval: 60_000 }),
      unusedPort: tcpRtt({ localPort: 7299, interval: 60_000 }),
      localB: tcpRtt({ localAddress: '127.0.0.4', interval: 60_000 }),
      remoteA: tcpRtt({ remoteAddress: '127.0.0.2', interval: 60_000 }),
      bothAddresses: tcpRtt({ localAddress: '127.0.0.5', remoteAddress: '127.0.0.4', interval: 60_000 }),
      ipv6Only: tcpRtt({ family: 'ipv6', localPort: 7201, interval: 60_000 }),
    });
    await traffic([
      { server: { host: '127.0.0.2', port: 7201 }, client: { host: '127.0.0.3', port: 7202 }, requests: N },
      { server: { host: '127.0.0.4', port: 7203 }, client: { host: '127.0.0.5', port: 7204 }, requests: 3 * N },
    ]);
    const local = byAddress(m.byLocal.totals());
    const remote = byAddress(m.byRemote.totals());
    const ends = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'].map((a) => local.get(`ipv4 ${a}`));
    for (const end of ends) {
      expect(end?.key?.family).toBe('ipv4');
      expectConsistent(end!);
    }
    const [serverA, clientA, serverB, clientB] = ends as TcpRttHistogram[];
    expect(serverA!.count).toBeGreaterThanOrEqual(N);
    expect(serverB!.count).toBeGreaterThanOrEqual(3 * N);
    expect(serverA!.count).toBeLessThan(serverB!.count);
    // each socket's remote end is the other socket's local end
    const plain = (h: TcpRttHistogram | undefined) => ({ count: h?.count, sum: h?.sum, buckets: h?.buckets });
    expect(plain(remote.get('ipv4 127.0.0.3'))).toEqual(plain(serverA));
    expect(plain(remote.get('ipv4 127.0.0.2'))).toEqual(plain(clientA));
    expect(plain(remote.get('ipv4 127.0.0.5'))).toEqual(plain(serverB));
    expect(plain(remote.get('ipv4 127.0.0.4'))).toEqual(plain(clientB));
    expect(plain(only(m.portA.totals()))).toEqual(plain(serverA!));
    expect(plain(only(m.portB.totals()))).toEqual(plain(serverB!));
    expect(plain(only(m.remotePortA.totals()))).toEqual(plain(clientA!));
    expect(plain(only(m.bothPorts.totals()))).toEqual(plain(clientA!));
    expect(plain(only(m.localB.totals()))).toEqual(plain(serverB!));
    expect(plain(only(m.remoteA.totals()))).toEqual(plain(clientA!));
    expect(plain(only(m.bothAddresses.totals()))).toEqual(plain(clientB!));
    expect(m.crossedPorts.totals().histograms).toEqual([]);
    expect(m.unusedPort.totals().histograms).toEqual([]);
    expect(m.ipv6Only.totals().histograms).toEqual([]);
    await closeAll(m);
  });

  it('IPv6: ::1 keys and filters, and the IPv4 family filter leaves them out', async () => {
    const m = await attached({
      byLocal: tcpRtt({ perAddress: 'local', family: 'ipv6', interval: 60_000 }),
      server: tcpRtt({ localAddress: '::1', localPort: 7301, interval: 60_000 }),
      client: tcpRtt({ localAddress: '0:0:0:0:0:0:0:1', remoteAddress: '::1', remotePort: 7301, interval: 60_000 }),
      ipv4: tcpRtt({ family: 'ipv4', localPort: 7301, interval: 60_000 }),
      wrongRemote: tcpRtt({ remoteAddress: '::2', interval: 60_000 }),
    });
    await traffic([{ server: { host: '::1', port: 7301 }, client: { host: '::1', port: 7302 }, requests: N }]);
    const server = only(m.server.totals());
    const client = only(m.client.totals());
    expect(server.count).toBeGreaterThanOrEqual(N);
    expect(client.count).toBeGreaterThanOrEqual(N);
    const loopback = byAddress(m.byLocal.totals()).get('ipv6 ::1');
    expect(loopback?.key).toEqual({ family: 'ipv6', address: '::1' });
    expect(loopback!.count).toBe(server.count + client.count);
    expect(loopback!.sum).toBe(server.sum + client.sum);
    expectConsistent(loopback!);
    expect(m.ipv4.totals().histograms).toEqual([]);
    expect(m.wrongRemote.totals().histograms).toEqual([]);
    await closeAll(m);
  });

  it('milliseconds and microseconds describe the same samples', async () => {
    const m = await attached({
      us: tcpRtt({ localPort: 7401, unit: 'us', interval: 60_000 }),
      ms: tcpRtt({ localPort: 7401, unit: 'ms', interval: 60_000 }),
    });
    // pauses make the server's round trips last milliseconds (its responses are acknowledged by
    // the next request)
    await traffic([{ server: { host: '127.0.0.1', port: 7401 }, requests: N, pauseMs: 3 }]);
    const us = m.us.totals();
    const ms = m.ms.totals();
    expect([us.unit, ms.unit]).toEqual(['us', 'ms']);
    const [inUs, inMs] = [only(us), only(ms)];
    expectConsistent(inUs);
    expectConsistent(inMs);
    expect(inMs.count).toBe(inUs.count);
    // ms samples are the us samples divided by 1000, rounded down
    expect(inMs.sum * 1000).toBeLessThanOrEqual(inUs.sum);
    expect(inUs.sum).toBeLessThan((inMs.sum + inMs.count) * 1000);
    expect(inUs.avg).toBeGreaterThan(1000);
    await closeAll(m);
  });
});

describe('snapshots', () => {
  it('lose no sample across interval boundaries: the snapshots add up to the kernel\'s totals', async () => {
    const interval = 200;
    const rtt = tcpRtt({ localPort: 7501, interval });
    await rtt.ready;
    let exited = false;
    const running = traffic([{ server: { host: '127.0.0.1', port: 7501 }, durationMs: 2000, pauseMs: 2 }])
      .finally(() => (exited = true));
    const snapshots: TcpRttSnapshot[] = [];
    let totals: TcpRttHistogram | undefined;
    let afterExit = 0;
    for await (const snapshot of rtt) {
      snapshots.push(snapshot);
      expect(snapshot.intervalMs).toBeGreaterThan(0);
      // two more snapshots once the traffic is over, so the last samples are surely in one
      if (exited && ++afterExit === 2) {
        totals = only(rtt.totals());
        break;
      }
    }
    await running;
    // break closed it
    expect(() => rtt.totals()).toThrow(/not attached/);
    const histograms = snapshots.map(only);
    // (a sample counted at the instant of a read may have its bucket in one snapshot and its sum
    // in the next, so only the totals bound the sums)
    for (const h of histograms) expect(h.buckets.reduce((n, b) => n + b.count, 0)).toBe(h.count);
    expectConsistent(totals!);
    // the traffic ran across several intervals
    expect(histograms.filter((h) => h.count > 0).length).toBeGreaterThanOrEqual(3);
    expect(histograms.reduce((n, h) => n + h.count, 0)).toBe(totals!.count);
    expect(histograms.reduce((n, h) => n + h.sum, 0)).toBe(totals!.sum);
    totals!.buckets.forEach((bucket, i) => {
      expect(histograms.reduce((n, h) => n + (h.buckets[i]?.count ?? 0), 0)).toBe(bucket.count);
    });
  });
});

describe('lifetime', () => {
  it('break, close() and an abort each free every kernel object; an abort keeps the partial interval', async () => {
    const before = bpfFds();
    const broken = tcpRtt({ interval: 20 });
    await broken.ready;
    expect(bpfFds()).toBeGreaterThan(before);
    for await (const snapshot of broken) {
      expect(snapshot.unit).toBe('us');
      break;
    }
    expect(bpfFds()).toBe(before);

    const closed = tcpRtt({ interval: 60_000 });
    await closed.ready;
    const pending = closed.next();
    await closed.close();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(bpfFds()).toBe(before);

    const controller = new AbortController();
    const aborted = tcpRtt({ interval: 60_000, localPort: 7601, signal: controller.signal });
    await aborted.ready;
    const waiting = aborted.next();
    await traffic([{ server: { host: '127.0.0.1', port: 7601 }, requests: 5 }]);
    controller.abort();
    const last = await waiting;
    expect(last.done).toBe(false);
    expect(only(last.value as TcpRttSnapshot).count).toBeGreaterThanOrEqual(5);
    expect(await aborted.next()).toEqual({ done: true, value: undefined });
    await aborted.close();
    expect(bpfFds()).toBe(before);
  });

  it('ends after `duration`, with a last snapshot covering the remainder', async () => {
    const rtt = tcpRtt({ interval: 150, duration: 400 });
    await rtt.ready;
    const snapshots: TcpRttSnapshot[] = [];
    for await (const snapshot of rtt) snapshots.push(snapshot);
    // 150, 300, 400 ms; a late consumer (a slow guest) gets one snapshot for the slots it missed
    expect(snapshots.length).toBeGreaterThanOrEqual(inGuest() ? 1 : 3);
    expect(snapshots.length).toBeLessThanOrEqual(3);
    expect(snapshots.reduce((ms, s) => ms + s.intervalMs, 0)).toBeGreaterThanOrEqual(400);
    expect(() => rtt.totals()).toThrow(/not attached/);
  });

  it('an already aborted signal never opens anything', async () => {
    const before = bpfFds();
    const rtt = tcpRtt({ signal: AbortSignal.abort() });
    await expect(rtt.ready).rejects.toThrow();
    expect(await rtt.next()).toEqual({ done: true, value: undefined });
    expect(bpfFds()).toBe(before);
  });
});

describe('attach mode selection', () => {
  const order = ['fentry', 'kprobe', 'tp_btf', 'raw_tp', 'tracepoint'] as const;

  it('auto takes the best mode the kernel allows (fentry in the guests, tp_btf here) and says why better ones were not used', async () => {
    const rtt = tcpRtt({ localPort: 7699 });
    const info = await rtt.ready;
    const expected = order.find((mode) => !k.missing(needs[mode]))!;
    expect(info.mode).toBe(expected);
    expect(info.mode).toBe(inGuest() ? 'fentry' : 'tp_btf');
    expect(info.rejected.map((r) => r.mode)).toEqual(order.slice(0, order.indexOf(expected)));
    for (const rejection of info.rejected) expect(rejection.reason).toMatch(/EPERM|ENOENT|CONFIG_KPROBES|BTF/);
    await rtt.close();
  });

  const unavailable = order.find((mode) => k.missing(needs[mode]));
  itUnless(unavailable ? '' : 'every attach mode works on this kernel',
    'an unavailable explicit mode is a typed error naming the reason, and leaves nothing open', async () => {
      const before = bpfFds();
      const rtt = tcpRtt({ attach: unavailable! });
      const error = await rtt.ready.then(() => undefined, (e: unknown) => e);
      expect(error).toMatchObject({ name: 'BpfError', mode: unavailable });
      expect((error as Error).message).toMatch(/tcpRtt: attach mode '\w+' is unavailable on this kernel: .*(EPERM|CONFIG_KPROBES|ENOENT)/);
      await expect(rtt.next()).rejects.toBe(error);
      expect(await rtt.next()).toEqual({ done: true, value: undefined });
      expect(bpfFds()).toBe(before);
    });
});

describe('options are checked before any kernel object exists', () => {
  const cases: [string, unknown, typeof TypeError | typeof RangeError, string][] = [
    ['bad IPv4', { localAddress: '1.2.3' }, RangeError, 'localAddress'],
    ['inet_aton shorthand', { remoteAddress: '127.1' }, RangeError, 'remoteAddress'],
    ['IPv6 zone id', { localAddress: 'fe80::1%lo' }, RangeError, 'localAddress'],
    ['unspecified address', { remoteAddress: '0.0.0.0' }, RangeError, 'remoteAddress'],
    ['address not a string', { localAddress: 0x7f000001 }, TypeError, 'localAddress'],
    ['mixed families', { localAddress: '127.0.0.1', remoteAddress: '::1' }, RangeError, 'remoteAddress'],
    ['address against family', { family: 'ipv4', localAddress: '::1' }, RangeError, 'localAddress'],
    ['port too big', { localPort: 65536 }, RangeError, 'localPort'],
    ['negative port', { remotePort: -1 }, RangeError, 'remotePort'],
    ['fractional port', { remotePort: 80.5 }, RangeError, 'remotePort'],
    ['port as string', { localPort: '80' }, TypeError, 'localPort'],
    ['zero interval', { interval: 0 }, RangeError, 'interval'],
    ['infinite interval', { interval: Infinity }, RangeError, 'interval'],
    ['NaN interval', { interval: NaN }, TypeError, 'interval'],
    ['fractional interval', { interval: 1.5 }, RangeError, 'interval'],
    ['interval beyond timers', { interval: 2 ** 31 }, RangeError, 'interval'],
    ['zero duration', { duration: 0 }, RangeError, 'duration'],
    ['unknown family', { family: 'inet' }, RangeError, 'family'],
    ['unknown perAddress', { perAddress: 'both' }, RangeError, 'perAddress'],
    ['unknown unit', { unit: 's' }, RangeError, 'unit'],
    ['unknown mode', { attach: 'uprobe' }, RangeError, 'attach'],
    ['unknown option', { lport: 80 }, TypeError, 'options.lport'],
    ['signal not a signal', { signal: {} }, TypeError, 'signal'],
  ];
  for (const [title, options, kind, option] of cases) {
    it(`${title}: ${kind.name} naming ${option}`, () => {
      const before = bpfFds();
      let thrown: unknown;
      try {
        tcpRtt(options as never);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(kind);
      expect(thrown).toMatchObject({ code: 'BPFKIT_INVALID_OPTION', option });
      expect(bpfFds()).toBe(before);
    });
  }

  it('accepts IPv4, IPv6 and IPv4-mapped addresses', () => {
    for (const options of [{ localAddress: '10.1.2.3' }, { remoteAddress: '2001:db8::1' }, { localAddress: '::ffff:127.0.0.1' }]) {
      expect(() => tcpRtt({ ...options, signal: AbortSignal.abort() })).not.toThrow();
    }
  });
});

/** '' when `sh -c script` succeeds in a private network namespace, else why it did not. */
function failsInNetns(script: string): string {
  const result = spawnSync('unshare', ['--net', 'sh', '-c', script], { encoding: 'utf8' });
  return result.status === 0 ? '' : (result.stderr || result.error?.message || `exit ${result.status}`).trim();
}

/** modprobe, or busybox's where kmod is not installed (the guests see this machine's userland). */
function loadModule(name: string): void {
  if (spawnSync('modprobe', [name]).error) spawnSync('busybox', ['modprobe', name]);
}

function netemMissing(): string {
  loadModule('sch_netem');
  const why = failsInNetns('ip link set lo up && tc qdisc add dev lo root netem delay 1ms');
  return why && `sch_netem is not available on this kernel (tc: ${why})`;
}

function tunMissing(): string {
  loadModule('tun');
  if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun';
  if (!existsSync('/usr/bin/python3')) return 'no /usr/bin/python3 to run the TUN delay line';
  const why = failsInNetns('ip tuntap add dev probe0 mode tun');
  return why && `cannot create a TUN device: ${why}`;
}

describe('injected delay moves the samples to the right bucket', () => {
  const DELAY_MS = 20;
  /** Each packet waits DELAY_MS once, so every round trip takes 2 × DELAY_MS = 40 ms: log2 bucket [32768, 65535] us. */
  async function expectRoundTripsOf40ms(wrapper: Wrapper, host: { server: string; connect: string }): Promise<void> {
    const m = await attached({
      us: tcpRtt({ localPort: 7701, interval: 60_000 }),
      ms: tcpRtt({ localPort: 7701, unit: 'ms', interval: 60_000 }),
    });
    await traffic([{ server: { host: host.server, port: 7701, via: host.connect }, requests: 25 }], wrapper);
    const us = only(m.us.totals());
    const ms = only(m.ms.totals());
    expectConsistent(us);
    expectConsistent(ms);
    expect(us.count).toBeGreaterThanOrEqual(25);
    const inBucket = us.buckets.find((b) => b.low === 32768)!;
    expect(inBucket.high).toBe(65535);
    expect(inBucket.count / us.count).toBeGreaterThanOrEqual(0.9);
    expect(us.avg).toBeGreaterThanOrEqual(2 * DELAY_MS * 1000 * 0.95);
    expect(us.avg).toBeLessThan(2 * DELAY_MS * 1000 * 1.5);
    expect(ms.buckets.find((b) => b.low === 32)!.count / ms.count).toBeGreaterThanOrEqual(0.9);
    await closeAll(m);
  }

  // Inside the guests: the kernel's own delay line on loopback.
  itUnless(netemMissing(), `netem on lo (${DELAY_MS} ms each way)`, async () => {
    await expectRoundTripsOf40ms({ kind: 'netem', delayMs: DELAY_MS }, { server: '127.0.0.1', connect: '127.0.0.1' });
  });

  // Everywhere a TUN device works (this machine has no sch_netem): TUN_DELAY above.
  itUnless(tunMissing(), `a TUN delay line (${DELAY_MS} ms each way), where netem is missing`, async () => {
    await expectRoundTripsOf40ms({ kind: 'tun', delayMs: DELAY_MS }, { server: '10.99.0.1', connect: '10.99.0.2' });
  });
});
