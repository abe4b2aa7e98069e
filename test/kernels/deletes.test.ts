import { describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileDeletes, type DeleteEvent, type DeleteMode } from '../../lib/index.js';
import { kernelSupport, type KernelFeature } from '../support/kernel.js';
import { collectUntil } from '../support/collect.js';
import { runChild } from '../support/child.js';
import { inGuest } from '../support/guest.js';
import { itUnless } from '../support/skip.js';

const k = await kernelSupport();
const ENOENT = -2;
const ENOTEMPTY = -39;

const needs: Record<DeleteMode, KernelFeature[]> = {
  fentry: ['fentry', 'fexit'],
  kprobe: ['kprobe', 'kretprobe'],
  tracepoint: ['tracepoint'],
};

function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-deletes-'));
  chmodSync(dir, 0o755);
  return dir;
}

/** Runs `node -e script` in `cwd` and waits for it; returns its pid. */
async function nodeChild(script: string, cwd: string): Promise<number> {
  const child = await runChild(process.execPath, ['-e', script], { cwd });
  const result = await child.exited;
  expect(result.code, result.stderr).toBe(0);
  return child.pid;
}

function eventsOf(pid: number, events: DeleteEvent[]): DeleteEvent[] {
  return events.filter((event) => event.pid === pid);
}

for (const mode of ['fentry', 'kprobe', 'tracepoint'] as const) {
  describe(`fileDeletes({ attach: '${mode}' })`, () => {
    const expectedCall = (syscall: 'unlink' | 'unlinkat' | 'rmdir') =>
      mode === 'tracepoint' ? syscall : syscall === 'rmdir' ? 'do_rmdir' : 'do_unlinkat';

    k.itRequires(needs[mode], 'reports an existing file deleted by absolute path (unlinkat), with pid, comm and ret 0', async () => {
      const dir = scratchDir();
      const file = join(dir, 'existing.txt');
      writeFileSync(file, 'x');
      await using stream = fileDeletes({ attach: mode, prefix: dir });
      expect((await stream.ready).mode).toBe(mode);
      const rm = await runChild('rm', [file]);
      expect((await rm.exited).code).toBe(0);
      const [event] = await collectUntil(stream, (e) => e.pid === rm.pid, (all) => all.length >= 1, 10_000);
      expect(event).toMatchObject({ pid: rm.pid, tid: rm.pid, uid: 0, comm: 'rm', filename: file, ret: 0, mode,
        call: expectedCall('unlinkat'), dfd: -100, filenameTruncated: false });
      if (mode !== 'tracepoint') expect(event!.latencyNs).toBeGreaterThan(0);
      rmSync(dir, { recursive: true, force: true });
    });

    k.itRequires(needs[mode], 'reports a missing file deleted by relative path (unlink) with ret -ENOENT', async () => {
      const dir = scratchDir();
      await using stream = fileDeletes({ attach: mode, comm: 'node' });
      await stream.ready;
      const pid = await nodeChild("try { require('fs').unlinkSync('no-such-file') } catch {}", dir);
      const events = await collectUntil(stream, (e) => e.pid === pid, (all) => all.length >= 1, 10_000);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ pid, comm: 'node', filename: 'no-such-file', ret: ENOENT, call: expectedCall('unlink'), mode });
      rmSync(dir, { recursive: true, force: true });
    });

    k.itRequires(needs[mode], 'reports rmdir of an empty and of a non-empty directory', async () => {
      const dir = scratchDir();
      mkdirSync(join(dir, 'empty'));
      mkdirSync(join(dir, 'full'));
      writeFileSync(join(dir, 'full', 'f'), 'x');
      await using stream = fileDeletes({ attach: mode, comm: 'node' });
      await stream.ready;
      const pid = await nodeChild(
        "const fs = require('fs'); fs.rmdirSync('empty'); try { fs.rmdirSync('full') } catch {}", dir);
      const events = eventsOf(pid, await collectUntil(stream, (e) => e.pid === pid, (all) => all.length >= 2, 10_000));
      expect(events.map((e) => [e.filename, e.ret, e.call])).toEqual([
        ['empty', 0, expectedCall('rmdir')],
        ['full', ENOTEMPTY, expectedCall('rmdir')],
      ]);
      rmSync(dir, { recursive: true, force: true });
    });

    k.itRequires(needs[mode], 'applies pid, uid, comm and prefix filters in the kernel', async () => {
      const inside = scratchDir();
      const outside = scratchDir();
      const trigger = join(inside, 'go');
      const waitThenDelete = (target: string) =>
        runChild('sh', ['-c', `while [ ! -e ${trigger} ]; do sleep 0.02; done; exec rm -f ${target}`]);
      const chosen = await waitThenDelete(join(inside, 'a'));
      const other = await waitThenDelete(join(inside, 'b'));
      await using byPid = fileDeletes({ attach: mode, pid: chosen.pid });
      await using byUid = fileDeletes({ attach: mode, uid: 65534, prefix: inside });
      await using byComm = fileDeletes({ attach: mode, comm: 'rm', prefix: inside });
      await using byPrefix = fileDeletes({ attach: mode, prefix: outside });
      await Promise.all([byPid.ready, byUid.ready, byComm.ready, byPrefix.ready]);
      writeFileSync(trigger, '');
      await Promise.all([chosen.exited, other.exited]);
      const nobody = await runChild('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'rm', '-f', join(inside, 'c')]);
      await nobody.exited;
      const outsider = await runChild('rm', ['-f', join(outside, 'd')]);
      await outsider.exited;
      const settle = inGuest() ? 8_000 : 3_000;

      const pidEvents = await collectUntil(byPid, () => true, (all) => all.length >= 1, settle);
      expect(pidEvents.map((e) => [e.pid, e.filename])).toEqual([[chosen.pid, join(inside, 'a')]]);

      const uidEvents = await collectUntil(byUid, () => true, (all) => all.length >= 1, settle);
      expect(uidEvents.map((e) => [e.uid, e.filename, e.ret])).toEqual([[65534, join(inside, 'c'), ENOENT]]);

      const commEvents = await collectUntil(byComm, () => true, (all) => all.length >= 3, settle);
      expect(commEvents.map((e) => e.filename).sort()).toEqual(['a', 'b', 'c'].map((n) => join(inside, n)));

      const prefixEvents = await collectUntil(byPrefix, () => true, (all) => all.length >= 1, settle);
      expect(prefixEvents.map((e) => [e.pid, e.filename])).toEqual([[outsider.pid, join(outside, 'd')]]);
      rmSync(inside, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    });
  });
}

