import { readdirSync, readlinkSync } from 'node:fs';

/** Open file descriptors of this process with what each points at (e.g. `anon_inode:bpf-map`). */
export function listOpenFds(): { fd: number; target: string }[] {
  const fds: { fd: number; target: string }[] = [];
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      fds.push({ fd: Number(name), target: readlinkSync(`/proc/self/fd/${name}`) });
    } catch {
      // The directory handle readdirSync used is listed too, and is closed by now.
    }
  }
  return fds;
}

/** How many file descriptors this process has open; compare before/after to find leaks. */
export function countOpenFds(): number {
  return listOpenFds().length;
}
