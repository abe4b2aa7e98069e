import { describe, expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { runChild, type ChildResult } from './support/child.js';
import { bpfObjectIds, type BpfObjectIds } from './support/bpf-objects.js';
import { lingering } from './support/own-bpf.js';
import { kernelSupport } from './support/kernel.js';

// A process using bpfkit can end at any point and in any way without crashing, and the kernel
// keeps nothing of it: BPF programs, maps and links live only as long as their fds, which the
// kernel closes with the process. The children run the built dist/ (test/fixtures/*.mjs).

const k = await kernelSupport();
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const stages = ['import', 'probe', 'open', 'iterating', 'close'] as const;
const endings = ['normal', 'exit', 'throw', 'sigterm'] as const;

interface Report {
  stage: string;
  held: { progs: number[]; maps: number[]; links: number[] };
  sigtermListeners: number;
}

const asIds = (held: Report['held']): BpfObjectIds =>
  ({ progs: new Set(held.progs), maps: new Set(held.maps), links: new Set(held.links) });

async function runStage(stage: string, ending: string): Promise<{ report: Report; result: ChildResult }> {
  const child = await runChild(process.execPath, [fixture('lifetime-child.mjs'), stage, ending]);
  if (ending === 'sigterm') {
    await child.waitForStdout(/\n/);
    child.kill('SIGTERM');
  }
  const result = await child.exited;
  const line = result.stdout.split('\n').find((text) => text.startsWith('{'));
  if (!line) throw new Error(`child ${stage}/${ending} printed no report (${result.code ?? result.signal}): ${result.stderr}`);
  return { report: JSON.parse(line) as Report, result };
}

describe('a process ending at any stage leaves nothing in the kernel', () => {
  for (const stage of stages) {
    for (const ending of endings) {
      const needs = stage === 'import' || stage === 'probe' ? [] : (['tracepoint', 'ringbuf'] as const);
      k.itRequires([...needs], `after ${stage}, by ${ending === 'normal' ? 'a normal exit' : ending === 'exit' ? 'process.exit()' : ending === 'throw' ? 'an uncaught exception' : 'SIGTERM'}`, async () => {
        const { report, result } = await runStage(stage, ending);
        expect(report.stage).toBe(stage);
        // bpfkit installs no signal handlers: SIGTERM keeps its default action and kills
        expect(report.sigtermListeners).toBe(0);
        if (ending === 'sigterm') {
          expect(result.signal, result.stderr).toBe('SIGTERM');
        } else {
          expect(result.signal, result.stderr).toBeNull();
          expect(result.code, result.stderr).toBe(ending === 'throw' ? 1 : 0);
          if (ending === 'throw') expect(result.stderr).toContain(`uncaught at stage ${stage}`);
          else expect(result.stderr).toBe('');
        }
        const held = asIds(report.held);
        if (stage === 'open' || stage === 'iterating' || stage === 'close') {
          // the deletes object on the syscall tracepoints: 6 programs and links, its maps
          expect(held.progs.size).toBeGreaterThanOrEqual(6);
          expect(held.links.size).toBeGreaterThanOrEqual(6);
        }
        expect(await lingering(held, bpfObjectIds)).toEqual({ progs: [], maps: [], links: [] });
      });
    }
  }
});

describe('a worker thread terminated mid-iteration', () => {
  k.itRequires(['tracepoint', 'ringbuf'], 'does not crash the process, and its stream\'s objects are released at terminate()', async () => {
    const child = await runChild(process.execPath, [fixture('lifetime-worker.mjs')]);
    const result = await child.exited;
    expect(result.signal, result.stderr).toBeNull();
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { held: Report['held']; events: number; exitCode: number; bpfFdsDuring: number; bpfFdsAfter: number };
    expect(report.held.progs.length).toBeGreaterThanOrEqual(6);
    expect(report.bpfFdsDuring).toBeGreaterThan(0);
    // terminate() resolves with 1 when the worker was stopped rather than ending by itself
    expect(report.exitCode).toBe(1);
    // the worker's environment teardown closed every fd while the process lived on
    expect(report.bpfFdsAfter).toBe(0);
    expect(await lingering(asIds(report.held), bpfObjectIds)).toEqual({ progs: [], maps: [], links: [] });
  });
});
