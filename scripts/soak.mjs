#!/usr/bin/env node
// Soak test: continuous events through every tool this kernel can run, each stream closed and
// reopened every cycle, for 30 minutes by default. At every cycle boundary (all streams closed) it
// samples the fd count, RSS and the BPF objects this process holds, and checks that the kernel
// no longer lists any object of the cycle before. Where the number of events produced is known
// (fileDeletes: this process's own unlinks) it checks received + dropped === produced exactly,
// on a roomy ring and on a tiny one with a slow consumer, where `dropped` is the only loss.
//
// Usage: node scripts/soak.mjs [--seconds 1800] [--cycle-seconds 10] [--json FILE]
// Uses the built dist/ and build/Release; needs root, iproute2 and util-linux (unshare).
import { spawn, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import * as bpfkit from '../dist/lib/index.js';

const args = parseArgs(process.argv.slice(2));
const report = bpfkit.probe ? await bpfkit.probe() : undefined;
const skipped = [];
const failures = [];
const prefix = `/tmp/bpfkit-soak-${process.pid}`;

function parseArgs(argv) {
  const parsed = { seconds: 1800, cycleSeconds: 10, json: undefined };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=');
    const value = inline ?? argv[++i];
    if (flag === '--seconds') parsed.seconds = Number(value);
    else if (flag === '--cycle-seconds') parsed.cycleSeconds = Number(value);
    else if (flag === '--json') parsed.json = value;
    else {
      console.error(`soak: unknown argument ${argv[i]}\nusage: node scripts/soak.mjs [--seconds N] [--cycle-seconds N] [--json FILE]`);
      process.exit(2);
    }
  }
  if (!(parsed.seconds > 0) || !(parsed.cycleSeconds > 0)) throw new Error('soak: --seconds and --cycle-seconds must be positive');
  return parsed;
}

const bpfKinds = { 'anon_inode:bpf-prog': ['progs', 'prog_id'], 'anon_inode:bpf-map': ['maps', 'map_id'], 'anon_inode:bpf_link': ['links', 'link_id'] };

/** fd count and the ids of the BPF objects this process holds fds to. */
function ownFds() {
  const held = { progs: [], maps: [], links: [] };
  let fds = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      fds++;
      const kind = bpfKinds[target];
      const id = kind && new RegExp(`^${kind[1]}:\\s*(\\d+)`, 'm').exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
      if (id) held[kind[0]].push(Number(id));
    } catch {
      // the readdir handle itself, closed by now
    }
  }
  return { fds, held };
}

function kernelIds() {
  const ids = new Set();
  for (const kind of ['prog', 'map', 'link']) {
    for (const object of JSON.parse(execFileSync('bpftool', ['--json', kind, 'show'], { maxBuffer: 64 << 20 }).toString() || '[]')) {
      ids.add(`${kind}s:${object.id}`);
    }
  }
  return ids;
}

/** Ids of `held` the kernel still lists after up to 5 s (it frees them after an RCU grace period). */
async function lingering(held) {
  const wanted = Object.entries(held).flatMap(([kind, ids]) => ids.map((id) => `${kind}:${id}`));
  for (let deadline = Date.now() + 5000; ;) {
    const alive = kernelIds();
    const left = wanted.filter((id) => alive.has(id));
    if (left.length === 0 || Date.now() > deadline) return left;
    await sleep(100);
  }
}

function deleteMissing(path, count) {
  for (let i = 0; i < count; i++) {
    try {
      unlinkSync(path);
    } catch {
      // ENOENT: the attempt is the event
    }
  }
}

const available = (feature) => report.modes[feature]?.available || report.buffers[feature]?.available;
const unavailableReason = (feature) => (report.modes[feature] ?? report.buffers[feature])?.reason ?? 'unavailable';

/** One tool's share of a cycle: open, run until `stop`, drain, close, and check its counts. */
const tools = [];

if (available('tracepoint') && available('ringbuf')) {
  // a roomy ring read as fast as events come: nothing should be dropped, everything counted
  tools.push({ name: 'fileDeletes', run: (stop, totals) => deletesCycle({ stop, totals, lossy: false }) });
  // a 4 KiB ring (13 records) with a consumer that sleeps after every batch: drops must happen,
  // and every one of them must be counted
  tools.push({ name: 'fileDeletes (tiny ring, slow consumer)', run: (stop, totals) => deletesCycle({ stop, totals, lossy: true }) });
  tools.push({ name: 'netlinkErrors', run: (stop, totals) => netlinkCycle(stop, totals) });
  tools.push({ name: 'tcpRtt', run: (stop, totals) => tcpRttCycle(stop, totals) });
} else {
  skipped.push(`fileDeletes, netlinkErrors, tcpRtt: ${unavailableReason('tracepoint')}`);
}
for (const [tool, features] of [['traceFunction', ['fentry', 'kprobe']], ['traceProgram', ['fentry']]]) {
  if (!features.some(available)) skipped.push(`${tool}: needs ${features.join(' or ')}: ${features.map((f) => `${f}: ${unavailableReason(f)}`).join('; ')}`);
}

