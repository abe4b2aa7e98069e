import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Native } from '../types/native.js';

/** The package root: the nearest folder above this file whose package.json names bpfkit. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'bpfkit') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('bpfkit: cannot find the package root');
    dir = parent;
  }
}

const require = createRequire(import.meta.url);
const load = require('node-gyp-build') as ((dir: string) => unknown) & { path(dir: string): string };

export const root = packageRoot();

/** The addon, typed once: build/Release first (a source build), then prebuilds/ (node-gyp-build's order). */
export const native = load(root) as Native;

/** Absolute path of the .node file that was loaded. */
export const nativePath: string = load.path(root);
