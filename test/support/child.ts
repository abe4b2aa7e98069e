import { spawn, type SpawnOptions } from 'node:child_process';

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningChild {
  /** The child's pid, e.g. to pick its events out of a tracer's stream. */
  readonly pid: number;
  /** Resolves once the child has exited, with its status and everything it printed. */
  readonly exited: Promise<ChildResult>;
  /** Resolves with the child's stdout so far once it matches `pattern`; rejects if it exits first. */
  waitForStdout(pattern: RegExp): Promise<string>;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts `cmd args` with piped output; resolves once it is running (rejects if it cannot start). */
export function runChild(cmd: string, args: readonly string[], options: SpawnOptions = {}): Promise<RunningChild> {
  const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const stdoutListeners = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const listener of stdoutListeners) listener();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<ChildResult>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });

  const waitForStdout = (pattern: RegExp): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (!pattern.test(stdout)) return;
        stdoutListeners.delete(check);
        resolve(stdout);
      };
      stdoutListeners.add(check);
      check();
      void exited.then((result) => {
        stdoutListeners.delete(check);
        reject(new Error(`${cmd} exited (${result.code ?? result.signal}) before printing ${pattern}: ${result.stderr}`));
      });
    });

  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => {
      resolve({ pid: child.pid!, exited, waitForStdout, kill: (signal) => child.kill(signal) });
    });
  });
}
