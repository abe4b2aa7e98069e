import { runChild, type RunningChild } from './child.js';

/**
 * Runs `cmd args` in a private network namespace whose loopback is up (on this machine the host's
 * `lo` has no address, so TCP over 127.0.0.1 needs one). The vitest worker cannot switch
 * namespaces itself, so the traffic has to come from a child. `unshare` and `sh` exec in place,
 * so the returned pid is the command's own pid.
 */
export function runInLoopbackNetns(cmd: string, args: readonly string[]): Promise<RunningChild> {
  return runChild('unshare', ['--net', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', cmd, ...args]);
}

/** Runs a node script (a file path, or `-e` code) in a private network namespace with loopback up. */
export function runNodeInLoopbackNetns(args: readonly string[]): Promise<RunningChild> {
  return runInLoopbackNetns(process.execPath, args);
}