async function deletesCycle({ stop, totals, lossy }) {
  const path = `${prefix}-${lossy ? 'lossy' : 'roomy'}`;
  const stream = bpfkit.fileDeletes({
    attach: 'tracepoint', prefix: path, ...(lossy ? { ringSize: 4096, highWaterMark: 64 } : { ringSize: 1 << 22 }),
  });
  await stream.ready;
  let produced = 0;
  let consumed = 0;
  const consumer = (async () => {
    for await (const batch of stream.batches()) {
      consumed += batch.length;
      if (lossy) await sleep(20);
    }
  })();
  while (!stop.stopped) {
    const burst = lossy ? 200 : 40;
    deleteMissing(path, burst);
    produced += burst;
    await sleep(10);
  }
  // the producer has stopped: wait until everything produced is either read or counted as dropped
  for (let deadline = Date.now() + 10_000; Date.now() < deadline;) {
    const { received, dropped } = stream.stats;
    if (received + dropped >= produced && consumed >= received) break;
    await sleep(20);
  }
  await stream.close();
  await consumer;
  const { received, dropped } = stream.stats;
  const key = lossy ? 'deletesLossy' : 'deletes';
  totals[key] ??= { produced: 0, received: 0, dropped: 0, consumed: 0, mismatches: 0 };
  Object.assign(totals[key], {
    produced: totals[key].produced + produced, received: totals[key].received + received,
    dropped: totals[key].dropped + dropped, consumed: totals[key].consumed + consumed,
  });
  if (received + dropped !== produced) {
    totals[key].mismatches++;
    failures.push(`${key}: received ${received} + dropped ${dropped} !== produced ${produced}`);
  }
  if (consumed !== received) failures.push(`${key}: consumed ${consumed} of ${received} received events`);
}

const EXTACK = { cmd: 'ip', args: ['link', 'add', 'bpfkit0', 'type', 'bogus'], message: 'Unknown device type' };

async function netlinkCycle(stop, totals) {
  const stream = bpfkit.netlinkErrors({ sources: ['tracepoint'] });
  await stream.ready;
  const triggered = new Set();
  const seen = new Set();
  const consumer = (async () => {
    for await (const event of stream) if (event.message === EXTACK.message) seen.add(event.pid);
  })();
  while (!stop.stopped) {
    const child = spawn('unshare', ['--net', EXTACK.cmd, ...EXTACK.args], { stdio: 'ignore' });
    triggered.add(child.pid);
    await new Promise((resolve) => child.once('close', resolve));
    await sleep(200);
  }
  for (let deadline = Date.now() + 5000; Date.now() < deadline && [...triggered].some((pid) => !seen.has(pid));) await sleep(20);
  const { dropped } = stream.stats;
  await stream.close();
  await consumer;
  const missed = [...triggered].filter((pid) => !seen.has(pid)).length;
  totals.netlink ??= { produced: 0, seen: 0, dropped: 0 };
  totals.netlink.produced += triggered.size;
  totals.netlink.seen += triggered.size - missed;
  totals.netlink.dropped += dropped;
  if (missed > dropped) failures.push(`netlinkErrors: ${missed} of ${triggered.size} errors neither seen nor counted as dropped`);
}

let traffic;
function startTraffic() {
  // TCP ping-pong over loopback in a private network namespace (the host's lo has no address)
  const code = `const net = require('node:net');
    const server = net.createServer((s) => s.on('data', (d) => s.write(d))).listen(0, '127.0.0.1', () => {
      const c = net.connect(server.address().port, '127.0.0.1');
      c.on('data', () => setTimeout(() => c.write('ping'), 5));
      c.write('ping');
    });`;
  traffic = spawn('unshare', ['--net', 'sh', '-c', 'ip link set lo up && exec "$0" -e "$1"', process.execPath, code], { stdio: 'ignore' });
}

async function tcpRttCycle(stop, totals) {
  const rtt = bpfkit.tcpRtt({ attach: 'tracepoint', interval: 1000 });
  await rtt.ready;
  let samples = 0;
  const consumer = (async () => {
    for await (const snapshot of rtt) samples += snapshot.histograms.reduce((sum, h) => sum + h.count, 0);
  })();
  while (!stop.stopped) await sleep(50);
  await rtt.close();
  await consumer;
  totals.tcpRtt ??= { cycles: 0, samples: 0, emptyCycles: 0 };
  totals.tcpRtt.cycles++;
  totals.tcpRtt.samples += samples;
  if (samples === 0) totals.tcpRtt.emptyCycles++;
}

// --- main loop ---
if (tools.length === 0) {
  console.log(`soak: nothing can run on this kernel: ${skipped.join('; ')}`);
  process.exit(1);
}
if (tools.some((tool) => tool.name === 'tcpRtt')) startTraffic();
deleteMissing(`${prefix}-warmup`, 1);

