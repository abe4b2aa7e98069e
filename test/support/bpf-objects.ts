import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface BpfObjectIds {
  progs: Set<number>;
  maps: Set<number>;
  links: Set<number>;
}

/** Ids of every BPF program, map and link in the kernel right now, as bpftool lists them. */
export async function bpfObjectIds(): Promise<BpfObjectIds> {
  const [progs, maps, links] = await Promise.all([ids('prog'), ids('map'), ids('link')]);
  return { progs, maps, links };
}

async function ids(kind: 'prog' | 'map' | 'link'): Promise<Set<number>> {
  const { stdout } = await run('bpftool', ['--json', kind, 'show'], { maxBuffer: 64 << 20 });
  const objects = JSON.parse(stdout || '[]') as { id: number }[];
  return new Set(objects.map((object) => object.id));
}
