// `npm run bench`: bpfkit side by side with a C libbpf consumer, in one run (see bench/README.md).
//
//   node bench/run.mjs [--quick] [--only throughput,attach,memory,kernel,system,latency]
//
// Writes bench/results/<date>.json and bench/results/latest.md (--quick: bench/out/quick.*).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildC } from './lib/build.mjs';
import { markdown } from './lib/report.mjs';
import { attachLatency, kernelCost, latency, memory, systemCost, throughput } from './lib/sections.mjs';
import { evaluateTargets } from './lib/targets.mjs';

const bench = dirname(fileURLToPath(import.meta.url));
const repo = dirname(bench);
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const onlyIndex = argv.indexOf('--only');
const only = onlyIndex >= 0 ? new Set(argv[onlyIndex + 1].split(',')) : undefined;

const config = quick
  ? {
    quick, reps: 1, rings: [256 * 1024], synthEvents: 400_000, getppidEvents: 200_000, attachReps: 2,
    memoryMarks: [100_000, 200_000, 300_000, 600_000, 800_000, 1_000_000], getuidCalls: 300_000, latencyRates: [1000, 0], latencySeconds: 0.5, latencyReps: 1,
  }
  : {
    quick, reps: 5, rings: [256 * 1024, 16 * 1024 * 1024], synthEvents: 2_000_000, getppidEvents: 1_000_000, attachReps: 10,
    memoryMarks: Array.from({ length: 10 }, (_, i) => (i + 1) * 1_000_000), getuidCalls: 2_000_000, latencyRates: [1000, 100_000, 0], latencySeconds: 2, latencyReps: 3,
  };

function log(message) {
  process.stderr.write(`[bench ${((performance.now()) / 1000).toFixed(0)}s] ${message}\n`);
}

function preflight() {
  if (process.getuid() !== 0) throw new Error('the benchmark loads BPF programs: run it as root');
  if (!existsSync(join(repo, 'dist', 'lib', 'index.js'))) throw new Error('no dist/: run `npm run build:ts` first');
  // tracepoint attach reads event ids from tracefs
  if (!existsSync('/sys/kernel/tracing/events') && !existsSync('/sys/kernel/debug/tracing/events')) {
    execFileSync('mount', ['-t', 'tracefs', 'nodev', '/sys/kernel/tracing']);
  }
}

async function machine() {
  const { native } = await import('../dist/lib/binding.js');
  if (!native.embeddedObjects().includes('bench')) {
    throw new Error('the addon has no embedded "bench" object: rebuild it (npx node-gyp rebuild --nodedir=/usr)');
  }
  return {
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    bpfkitVersion: JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
    kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(),
    node: process.versions.node,
    libbpf: native.libbpfVersion(),
    loadAverage: loadavg()[0],
  };
}

/**
 * Ratios survive a busy machine better than absolute numbers, but not much: two busy vCPUs make
 * every wakeup slower. Wait (up to BENCH_WAIT_QUIET_S, default 120 s) for the 1-minute load
 * average to drop below 1, and record it either way.
 */
async function waitForQuiet() {
  const limit = Number(process.env.BENCH_WAIT_QUIET_S ?? (quick ? 0 : 120));
  const until = performance.now() + limit * 1000;
  while (loadavg()[0] >= 1 && performance.now() < until) {
    log(`load average ${loadavg()[0].toFixed(2)}: waiting for a quieter machine`);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
  }
  if (loadavg()[0] >= 1) log(`WARNING: load average ${loadavg()[0].toFixed(2)}: other work shares these CPUs, results are noisy`);
}

preflight();
await waitForQuiet();
const started = performance.now();
const results = { machine: await machine(), config };
log('building the C side');
const binaries = buildC(repo);
const paths = { ...binaries, bench };
const sections = [
  ['throughput', throughput],
  ['attach', attachLatency],
  ['memory', memory],
  ['kernel', kernelCost, 'kernelCost'],
  ['system', systemCost, 'systemCost'],
  ['latency', latency],
];
for (const [name, run, key = name] of sections) {
  if (only && !only.has(name)) continue;
  results[key] = await run(paths, config, log);
}
results.targets = evaluateTargets(results);
results.seconds = (performance.now() - started) / 1000;
log(`done in ${results.seconds.toFixed(0)} s`);

const table = markdown(results);
const outDir = quick ? join(bench, 'out') : join(bench, 'results');
mkdirSync(outDir, { recursive: true });
const stem = quick ? 'quick' : results.machine.date.slice(0, 10);
writeFileSync(join(outDir, `${stem}.json`), JSON.stringify(results, null, 2) + '\n');
writeFileSync(join(outDir, quick ? 'quick.md' : 'latest.md'), `# bpfkit benchmark\n\n${table}\n`);
process.stdout.write(table + '\n');
