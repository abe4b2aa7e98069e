import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { BpfObjectIds } from './bpf-objects.js';

const kinds = { 'bpf-prog': ['progs', 'prog_id'], 'bpf-map': ['maps', 'map_id'], 'bpf_link': ['links', 'link_id'] } as const;

/**
 * Ids of the BPF programs, maps and links this process holds fds to, from /proc/self/fdinfo.
 * Unlike a bpftool listing, other processes' BPF objects never show up here.
 */
export function ownBpfObjects(): BpfObjectIds {
  const owned: BpfObjectIds = { progs: new Set(), maps: new Set(), links: new Set() };
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    let info: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
      info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
    } catch {
      continue; // closed between readdir and read
    }
    const kind = kinds[target.replace('anon_inode:', '') as keyof typeof kinds];
    if (!kind) continue;
    const id = new RegExp(`^${kind[1]}:\\s*(\\d+)`, 'm').exec(info)?.[1];
    if (id) owned[kind[0]].add(Number(id));
  }
  return owned;
}

/** The ids of `owned` that the kernel still lists in `now` (should be none after a close). */
export function stillLoaded(owned: BpfObjectIds, now: BpfObjectIds): { progs: number[]; maps: number[]; links: number[] } {
  const alive = (ids: Set<number>, all: Set<number>) => [...ids].filter((id) => all.has(id));
  return { progs: alive(owned.progs, now.progs), maps: alive(owned.maps, now.maps), links: alive(owned.links, now.links) };
}

/**
 * What of `owned` the kernel still lists after up to `timeoutMs`: the kernel frees maps and
 * programs from a workqueue after an RCU grace period, so they may outlive their last fd briefly.
 */
export async function lingering(
  owned: BpfObjectIds,
  list: () => Promise<BpfObjectIds>,
  timeoutMs = 5_000,
): Promise<{ progs: number[]; maps: number[]; links: number[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = stillLoaded(owned, await list());
    const none = alive.progs.length + alive.maps.length + alive.links.length === 0;
    if (none || Date.now() > deadline) return alive;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
