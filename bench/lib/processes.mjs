// Child processes of a measurement and the line protocol they speak: each prints JSON lines on
// stdout; consumers say {"ready":...} first and finish after "done N" arrives on stdin.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A child whose stdout JSON lines can be awaited one by one. */
export function startChild(command, args, { env = {}, timeoutMs = 120_000 } = {}) {
  const child = spawn(command, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const lines = [];
  const waiting = [];
  let stderr = '';
  let exited = false;
  const fail = (error) => {
    for (const waiter of waiting.splice(0)) waiter.reject(error);
  };
  createInterface({ input: child.stdout }).on('line', (line) => {
    let message;
    try {
      message = JSON.parse(line);
    } catch {
      return;
    }
    const waiter = waiting.shift();
    if (waiter) waiter.resolve(message);
    else lines.push(message);
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exit = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = true;
      // stdout may still hold the last line: let readline deliver it first
      setImmediate(() => fail(new Error(`${command} ${args.join(' ')} exited (${code ?? signal}) ${stderr.trim()}`)));
      resolve({ code, signal });
    });
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  exit.then(() => clearTimeout(timer));
  return {
    pid: child.pid,
    /** The next JSON line. */
    next() {
      if (lines.length > 0) return Promise.resolve(lines.shift());
      if (exited) return Promise.reject(new Error(`${command} exited: ${stderr.trim()}`));
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    send(text) {
      child.stdin.write(text);
    },
    kill(signal = 'SIGTERM') {
      if (!exited) child.kill(signal);
    },
    exit,
    get stderr() {
      return stderr;
    },
  };
}
