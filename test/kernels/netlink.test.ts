import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { binding, netlinkErrors, type NetlinkError } from '../../lib/index.js';
import { kernelSupport } from '../support/kernel.js';
import { collectUntil } from '../support/collect.js';
import { listOpenFds } from '../support/fds.js';
import { runChild } from '../support/child.js';
import { extackTriggers, triggerExtack } from '../support/extack.js';
import { inGuest } from '../support/guest.js';
import { itUnless } from '../support/skip.js';

const run = promisify(execFile);
const k = await kernelSupport();
const trampolinesMissing = k.missing(['fentry', 'fexit']);
const TRACEPOINT_RETVAL = binding.layouts().constants!.NETLINK_TRACEPOINT_RETVAL;
const timeout = inGuest() ? 60_000 : 10_000;

/**
 * What this process holds in the kernel: its BPF fds, and the netlink programs bpftool lists. Other
 * processes on the machine load and free BPF objects of their own all the time, and freed maps
 * linger in bpftool's list for a while, so a global before/after diff would not be stable.
 */
async function netlinkObjects(): Promise<{ fds: string[]; programs: number[] }> {
  const fds = listOpenFds().map((fd) => fd.target).filter((target) => /bpf/.test(target)).sort();
  const { stdout } = await run('bpftool', ['--json', 'prog', 'show'], { maxBuffer: 64 << 20 });
  const programs = (JSON.parse(stdout) as { id: number; name?: string }[])
    .filter((prog) => /^handle_(netlink|fentry_e|fexit_ex)/.test(prog.name ?? '')).map((prog) => prog.id);
  return { fds, programs };
}

/** Triggers every known extack error, one process each, and returns their pids in order. */
async function triggerAll(): Promise<number[]> {
  const pids: number[] = [];
  for (const trigger of extackTriggers) pids.push(await triggerExtack(trigger));
  return pids;
}

async function eventsOf(stream: AsyncIterator<NetlinkError>, pids: number[], perPid: number): Promise<NetlinkError[]> {
  return collectUntil(stream, (e) => pids.includes(e.pid), (all) => all.length >= pids.length * perPid, timeout);
}

