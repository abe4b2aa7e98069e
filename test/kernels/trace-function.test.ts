import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  listFunctions, traceFunction, TraceUnavailableError, type FunctionCall, type TraceMode,
} from '../../lib/index.js';
import { btfModules } from '../../lib/btf/load.js';
import { kernelSupport, type KernelFeature } from '../support/kernel.js';
import { collectUntil } from '../support/collect.js';
import { runChild } from '../support/child.js';
import { runNodeInLoopbackNetns } from '../support/netns.js';
import { itUnless } from '../support/skip.js';

const k = await kernelSupport();
const ENOENT = -2;

const needs: Record<TraceMode, KernelFeature[]> = {
  fentry: ['fentry', 'fexit'],
  kprobe: ['kprobe', 'kretprobe'],
  'kprobe.multi': ['kprobe.multi'],
};

function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-trace-'));
  chmodSync(dir, 0o755);
  return dir;
}

const ofPid = (pid: number) => (call: FunctionCall) => call.pid === pid;

for (const mode of ['fentry', 'kprobe', 'kprobe.multi'] as const) {
  describe(`traceFunction({ attach: '${mode}' })`, () => {
    k.itRequires(needs[mode], 'do_unlinkat and do_rmdir: the filename strings by field path, dfd, return values and latency', async () => {
      const dir = scratchDir();
      const file = join(dir, 'victim.txt');
      writeFileSync(file, 'x');
      mkdirSync(join(dir, 'empty'));
      await using stream = traceFunction(['do_unlinkat', 'do_rmdir'], { attach: mode, args: ['name->name'] });
      expect((await stream.ready).mode).toBe(mode);
      const child = await runChild(process.execPath, ['-e',
        `const fs = require('fs'); fs.unlinkSync(${JSON.stringify(file)}); try { fs.unlinkSync('no-such-file') } catch {} fs.rmdirSync('empty')`],
      { cwd: dir });
      expect((await child.exited).code).toBe(0);
      const calls = await collectUntil(stream, ofPid(child.pid), (all) => all.length >= 3, 20_000);
      expect(calls.map((c) => [c.function, c.args['name->name'], c.args.dfd, c.ret])).toEqual([
        ['do_unlinkat', file, -100, 0],
        ['do_unlinkat', 'no-such-file', -100, ENOENT],
        ['do_rmdir', 'empty', -100, 0],
      ]);
      for (const call of calls) {
        expect(call).toMatchObject({ pid: child.pid, tid: child.pid, comm: 'node', mode });
        expect(call.args.name).toMatch(/^0x[0-9a-f]{16}$/);
        expect(call.latencyNs).toBeGreaterThan(0);
        expect(call.timestampNs).toBeGreaterThan(0n);
      }
      rmSync(dir, { recursive: true, force: true });
    });

    k.itRequires(needs[mode], "where: 'ret < 0' keeps only failing calls; pid filters in the kernel", async () => {
      const dir = scratchDir();
      const trigger = join(dir, 'go');
      writeFileSync(join(dir, 'present'), 'x');
      // waits for the tracers, then execs rm: its pid is known before it deletes anything
      const chosen = await runChild('sh', ['-c', `while [ ! -e ${trigger} ]; do sleep 0.02; done; exec rm -f ${dir}/present ${dir}/absent`]);
      await using failing = traceFunction('do_unlinkat', { attach: mode, args: ['name->name'], where: 'ret < 0', comm: 'rm' });
      await using byPid = traceFunction('do_unlinkat', { attach: mode, args: ['name->name'], pid: chosen.pid });
      await Promise.all([failing.ready, byPid.ready]);
      writeFileSync(trigger, '');
      await chosen.exited;
      const other = await runChild('rm', ['-f', join(dir, 'other')]);
      await other.exited;
      const errors = await collectUntil(failing, () => true, (all) => all.length >= 2, 10_000);
      expect(errors.map((c) => [c.pid, c.args['name->name'], c.ret]).sort()).toEqual([
        [chosen.pid, join(dir, 'absent'), ENOENT],
        [other.pid, join(dir, 'other'), ENOENT],
      ].sort());
      const own = await collectUntil(byPid, () => true, (all) => all.length >= 3, 3_000);
      expect(own.map((c) => [c.pid, c.args['name->name'], c.ret])).toEqual([
        [chosen.pid, join(dir, 'present'), 0],
        [chosen.pid, join(dir, 'absent'), ENOENT],
      ]);
      rmSync(dir, { recursive: true, force: true });
    });

    k.itRequires(needs[mode], 'tcp_connect: the destination address and port of a loopback connect, and its return value', async () => {
      const port = 20_000 + Math.floor(Math.random() * 30_000);
      await using stream = traceFunction('tcp_connect', {
        attach: mode, args: ['sk->__sk_common.skc_daddr', 'sk->__sk_common.skc_dport', 'sk->__sk_common.skc_family'],
      });
      await stream.ready;
      const child = await runNodeInLoopbackNetns(['-e', `
        const net = require('net');
        const server = net.createServer((s) => s.end()).listen(${port}, '127.0.0.1', () => {
          net.connect(${port}, '127.0.0.1', function () { this.end(); server.close(); });
        });`]);
      const result = await child.exited;
      expect(result.code, result.stderr).toBe(0);
      const [call] = await collectUntil(stream, ofPid(child.pid), (all) => all.length >= 1, 20_000);
      expect(call).toMatchObject({
        function: 'tcp_connect', pid: child.pid, comm: 'node', ret: 0, mode,
        args: { 'sk->__sk_common.skc_daddr': '127.0.0.1', 'sk->__sk_common.skc_dport': port, 'sk->__sk_common.skc_family': 2 },
      });
      expect(call!.args.sk).toMatch(/^0x[0-9a-f]{16}$/);
    });
  });
}

