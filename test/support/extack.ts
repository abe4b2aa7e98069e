import { runChild } from './child.js';

/** A command that fails with a netlink extended-ack message on 6.1, 6.12 and 6.18 (checked on each). */
export interface ExtackTrigger {
  cmd: 'tc' | 'ip';
  args: string[];
  /** the exact extack message (iproute2 prints it as `Error: <message>.`). */
  message: string;
}

export const extackTriggers: readonly ExtackTrigger[] = [
  { cmd: 'tc', args: ['filter', 'replace', 'dev', 'lo', 'parent', 'ffff:', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0'],
    message: "Parent Qdisc doesn't exists" },
  { cmd: 'ip', args: ['link', 'add', 'bpfkit0', 'type', 'bogus'], message: 'Unknown device type' },
  { cmd: 'ip', args: ['route', 'add', '10.254.0.0/16', 'via', '192.0.2.1', 'dev', 'lo'], message: 'Nexthop has invalid gateway' },
  { cmd: 'tc', args: ['qdisc', 'del', 'dev', 'lo', 'root', 'handle', '5:'], message: 'Invalid handle' },
];

/**
 * Runs the trigger in a private network namespace (nothing on the machine changes) and returns the
 * failing process's pid: `unshare` execs the command in place, so its pid is the command's. Throws
 * unless the command failed with exactly the expected message.
 */
export async function triggerExtack(trigger: ExtackTrigger): Promise<number> {
  const child = await runChild('unshare', ['--net', trigger.cmd, ...trigger.args]);
  const result = await child.exited;
  if (result.code === 0 || !result.stderr.includes(`Error: ${trigger.message}.`)) {
    throw new Error(`${trigger.cmd} ${trigger.args.join(' ')}: expected "Error: ${trigger.message}.", got exit ${result.code}: ${result.stderr}`);
  }
  return child.pid;
}