describe('netlinkErrors', () => {
  k.itRequires(['tracepoint'], 'reports each extack message exactly, with the pid and comm of the tc/ip process', async () => {
    await using stream = netlinkErrors({ sources: ['tracepoint'] });
    expect(await stream.ready).toMatchObject({ mode: 'tracepoint', rejected: [] });
    const pids = await triggerAll();
    const events = await eventsOf(stream, pids, 1);
    expect(events.map((e) => [e.pid, e.message])).toEqual(pids.map((pid, i) => [pid, extackTriggers[i]!.message]));
    events.forEach((event, i) => {
      const { cmd, message } = extackTriggers[i]!;
      expect(event).toEqual({
        message, truncated: false, messageLength: Buffer.byteLength(message),
        pid: pids[i], tid: pids[i], comm: cmd, source: 'tracepoint', timestampNs: expect.any(BigInt),
      });
    });
    expect(stream.stats.dropped).toBe(0);
  });

  it('auto runs the tracepoint and fentry/fexit where the kernel allows them, saying why any were skipped', async () => {
    await using stream = netlinkErrors();
    const info = await stream.ready;
    if (trampolinesMissing) {
      expect(info.mode).toBe('tracepoint');
      expect(info.rejected.map((r) => r.mode)).toEqual(['fentry', 'fexit']);
      for (const rejection of info.rejected) {
        expect(rejection.errno).toBe('EPERM');
        expect(rejection.reason).toMatch(/EPERM.*forbids trampoline/);
      }
    } else {
      expect(info).toMatchObject({ mode: 'tracepoint+fentry+fexit', rejected: [] });
    }
    const pid = await triggerExtack(extackTriggers[0]!);
    const sources = trampolinesMissing ? ['tracepoint'] : ['fentry', 'tracepoint', 'fexit'];
    const events = await eventsOf(stream, [pid], sources.length);
    expect(events.map((e) => [e.source, e.pid, e.message])).toEqual(sources.map((s) => [s, pid, extackTriggers[0]!.message]));
  });

  k.itRequires(['fentry', 'fexit'], 'all three views see each error, in the order fentry, tracepoint, fexit, with the program\'s return value', async () => {
    await using stream = netlinkErrors({ sources: ['tracepoint', 'fentry', 'fexit'] });
    expect(await stream.ready).toMatchObject({ mode: 'tracepoint+fentry+fexit', rejected: [] });
    const pids = await triggerAll();
    const events = await eventsOf(stream, pids, 3);
    expect(events).toHaveLength(pids.length * 3);
    pids.forEach((pid, i) => {
      const { cmd, message } = extackTriggers[i]!;
      const seen = events.slice(i * 3, i * 3 + 3);
      expect(seen.map((e) => [e.source, e.pid, e.tid, e.comm, e.message, e.truncated])).toEqual(
        ['fentry', 'tracepoint', 'fexit'].map((source) => [source, pid, pid, cmd, message, false]));
      expect(seen.map((e) => e.retval)).toEqual([undefined, undefined, TRACEPOINT_RETVAL]);
      expect(seen[0]!.timestampNs <= seen[1]!.timestampNs && seen[1]!.timestampNs <= seen[2]!.timestampNs).toBe(true);
    });
  });

  k.itRequires(['fentry', 'fexit'], 'sources without tracepoint still run its program (the trace target) but report only the chosen views', async () => {
    await using stream = netlinkErrors({ sources: ['fexit'] });
    expect((await stream.ready).mode).toBe('fexit');
    const pids = await triggerAll();
    const events = await eventsOf(stream, pids, 1);
    expect(events.map((e) => [e.source, e.pid, e.message, e.retval])).toEqual(
      pids.map((pid, i) => ['fexit', pid, extackTriggers[i]!.message, TRACEPOINT_RETVAL]));
  });

  itUnless(trampolinesMissing ? '' : 'fentry/fexit work on this kernel, so asking for them cannot fail',
    'explicit fentry on a kernel that forbids it: a typed EPERM error, and nothing stays loaded', async () => {
      const before = await netlinkObjects();
      const stream = netlinkErrors({ sources: ['tracepoint', 'fentry', 'fexit'] });
      const error = await stream.ready.then(() => undefined, (e: unknown) => e);
      expect(error).toMatchObject({ name: 'BpfError', code: 'EPERM', mode: 'fentry' });
      expect((error as Error).message).toMatch(/^netlinkErrors: sources 'fentry', 'fexit' unavailable on this kernel: .*EPERM/);
      await expect(stream.next()).rejects.toBe(error);
      await stream.close();
      expect(await netlinkObjects()).toEqual(before);
    });

  it('rejects bad sources before loading anything', () => {
    expect(() => netlinkErrors({ sources: [] })).toThrow(RangeError);
    expect(() => netlinkErrors({ sources: 'all' as never })).toThrow(TypeError);
    expect(() => netlinkErrors({ sources: ['kprobe' as never] })).toThrow(/sources\[0\]: must be one of/);
    expect(() => netlinkErrors({ sources: ['fentry', 'fentry'] })).toThrow(/sources\[1\]: 'fentry' is listed twice/);
    expect(() => netlinkErrors({ source: 'auto' } as never)).toThrow(/options.source: unknown option/);
  });
});

describe('bpfkit netlink-errors', () => {
  k.itRequires(['tracepoint'], 'prints one line per error with pid, comm, source and message', async () => {
    const cli = new URL('../../dist/lib/cli/main.js', import.meta.url).pathname;
    const child = await runChild(process.execPath, [cli, 'netlink-errors', '--sources', 'tracepoint', '-d', inGuest() ? '120' : '20']);
    await child.waitForStdout(/PID\s+COMM\s+SOURCE\s+MESSAGE\n/);
    const pid = await triggerExtack(extackTriggers[1]!);
    const line = new RegExp(`^${pid}\\s+ip\\s+tracepoint\\s+Unknown device type$`, 'm');
    await child.waitForStdout(line);
    child.kill('SIGINT');
    const result = await child.exited;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^tracing netlink extack errors with tracepoint\n/);
    expect(result.stdout).toMatch(line);
  });
});
