import { existsSync, readdirSync, readFileSync } from 'node:fs';

const EVENT_DIRS = ['/sys/kernel/tracing/events', '/sys/kernel/debug/tracing/events'];
const AVAILABLE_EVENTS = ['/sys/kernel/tracing/available_events', '/sys/kernel/debug/tracing/available_events'];

/** 'category:name' for every tracepoint tracefs lists, or undefined when tracefs is not mounted. */
function tracepoints(): string[] | undefined {
  for (const dir of EVENT_DIRS) {
    if (!existsSync(dir)) continue;
    const events: string[] = [];
    for (const category of readdirSync(dir, { withFileTypes: true })) {
      if (!category.isDirectory()) continue;
      for (const event of readdirSync(`${dir}/${category.name}`, { withFileTypes: true })) {
        if (event.isDirectory()) events.push(`${category.name}:${event.name}`);
      }
    }
    return events;
  }
  for (const path of AVAILABLE_EVENTS) {
    try {
      return readFileSync(path, 'utf8').split('\n').filter(Boolean);
    } catch {
      // not mounted at this path
    }
  }
  return undefined;
}

/** The name a syscall-implementing function would have as a syscall: do_unlinkat → unlinkat. */
function syscallName(fn: string): string {
  return fn.replace(/^(__x64_sys_|__ia32_sys_|__se_sys_|__do_sys_|__sys_|ksys_|do_sys_|sys_|do_)/, '');
}

/**
 * Tracepoints that see the same calls as `fn`, found by name only: the syscall's enter/exit pair
 * (do_unlinkat → syscalls:sys_enter_unlinkat) and events named like the function itself
 * (tcp_retransmit_skb → tcp:tcp_retransmit_skb). A hint, not a guarantee of equivalence.
 */
export function tracepointAlternatives(fn: string): { alternatives: string[]; note?: string } {
  const events = tracepoints();
  if (!events) return { alternatives: [], note: 'tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing to list tracepoints)' };
  const syscall = syscallName(fn);
  const wanted = new Set([`syscalls:sys_enter_${syscall}`, `syscalls:sys_exit_${syscall}`]);
  return { alternatives: events.filter((event) => wanted.has(event) || event.split(':')[1] === fn).sort() };
}
