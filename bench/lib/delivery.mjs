// One delivery measurement: a producer process on CPU 0, a consumer process on CPU 1 (the C one
// or bpfkit's), both started fresh, speaking the protocol of bench/c/consumer.c.
import { join } from 'node:path';
import { startChild } from './processes.mjs';

const PRODUCER_CPU = '0';
const CONSUMER_CPU = '1';

export const programs = {
  synth32: 'synth_32',
  synth256: 'synth_256',
  tracepoint: 'getppid_tracepoint',
  raw_tp: 'getppid_raw_tp',
  tp_btf: 'getppid_tp_btf',
};

/** The command line of a consumer: 'c', 'batches', 'events' or 'memory'. */
function consumerCommand(paths, consumer, args) {
  if (consumer === 'c') return { command: paths.consumer, args, env: { BENCH_CPU: CONSUMER_CPU } };
  // taskset: every thread of node (GC helpers, the libuv pool) shares the consumer's CPU, as the
  // C consumer's single thread does
  // BENCH_NODE_FLAGS: e.g. --cpu-prof, to profile bpfkit's consumer inside a real run
  const flags = [...(consumer === 'memory' ? ['--expose-gc'] : []), ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [])];
  return {
    command: 'taskset',
    args: ['-c', CONSUMER_CPU, process.execPath, ...flags, join(paths.bench, 'bpfkit-consumer.mjs'), consumer, ...args],
    env: {},
  };
}

/**
 * Runs one producer/consumer pair. `producer` is a key of `programs`; n records (getppid calls);
 * rate paces the getppid loop (calls/s); latency asks the consumer for delivery latencies.
 */
export async function deliver(paths, { consumer, producer, ringBytes, wakeupEvery, n, rate, latency }) {
  const program = programs[producer];
  const synthetic = program.startsWith('synth_');
  const env = { BENCH_CPU: PRODUCER_CPU };
  let source = synthetic ? undefined
    : startChild(paths.producer, ['getppid', String(n), ...(rate ? [String(rate)] : [])], { env });
  const { command, args, env: consumerEnv } = consumerCommand(paths, consumer, [
    program, String(ringBytes), String(wakeupEvery), String(source?.pid ?? 0), ...(latency ? ['latency'] : []),
  ]);
  const sink = startChild(command, args, { env: consumerEnv });
  try {
    const ready = await sink.next();
    source ??= startChild(paths.producer, ['synth', String(ready.progId), String(n)], { env });
    source.send('g');
    const produced = await source.next();
    sink.send(`done ${n}\n`);
    const consumed = await sink.next();
    await Promise.all([source.exit, sink.exit]);
    const seconds = (consumed.tLast - produced.t0) / 1e9;
    return {
      received: consumed.received,
      dropped: consumed.dropped,
      eventsPerSec: consumed.received > 0 && seconds > 0 ? consumed.received / seconds : 0,
      cpuNsPerEvent: consumed.received > 0 ? (consumed.cpuUs * 1000) / consumed.received : 0,
      producerNsPerCall: produced.nsPerCall,
      ...(consumed.latencyMs ? { latencyMs: consumed.latencyMs } : {}),
    };
  } finally {
    source?.kill();
    sink.kill();
  }
}

/**
 * bpfkit's memory over a long per-event stream: the synthetic producer runs until the consumer
 * has seen the last mark (BENCH_MEMORY_MARKS), then is killed.
 */
export async function memoryRun(paths, { ringBytes, wakeupEvery, marks }) {
  const { command, args } = consumerCommand(paths, 'memory', [programs.synth32, String(ringBytes), String(wakeupEvery), '0']);
  const sink = startChild(command, args, { env: { BENCH_MEMORY_MARKS: marks.join(',') } });
  let source;
  try {
    const ready = await sink.next();
    source = startChild(paths.producer, ['synth', String(ready.progId), '0'], { env: { BENCH_CPU: PRODUCER_CPU } });
    source.send('g');
    const consumed = await sink.next();
    return consumed.memory;
  } finally {
    source?.kill();
    sink.kill();
  }
}
