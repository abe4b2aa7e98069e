import { describe, expect, it } from 'vitest';
import { binding, netlinkErrors, traceProgram, type NetlinkError, type ProgramCall } from '../../lib/index.js';
import { kernelSupport } from '../support/kernel.js';
import { collectUntil } from '../support/collect.js';
import { bpfObjectIds, type BpfObjectIds } from '../support/bpf-objects.js';
import { lingering, ownBpfObjects } from '../support/own-bpf.js';
import { extackTriggers, triggerExtack } from '../support/extack.js';
import { inGuest } from '../support/guest.js';
import { itUnless } from '../support/skip.js';

const k = await kernelSupport();
const trampolinesMissing = k.missing(['fentry', 'fexit']);
const TRACEPOINT_RETVAL = binding.layouts().constants!.NETLINK_TRACEPOINT_RETVAL;
const PROGRAM = 'handle_netlink_extack';
const timeout = inGuest() ? 60_000 : 10_000;

function minus(a: BpfObjectIds, b: BpfObjectIds): { progs: number[]; maps: number[]; links: number[] } {
  const only = (x: Set<number>, y: Set<number>) => [...x].filter((id) => !y.has(id)).sort();
  return { progs: only(a.progs, b.progs), maps: only(a.maps, b.maps), links: only(a.links, b.links) };
}

async function tcErrors(count: number): Promise<number[]> {
  const pids: number[] = [];
  for (let i = 0; i < count; i++) pids.push(await triggerExtack(extackTriggers[0]!));
  return pids;
}

function callsOf(stream: AsyncIterator<ProgramCall>, pids: number[], perPid: number): Promise<ProgramCall[]> {
  return collectUntil(stream, (e) => pids.includes(e.pid), (all) => all.length >= pids.length * perPid, timeout);
}

describe('traceProgram', () => {
  k.itRequires(['fentry', 'fexit'], 'counts the calls and return values of a bpfkit stream\'s program', async () => {
    await using errors = netlinkErrors({ sources: ['tracepoint'] });
    await using calls = traceProgram({ stream: errors, program: PROGRAM });
    expect(await calls.ready).toMatchObject({ mode: 'fentry+fexit', rejected: [] });
    const pids = await tcErrors(3);
    const seen = await callsOf(calls, pids, 2);
    expect(seen.map((c) => [c.kind, c.pid, c.tid, c.comm, c.retval])).toEqual(pids.flatMap((pid) => [
      ['entry', pid, pid, 'tc', undefined],
      ['exit', pid, pid, 'tc', TRACEPOINT_RETVAL],
    ]));
    for (let i = 0; i < seen.length; i += 2) {
      expect(seen[i]!.cpu).toBe(seen[i + 1]!.cpu);
      expect(seen[i]!.timestampNs <= seen[i + 1]!.timestampNs).toBe(true);
    }
    // The traced program ran exactly once per error: its own stream agrees with the tracer's count.
    const reported = await collectUntil<NetlinkError>(errors, (e) => pids.includes(e.pid), (all) => all.length >= 3, timeout);
    expect(reported.map((e) => e.pid)).toEqual(pids);
  });

  k.itRequires(['fentry', 'fexit'], 'calls: \'exit\' reports only returns; a target given by fd and function name works', async () => {
    await using errors = netlinkErrors({ sources: ['tracepoint'] });
    await errors.ready;
    const programFd = errors.kernelObject!.programFd(PROGRAM);
    await using calls = traceProgram({ programFd, function: PROGRAM }, { calls: 'exit' });
    expect((await calls.ready).mode).toBe('fexit');
    const pids = await tcErrors(2);
    const seen = await callsOf(calls, pids, 1);
    expect(seen.map((c) => [c.kind, c.pid, c.retval])).toEqual(pids.map((pid) => ['exit', pid, TRACEPOINT_RETVAL]));
  });

  k.itRequires(['fentry', 'fexit'], 'closing the tracer detaches only it; the traced stream keeps working', async () => {
    await using errors = netlinkErrors({ sources: ['tracepoint'] });
    await errors.ready;
    const target = ownBpfObjects();
    const calls = traceProgram({ stream: errors, program: PROGRAM });
    await calls.ready;
    const tracer = minus(ownBpfObjects(), target);
    expect(tracer.progs).toHaveLength(2);
    expect(tracer.links).toHaveLength(2);
    await calls.close();
    expect(await lingering({ progs: new Set(tracer.progs), maps: new Set(tracer.maps), links: new Set(tracer.links) }, bpfObjectIds))
      .toEqual({ progs: [], maps: [], links: [] });
    expect(minus(target, ownBpfObjects())).toEqual({ progs: [], maps: [], links: [] });
    const [pid] = await tcErrors(1);
    const reported = await collectUntil<NetlinkError>(errors, (e) => e.pid === pid, (all) => all.length >= 1, timeout);
    expect(reported.map((e) => [e.source, e.message])).toEqual([['tracepoint', extackTriggers[0]!.message]]);
    expect(await calls.next()).toEqual({ done: true, value: undefined });
  });

  k.itRequires(['fentry', 'fexit'], 'closing the traced stream closes the tracer first and releases both', async () => {
    const errors = netlinkErrors({ sources: ['tracepoint'] });
    await errors.ready;
    const calls = traceProgram({ stream: errors, program: PROGRAM });
    await calls.ready;
    const both = ownBpfObjects();
    expect(both.progs.size).toBe(3);
    const pending = calls.next();
    await errors.close();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(ownBpfObjects()).toEqual({ progs: new Set(), maps: new Set(), links: new Set() });
    expect(await lingering(both, bpfObjectIds)).toEqual({ progs: [], maps: [], links: [] });
  });

  itUnless(trampolinesMissing ? '' : 'fentry/fexit work on this kernel, so the tracer cannot be refused',
    'a kernel that forbids trampolines: ready rejects with a TracerUnavailable naming EPERM; the target is untouched', async () => {
      await using errors = netlinkErrors({ sources: ['tracepoint'] });
      await errors.ready;
      const target = ownBpfObjects();
      const calls = traceProgram({ stream: errors, program: PROGRAM });
      const error = await calls.ready.then(() => undefined, (e: unknown) => e);
      expect(error).toMatchObject({ name: 'TracerUnavailable', code: 'EPERM', op: 'bpf_object__load' });
      expect((error as Error).message).toMatch(/EPERM before the verifier ran/);
      await calls.close();
      expect(ownBpfObjects()).toEqual(target);
      const [pid] = await tcErrors(1);
      const reported = await collectUntil<NetlinkError>(errors, (e) => e.pid === pid, (all) => all.length >= 1, timeout);
      expect(reported).toHaveLength(1);
    });

  it('rejects bad targets and options before loading anything', () => {
    expect(() => traceProgram(undefined as never)).toThrow(TypeError);
    expect(() => traceProgram({ programFd: -1, function: PROGRAM })).toThrow(/target.programFd: must be an integer/);
    expect(() => traceProgram({ programFd: 3, function: 'no spaces' })).toThrow(/target.function/);
    expect(() => traceProgram({ stream: {} as never, program: PROGRAM })).toThrow(/target.stream: must be a bpfkit EventStream/);
    expect(() => traceProgram({ programFd: 3, function: PROGRAM }, { calls: 'both-ways' as never })).toThrow(RangeError);
    expect(() => traceProgram({ programFd: 3, function: PROGRAM, program: 'x' } as never)).toThrow(/target.program: unknown option/);
  });
});
