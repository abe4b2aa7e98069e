// The benchmark's measurements, one function per section of the report. Every repetition runs
// the compared variants back to back, so a change in the machine's state (the two vCPUs are
// sometimes near, sometimes far) hits all of them alike.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { deliver, memoryRun } from './delivery.mjs';
import { startChild } from './processes.mjs';
import { median, ratio, summary } from './stats.mjs';
import { benchTools } from '../tools.mjs';

const KiB = 1024;
const MiB = 1024 * KiB;

export const policies = { every: 0, batched: 64 };

/** 1. Events/s, drops and CPU per event of the C consumer, batches() and for await. */
export async function throughput(paths, config, log) {
  const rows = [];
  for (const producer of ['synth32', 'synth256', 'tracepoint']) {
    for (const ringBytes of config.rings) {
      for (const [policy, wakeupEvery] of Object.entries(policies)) {
        const runs = { c: [], batches: [], events: [] };
        const n = producer.startsWith('synth') ? config.synthEvents : config.getppidEvents;
        for (let rep = 0; rep < config.reps; rep++) {
          for (const consumer of Object.keys(runs)) {
            runs[consumer].push(await deliver(paths, { consumer, producer, ringBytes, wakeupEvery, n }));
          }
        }
        const row = { producer, ringBytes, policy, events: n, consumers: {} };
        const reference = median(runs.c.map((run) => run.eventsPerSec));
        const referenceCpu = median(runs.c.map((run) => run.cpuNsPerEvent));
        for (const [consumer, list] of Object.entries(runs)) {
          const rate = summary(list.map((run) => run.eventsPerSec));
          const cpu = summary(list.map((run) => run.cpuNsPerEvent));
          row.consumers[consumer] = {
            eventsPerSec: rate,
            droppedPct: summary(list.map((run) => (100 * run.dropped) / n)),
            cpuNsPerEvent: cpu,
            producerNsPerCall: summary(list.map((run) => run.producerNsPerCall)),
            rateRatio: ratio(rate.median, reference),
            cpuRatio: ratio(cpu.median, referenceCpu),
          };
        }
        log(`throughput ${producer} ring=${ringBytes / KiB}KiB ${policy}: ` + Object.entries(row.consumers)
          .map(([name, c]) => `${name} ${(c.eventsPerSec.median / 1e6).toFixed(2)}M/s (${c.rateRatio.toFixed(2)}x)`).join(', '));
        rows.push(row);
      }
    }
  }
  return rows;
}

/** 2. open+load+attach and close of each tool, bpfkit vs the same recipe from C. */
export async function attachLatency(paths, config, log) {
  const rows = [];
  for (const tool of benchTools) {
    let timed;
    try {
      timed = JSON.parse(execFileSync(process.execPath, [join(paths.bench, 'bpfkit-attach.mjs'), 'time', tool.name, String(config.attachReps)], {
        encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
      }));
    } catch (error) {
      log(`attach ${tool.name}: SKIPPED (${String(error.stderr ?? error.message).trim().split('\n').at(-1)})`);
      rows.push({ tool: tool.name, skipped: String(error.stderr ?? error.message).trim().split('\n').at(-1) });
      continue;
    }
    const args = timed.recipe.flatMap((entry) => [
      entry.object,
      entry.programs.join(',') || '-',
      entry.rodataHex || '-',
      Object.entries(entry.mapSizes).map(([map, size]) => `${map}=${size}`).join(',') || '-',
      entry.skipMaps.join(',') || '-',
      entry.ring ? '1' : '0',
      '/',
    ]);
    const c = JSON.parse(execFileSync(paths.attach, [String(config.attachReps), ...args], { encoding: 'utf8' }));
    const total = (run) => run.openMs.map((open, i) => open + run.closeMs[i]);
    const row = {
      tool: tool.name,
      mode: timed.mode,
      objects: timed.recipe.map((entry) => `${entry.object}(${entry.programs.length})`).join(' + '),
      bpfkit: { openMs: summary(timed.openMs), closeMs: summary(timed.closeMs), totalMs: summary(total(timed)) },
      c: { openMs: summary(c.openMs), closeMs: summary(c.closeMs), totalMs: summary(total(c)) },
    };
    row.openRatio = ratio(row.bpfkit.openMs.median, row.c.openMs.median);
    row.totalRatio = ratio(row.bpfkit.totalMs.median, row.c.totalMs.median);
    log(`attach ${tool.name} (${timed.mode}): open ${row.bpfkit.openMs.median.toFixed(1)} vs C ${row.c.openMs.median.toFixed(1)} ms, `
      + `open+close ${row.bpfkit.totalMs.median.toFixed(1)} vs ${row.c.totalMs.median.toFixed(1)} ms`);
    rows.push(row);
  }
  return rows;
}

/**
 * 3. RSS and heap of a per-event for await at each mark. One sample swings by tens of MiB with
 * the queue depth and V8's heap sizing at that instant, so growth compares the median of the
 * first three marks with the median of the last three: a leak raises both, noise does not.
 */
export async function memory(paths, config, log) {
  const samples = await memoryRun(paths, { ringBytes: 16 * MiB, wakeupEvery: policies.batched, marks: config.memoryMarks });
  const marked = samples.slice(1);
  const head = marked.slice(0, 3);
  const tail = marked.slice(-3);
  const growth = (field) => median(tail.map((sample) => sample[field])) - median(head.map((sample) => sample[field]));
  const result = {
    samples,
    rssGrowthBytes: growth('rssBytes'),
    heapGrowthBytes: growth('heapUsedBytes'),
    rssRangeBytes: [Math.min(...marked.map((s) => s.rssBytes)), Math.max(...marked.map((s) => s.rssBytes))],
    from: head.at(-1).events,
    to: tail.at(-1).events,
  };
  log(`memory: RSS growth ${(result.rssGrowthBytes / MiB).toFixed(1)} MiB (range ${result.rssRangeBytes.map((b) => (b / MiB).toFixed(0)).join('–')} MiB)`);
  return result;
}

