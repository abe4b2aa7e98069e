// The workload of scripts/valgrind-stream.sh: open a stream, read events, close it, many times.
import { unlinkSync } from 'node:fs';
import { fileDeletes } from '../../dist/lib/index.js';

const cycles = Number(process.argv[2] ?? 20);
const prefix = `/tmp/bpfkit-valgrind-${process.pid}`;
let events = 0;
for (let cycle = 0; cycle < cycles; cycle++) {
  const stream = fileDeletes({ attach: 'tracepoint', prefix, buffer: cycle % 2 ? 'perf' : 'ringbuf', perfPages: 8, ringSize: 65536 });
  await stream.ready;
  for (let i = 0; i < 5; i++) {
    try {
      unlinkSync(prefix);
    } catch {
      // ENOENT: the attempt is the event
    }
  }
  let seen = 0;
  for await (const event of stream) {
    if (event.filename === prefix && ++seen === 5) break;
  }
  events += seen;
}
console.log(`valgrind-stream: ${cycles} open/iterate/close cycles, ${events} events`);
