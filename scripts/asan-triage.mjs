#!/usr/bin/env node
// Reads the sanitizer logs of an ASan run (scripts/build-asan.sh) and prints the findings that are
// the addon's: every AddressSanitizer error and UBSan runtime error, and the leaks allocated by
// code in bpfkit.node (the addon with libbpf, libelf and zlib linked in). Node is not built with
// ASan, and every process of the run has libasan preloaded (bpftool, iproute2, coreutils too):
// a process that ends by process.exit() leaves V8's heap behind, which LeakSanitizer reports, and
// other tools leak at exit by design. Those leaks are counted but not findings.
// Usage: node scripts/asan-triage.mjs LOG_DIR; exits 1 when there are findings.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
const findings = [];
let foreignLeaks = 0;
const ALLOCATORS = /asan_malloc_linux|asan_new_delete|__interceptor_|operator new|libasan/;

for (const name of readdirSync(dir)) {
  const text = readFileSync(join(dir, name), 'utf8');
  if (/ERROR: AddressSanitizer|runtime error:/.test(text)) findings.push(`${name}:\n${text.split('\n').slice(0, 40).join('\n')}`);
  for (const block of text.split(/\n(?=(?:Direct|Indirect) leak of )/).slice(1)) {
    const frames = block.split('\n').filter((line) => /^\s+#\d+ /.test(line));
    const site = frames.find((frame) => !ALLOCATORS.test(frame));
    if (site && /bpfkit\.node/.test(site)) findings.push(`${name}: leak allocated by the addon:\n${block.split('\n').slice(0, 16).join('\n')}`);
    else foreignLeaks++;
  }
}
console.log(`asan-triage: ${findings.length} finding(s) of the addon; ${foreignLeaks} leak report(s) allocated outside it (node at process.exit, other tools) ignored`);
for (const finding of findings) console.log(`\n${finding}`);
process.exitCode = findings.length ? 1 : 0;