/** Runs the syscall loop of one producer process alone: its JSON result. */
async function syscallLoop(paths, mode, n) {
  const loop = startChild(paths.producer, [mode, String(n)], { env: { BENCH_CPU: '0' } });
  loop.send('g');
  const result = await loop.next();
  await loop.exit;
  return result;
}

/** 4. What each tier adds to the traced syscall when it emits one record per call. */
export async function kernelCost(paths, config, log) {
  const tiers = ['tracepoint', 'raw_tp', 'tp_btf'];
  const runs = { none: [], ...Object.fromEntries(tiers.map((tier) => [tier, []])) };
  for (let rep = 0; rep < config.reps; rep++) {
    runs.none.push((await syscallLoop(paths, 'getppid', config.getppidEvents)).nsPerCall);
    for (const tier of tiers) {
      const run = await deliver(paths, {
        consumer: 'c', producer: tier, ringBytes: 16 * MiB, wakeupEvery: policies.batched, n: config.getppidEvents,
      });
      runs[tier].push(run.producerNsPerCall);
    }
  }
  const base = median(runs.none);
  const result = { baseNsPerCall: summary(runs.none), tiers: {} };
  for (const tier of tiers) {
    const calls = summary(runs[tier]);
    result.tiers[tier] = { nsPerCall: calls, addedNsPerEvent: calls.median - base };
  }
  log('kernel cost per event: ' + tiers.map((tier) => `${tier} +${result.tiers[tier].addedNsPerEvent.toFixed(0)} ns`).join(', ')
    + ` (getppid alone ${base.toFixed(0)} ns)`);
  return result;
}

/** Runs fn while `holder` keeps programs attached; the holder is told "done" afterwards. */
async function whileAttached(holder, doneMessage, fn) {
  try {
    await holder.next();
    return await fn();
  } finally {
    holder.send(doneMessage);
    await holder.exit;
  }
}

/** 5. An unrelated process's getuid() with each tier / tool attached vs nothing attached. */
export async function systemCost(paths, config, log) {
  const n = config.getuidCalls;
  const configurations = [
    { name: 'nothing attached', hold: undefined },
    ...['tracepoint', 'raw_tp', 'tp_btf'].map((tier) => ({
      name: `bench ${tier} (sys_enter_getppid${tier === 'tracepoint' ? '' : ' via sys_enter'})`,
      // tgid 1: the programs run on every matching syscall and keep nothing
      hold: () => startChild(paths.consumer, [`getppid_${tier}`, String(1 * MiB), '64', '1'], { env: { BENCH_CPU: '1' } }),
      done: 'done 0\n',
    })),
    ...benchTools.map((tool) => ({
      name: tool.name,
      hold: () => startChild('taskset', ['-c', '1', process.execPath, join(paths.bench, 'bpfkit-attach.mjs'), 'hold', tool.name]),
      done: 'done\n',
      tool: true,
    })),
  ];
  const runs = new Map(configurations.map((configuration) => [configuration.name, []]));
  const skipped = new Map();
  for (let rep = 0; rep < config.reps; rep++) {
    for (const configuration of configurations) {
      if (skipped.has(configuration.name)) continue;
      const loop = () => syscallLoop(paths, 'getuid', n);
      try {
        let result;
        if (!configuration.hold) {
          result = await loop();
        } else {
          const holder = configuration.hold();
          result = await whileAttached(holder, configuration.done, async () => loop());
        }
        runs.get(configuration.name).push(result.nsPerCall);
      } catch (error) {
        skipped.set(configuration.name, error.message.split('\n')[0]);
      }
    }
  }
  const base = median(runs.get('nothing attached'));
  const rows = configurations.map(({ name, tool }) => skipped.has(name)
    ? { name, skipped: skipped.get(name) }
    : { name, tool: Boolean(tool), nsPerCall: summary(runs.get(name)), addedNs: median(runs.get(name)) - base });
  log('getuid ns/call: ' + rows.map((row) => row.skipped ? `${row.name} skipped` : `${row.name} ${row.nsPerCall.median.toFixed(0)}`).join(', '));
  return { baseNsPerCall: base, rows };
}

/** 6. Delivery latency (ktime in the record vs receive time) under the batched policy. */
export async function latency(paths, config, log) {
  const rows = [];
  for (const rate of config.latencyRates) {
    const n = rate ? Math.round(rate * config.latencySeconds) : config.getppidEvents;
    const runs = { c: [], events: [] };
    for (let rep = 0; rep < config.latencyReps; rep++) {
      for (const consumer of Object.keys(runs)) {
        runs[consumer].push(await deliver(paths, {
          consumer, producer: 'tracepoint', ringBytes: 16 * MiB, wakeupEvery: policies.batched, n, rate, latency: true,
        }));
      }
    }
    const row = { rate: rate || 'max', events: n, consumers: {} };
    for (const [consumer, list] of Object.entries(runs)) {
      row.consumers[consumer] = {
        p50Ms: summary(list.map((run) => run.latencyMs.p50)),
        p99Ms: summary(list.map((run) => run.latencyMs.p99)),
        maxMs: summary(list.map((run) => run.latencyMs.max)),
      };
    }
    log(`latency at ${rate || 'max'}/s: ` + Object.entries(row.consumers)
      .map(([name, c]) => `${name} p50 ${c.p50Ms.median.toFixed(2)} p99 ${c.p99Ms.median.toFixed(2)} ms`).join(', '));
    rows.push(row);
  }
  return rows;
}