describe('listFunctions on this kernel', () => {
  it('probe: true reports what really attaches to do_unlinkat, matching the kernel probe', async () => {
    const [fn] = await listFunctions('do_unlinkat', { probe: true });
    expect(fn!.traceable!.fentry.available).toBe(k.report.modes.fentry.available);
    expect(fn!.traceable!.kprobe.available).toBe(k.report.modes.kprobe.available);
    if (!fn!.traceable!.fentry.available) expect(fn!.traceable!.fentry.reason).toBeTruthy();
  });

  const modules = btfModules();
  itUnless(modules.length ? '' : 'no module with BTF is loaded on this kernel (/sys/kernel/btf holds only vmlinux)',
    "lists a module's functions from its split BTF, with the module named", async () => {
      const module = modules.includes('ext4') ? 'ext4' : modules[0]!;
      const listed = await listFunctions('*', { module });
      expect(listed.length).toBeGreaterThan(0);
      expect(listed.every((fn) => fn.module === module && fn.returnType.length > 0)).toBe(true);
      const all = await listFunctions(listed[0]!.name);
      expect(all.some((fn) => fn.module === module)).toBe(true);
    });
});

const bothWork = k.report.modes.fentry.available || k.report.modes.kprobe.available;
describe('where neither fentry nor kprobe works', () => {
  itUnless(bothWork ? 'fentry or kprobe works on this kernel, so there is no failure to report' : '',
    'traceFunction fails with a typed error giving both reasons and the tracepoints that exist', async () => {
      if (!existsSync('/sys/kernel/tracing/events')) execFileSync('mount', ['-t', 'tracefs', 'nodev', '/sys/kernel/tracing']);
      const stream = traceFunction('do_unlinkat', { args: ['name->name'] });
      const error = await stream.ready.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TraceUnavailableError);
      const typed = error as TraceUnavailableError;
      expect(typed.code).toBe('BPFKIT_NO_MODE');
      expect(typed.rejected.map((r) => r.mode)).toEqual(['fentry', 'kprobe']);
      expect(typed.rejected[0]!.reason).toBe(k.report.modes.fentry.reason);
      expect(typed.rejected[1]!.reason).toMatch(/CONFIG_KPROBES|ENOENT/);
      expect(typed.alternatives).toEqual(['syscalls:sys_enter_unlinkat', 'syscalls:sys_exit_unlinkat']);
      expect(typed.message).toContain('syscalls:sys_enter_unlinkat');
      await expect(stream.next()).rejects.toBe(error);
    });
});