describe('attach mode selection', () => {
  it('auto takes the best mode the kernel allows and says why better ones were rejected', async () => {
    await using stream = fileDeletes({ prefix: '/nonexistent-prefix/' });
    const info = await stream.ready;
    const expected = !k.missing(needs.fentry) ? 'fentry' : !k.missing(needs.kprobe) ? 'kprobe' : 'tracepoint';
    expect(info.mode).toBe(expected);
    expect(stream.mode).toBe(expected);
    const better = (['fentry', 'kprobe'] as const).slice(0, ['fentry', 'kprobe', 'tracepoint'].indexOf(expected));
    expect(info.rejected.map((r) => r.mode)).toEqual(better);
    for (const rejection of info.rejected) expect(rejection.reason).toMatch(/EPERM|ENOENT|CONFIG_KPROBES|BTF/);
  });

  const unavailable = (['fentry', 'kprobe'] as const).find((mode) => k.missing(needs[mode]));
  itUnless(unavailable ? '' : 'fentry and kprobes both work on this kernel',
    'an unavailable explicit mode throws a typed error naming the reason', async () => {
      const stream = fileDeletes({ attach: unavailable! });
      const error = await stream.ready.then(() => undefined, (e: unknown) => e);
      expect(error).toMatchObject({ name: 'BpfError', mode: unavailable });
      expect((error as Error).message).toMatch(unavailable === 'fentry' ? /EPERM/ : /CONFIG_KPROBES|ENOENT/);
      await expect(stream.next()).rejects.toBe(error);
      expect(await stream.next()).toEqual({ done: true, value: undefined });
    });
});