const started = Date.now();
const boundaries = [];
const totals = {};
let cycles = 0;
let maxHeld = 0;
const sampleBoundary = async (previousHeld) => {
  const { fds, held } = ownFds();
  const leftInKernel = previousHeld ? await lingering(previousHeld) : [];
  boundaries.push({
    atSeconds: Math.round((Date.now() - started) / 1000), fds, rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
    heldBpfObjects: held.progs.length + held.maps.length + held.links.length, leftInKernel: leftInKernel.length,
  });
  if (leftInKernel.length) failures.push(`cycle ${cycles}: the kernel still lists ${leftInKernel.join(', ')} after close`);
};

await sampleBoundary();
while (Date.now() - started < args.seconds * 1000) {
  const stop = { stopped: false };
  const cycleHeld = { progs: [], maps: [], links: [] };
  const runs = tools.map((tool) => tool.run(stop, totals).catch((error) => failures.push(`${tool.name}: ${error.stack ?? error}`)));
  const remaining = args.seconds * 1000 - (Date.now() - started);
  for (let until = Date.now() + Math.min(args.cycleSeconds * 1000, remaining); Date.now() < until;) {
    await sleep(Math.min(1000, Math.max(1, until - Date.now())));
    const { held } = ownFds();
    for (const kind of Object.keys(cycleHeld)) cycleHeld[kind] = [...new Set([...cycleHeld[kind], ...held[kind]])];
    maxHeld = Math.max(maxHeld, held.progs.length + held.maps.length + held.links.length);
  }
  stop.stopped = true;
  await Promise.all(runs);
  cycles++;
  await sampleBoundary(cycleHeld);
}
traffic?.kill('SIGKILL');

// --- verdict ---
// Two cycles of warm-up: lazily created fds (libuv, caches) appear once, a leak grows every cycle.
const first = boundaries[2] ?? boundaries.at(-1);
const last = boundaries.at(-1);
const rssValues = boundaries.slice(1).map((b) => b.rssMiB);
const half = Math.floor(rssValues.length / 2);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const rssEarly = median(rssValues.slice(0, Math.max(1, half)));
const rssLate = median(rssValues.slice(half));
if (boundaries.slice(2).some((b) => b.fds !== first.fds)) failures.push(`fd count not flat at cycle boundaries: ${boundaries.map((b) => b.fds).join(' ')}`);
if (boundaries.some((b) => b.heldBpfObjects !== 0)) failures.push(`BPF objects held with every stream closed: ${boundaries.map((b) => b.heldBpfObjects).join(' ')}`);
// RSS: V8's heap settles in the first cycles; growth after that, beyond noise, is a leak
if (rssLate - rssEarly > Math.max(24, rssEarly * 0.2)) failures.push(`RSS grew from ${rssEarly} MiB to ${rssLate} MiB (medians of the first and second half)`);
if (totals.deletesLossy && totals.deletesLossy.dropped === 0) failures.push('the tiny ring never dropped: the loss path was not exercised');
if (totals.tcpRtt && totals.tcpRtt.samples === 0) failures.push('tcpRtt saw no samples at all');

const summary = {
  seconds: Math.round((Date.now() - started) / 1000), cycles, tools: tools.map((tool) => tool.name), skipped, totals,
  fds: { first: first.fds, last: last.fds, max: Math.max(...boundaries.map((b) => b.fds)) },
  rssMiB: { start: boundaries[0].rssMiB, early: rssEarly, late: rssLate, max: Math.max(...boundaries.map((b) => b.rssMiB)) },
  bpfObjectsHeldWhileOpen: maxHeld, boundaries, failures,
};
if (args.json) writeFileSync(args.json, `${JSON.stringify(summary, null, 2)}\n`);
const d = totals.deletes;
const l = totals.deletesLossy;
console.log([
  `soak: ${summary.seconds} s, ${cycles} open/close cycles of ${tools.length} streams (${summary.tools.join(', ')})`,
  ...skipped.map((reason) => `soak: skipped ${reason}`),
  d && `soak: fileDeletes: produced ${d.produced}, received ${d.received}, dropped ${d.dropped}, consumed ${d.consumed}`,
  l && `soak: fileDeletes tiny ring: produced ${l.produced}, received ${l.received}, dropped ${l.dropped} (received + dropped === produced in every cycle: ${l.mismatches === 0})`,
  totals.netlink && `soak: netlinkErrors: ${totals.netlink.produced} errors triggered, ${totals.netlink.seen} seen, ${totals.netlink.dropped} dropped`,
  totals.tcpRtt && `soak: tcpRtt: ${totals.tcpRtt.samples} RTT samples over ${totals.tcpRtt.cycles} cycles (${totals.tcpRtt.emptyCycles} without samples)`,
  `soak: fds at cycle boundaries: first ${first.fds}, last ${last.fds}, max ${summary.fds.max}; BPF objects held with all streams closed: ${Math.max(...boundaries.map((b) => b.heldBpfObjects))} (max ${maxHeld} while open)`,
  `soak: RSS MiB: start ${summary.rssMiB.start}, early median ${rssEarly}, late median ${rssLate}, max ${summary.rssMiB.max}`,
  failures.length ? `soak: FAILED:\n  ${failures.join('\n  ')}` : 'soak: OK',
].filter(Boolean).join('\n'));
process.exitCode = failures.length ? 1 : 0;
