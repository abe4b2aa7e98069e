// bpfkit's side of the delivery benchmark: the same protocol as bench/c/consumer.c (see there),
// reading the bench object's records through EventStream.
//
//   node bpfkit-consumer.mjs events|batches PROGRAM RING_BYTES WAKEUP_EVERY TGID [latency]
//   node --expose-gc bpfkit-consumer.mjs memory PROGRAM RING_BYTES WAKEUP_EVERY TGID
//
// events: per-event `for await`; batches: `for await` over stream.batches(); memory: per-event,
// reporting RSS and heap after each of the counts in MEMORY_MARKS (the producer runs until killed).
import { createInterface } from 'node:readline';
import { EventStream } from '../dist/lib/event-stream.js';
import { KernelObject } from '../dist/lib/kernel-object.js';
import { openEventObject } from '../dist/lib/event-object.js';
import { streamOptions } from '../dist/lib/stream-options.js';
import { decodeBenchEvent, isSynthetic } from './bench-event.mjs';

const MEMORY_MARKS = (process.env.BENCH_MEMORY_MARKS ?? '1000000,5000000,10000000').split(',').map(Number);

const [style, program, ringArg, wakeupArg, tgidArg, extra] = process.argv.slice(2);
const ringSize = Number(ringArg);
const wakeupEvery = Number(wakeupArg);
const measureLatency = extra === 'latency';
const options = streamOptions({
  buffer: 'ringbuf',
  ringSize,
  ...(wakeupEvery === 0 ? { wakeup: 'every' } : { wakeup: 'batched', wakeupEvery }),
  // BENCH_STREAM_OPTIONS: JSON of extra stream options, to compare settings (e.g. highWaterMark)
  ...JSON.parse(process.env.BENCH_STREAM_OPTIONS ?? '{}'),
});
// BENCH_INTERNAL_OPTIONS: JSON overriding the validated options (batchRecords, batchBytes), for tuning
Object.assign(options, JSON.parse(process.env.BENCH_INTERNAL_OPTIONS ?? '{}'));

let object;
// The decoder sees the first record of each batch at offset 4: that is when a batch reached JS.
let batchArrivedNs = 0n;
const decode = (view, offset) => {
  if (offset === 4) batchArrivedNs = process.hrtime.bigint();
  return decodeBenchEvent(view, offset);
};

const stream = new EventStream(async () => {
  const rodata = { targ_tgid: Number(tgidArg) };
  if (isSynthetic(program)) {
    object = KernelObject.open({
      object: 'bench',
      programs: [program],
      rodata: { ...rodata, targ_use_perf: false, targ_wakeup_every: options.wakeupEvery },
      mapSizes: { events: options.ringSize },
      skipMaps: ['events_perf'],
    });
    object.load();
  } else {
    ({ object } = await openEventObject({ object: 'bench', programs: { [program]: undefined }, rodata }, options));
  }
  return { object, buffer: 'ringbuf', decode, mode: program, rejected: [] };
}, options);
await stream.ready;

let received = 0;
let target = Infinity;
let loopStampNs = 0n;
let finished = false;
const latencies = measureLatency ? [] : undefined;
const memory = [];

createInterface({ input: process.stdin }).on('line', (line) => {
  const match = /^done (\d+)$/.exec(line);
  if (!match) return;
  target = Number(match[1]) - stream.stats.dropped;
  // everything may have arrived already, with the loop waiting for more
  if (received >= target) void stream.close();
});

function sampleMemory() {
  globalThis.gc?.();
  const usage = process.memoryUsage();
  memory.push({
    events: received,
    rssBytes: usage.rss,
    heapUsedBytes: usage.heapUsed,
    heapTotalBytes: usage.heapTotal,
    externalBytes: usage.external,
  });
}

const cpuStart = process.cpuUsage();
console.log(JSON.stringify({ ready: true, progId: object.programId(program) }));

if (style === 'batches') {
  for await (const batch of stream.batches()) {
    for (const event of batch) received += event.seq >= 0 ? 1 : 0;
    if (latencies) {
      const now = process.hrtime.bigint();
      for (const event of batch) latencies.push(Number(now - event.timestampNs));
    }
    if (received >= target) break;
  }
} else if (style === 'events') {
  for await (const event of stream) {
    if (event.seq < 0) continue;
    received++;
    if (latencies) latencies.push(Number(process.hrtime.bigint() - event.timestampNs));
    if ((received & 1023) === 0) loopStampNs = process.hrtime.bigint();
    if (received >= target) break;
  }
} else if (style === 'memory') {
  let mark = 0;
  sampleMemory();
  for await (const event of stream) {
    if (event.seq < 0) continue;
    received++;
    if (received === MEMORY_MARKS[mark]) {
      sampleMemory();
      if (++mark === MEMORY_MARKS.length) break;
    }
  }
} else {
  throw new Error(`unknown style ${style}`);
}
const endNs = process.hrtime.bigint();
finished = true;
const cpu = process.cpuUsage(cpuStart);
const dropped = stream.stats.dropped;
await stream.close();

const lastNs = received >= target ? endNs : (batchArrivedNs > loopStampNs ? batchArrivedNs : loopStampNs);
const result = {
  received,
  dropped,
  tLast: Number(lastNs),
  cpuUs: cpu.user + cpu.system,
  ...(memory.length > 0 ? { memory } : {}),
};
if (latencies && latencies.length > 0) {
  latencies.sort((a, b) => a - b);
  const at = (p) => latencies[Math.floor(p * (latencies.length - 1))] / 1e6;
  result.latencyMs = { p50: at(0.5), p99: at(0.99), max: at(1) };
}
console.log(JSON.stringify(result));
process.exit(finished ? 0 : 1);
