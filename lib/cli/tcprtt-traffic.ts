// The `bpfkit tcprtt --demo` traffic: request/response TCP connections on 127.0.0.1 with
// different pauses between bursts, so the histogram has something to show. Run it as a script
// inside a network namespace whose loopback is up: `node tcprtt-traffic.js SECONDS`.
// The receiver of a response ACKs it with its next request, so a pause of P ms shows up as a
// round trip of about P ms (capped by the 40 ms delayed-ACK timer), a burst as microseconds.
import { createServer, connect, type Socket } from 'node:net';

interface Workload {
  port: number;
  /** requests sent back to back before pausing. */
  burst: number;
  pauseMs: number;
}

const workloads: Workload[] = [
  { port: 9101, burst: 20, pauseMs: 5 },
  { port: 9102, burst: 1, pauseMs: 1 },
  { port: 9103, burst: 1, pauseMs: 8 },
  { port: 9104, burst: 1, pauseMs: 30 },
];

const MESSAGE = Buffer.alloc(64, 'x');

function serve(port: number): Promise<void> {
  return new Promise((resolve) => {
    createServer((socket) => socket.on('data', (data) => socket.write(data)).on('error', () => {}))
      .listen(port, '127.0.0.1', resolve)
      .unref();
  });
}

function run(workload: Workload, until: number): void {
  const socket: Socket = connect(workload.port, '127.0.0.1');
  let sent = 0;
  const send = () => {
    if (Date.now() >= until) {
      socket.end();
      return;
    }
    sent++;
    socket.write(MESSAGE);
  };
  socket.on('connect', send);
  socket.on('data', () => {
    if (sent % workload.burst === 0) setTimeout(send, workload.pauseMs);
    else send();
  });
  socket.on('error', () => {});
}

const seconds = Number(process.argv[2] ?? '10');
const until = Date.now() + (Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 10_000);
await Promise.all(workloads.map((workload) => serve(workload.port)));
for (const workload of workloads) run(workload, until);
console.log('ready');
