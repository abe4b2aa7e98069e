// The npm package as users get it. `npm pack`, then an offline install into an empty project where
// no compiler is reachable: the prebuilt addon must be what loads, and the CLI, a real tool, a strict
// TypeScript consumer, ESM import and CommonJS require must all work from there. A second install
// of the same tarball with --build-from-source proves the fallback compiles from the shipped files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelSupport } from './support/kernel.js';
import { floors } from '../scripts/glibc-floor.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const prebuilt = join(repo, 'prebuilds', 'linux-x64', 'bpfkit.node');
const k = await kernelSupport();

const work = mkdtempSync(join(tmpdir(), 'bpfkit-packaging-'));
const tools = join(work, 'bin');
let tarball = '';
let packedFiles: string[] = [];

/** The prebuild is stale when any input of the addon is newer than it. */
function prebuildIsFresh(): boolean {
  if (!existsSync(prebuilt)) return false;
  const built = statSync(prebuilt).mtimeMs;
  const inputs = [join(repo, 'binding.gyp'), ...filesUnder(join(repo, 'native')), ...filesUnder(join(repo, '.cache', 'deps', 'lib'))];
  return inputs.every((file) => statSync(file).mtimeMs <= built);
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

interface Ran { status: number | null; stdout: string; stderr: string }

/**
 * Runs a command with exactly `env` (nothing inherited: no npm_config_* of the test runner).
 * Asynchronous, because a blocked event loop makes vitest's worker miss its own heartbeats.
 */
function run(cmd: string, args: string[], cwd: string, env: Record<string, string>): Promise<Ran> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

/** PATH holds node, npm, npx and a shell only: no cc, c++, gcc, clang, make or python. */
function bareEnv(): Record<string, string> {
  return { PATH: tools, HOME: process.env.HOME ?? '/root', TMPDIR: tmpdir() };
}

function newProject(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, type: 'module' }));
  return dir;
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Runs a step of the repo's own build with the test runner's environment; fails with its output. */
async function repoStep(cmd: string, args: string[]): Promise<string> {
  const result = await run(cmd, args, repo, process.env as Record<string, string>);
  expect(result.status, `${cmd} ${args.join(' ')}\n${result.stdout}${result.stderr}`).toBe(0);
  return result.stdout;
}

beforeAll(async () => {
  if (!prebuildIsFresh()) await repoStep('npm', ['run', '--silent', 'prebuild']);
  await repoStep('npm', ['run', '--silent', 'build:ts']);
  const [packed] = JSON.parse(await repoStep('npm', ['pack', '--json', '--pack-destination', work])) as
    { filename: string; files: { path: string }[] }[];
  tarball = join(work, packed!.filename);
  packedFiles = packed!.files.map((file) => file.path);

  mkdirSync(tools);
  for (const tool of ['node', 'npm', 'npx', 'sh', 'env']) {
    symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(tools, tool));
  }
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm pack', () => {
  it('ships the prebuilt addon, the compiled library and its declarations, the source-build inputs and the licences, and nothing else', () => {
    const allowed = [
      /^package\.json$/, /^README\.md$/, /^LICENSE$/, /^THIRD-PARTY-NOTICES\.md$/, /^licenses\/(libbpf|elfutils|zlib)\//,
      /^prebuilds\/linux-x64\/bpfkit\.node$/, /^dist\/(lib|types)\/.+\.(js|d\.ts)$/, /^binding\.gyp$/,
      /^native\/src\/[\w-]+\.(cc|h)$/, /^native\/bpf\/[\w.-]+\.h$/, /^native\/bpf\/skel\/x64\/\w+\.skel\.h$/,
      /^scripts\/(build-static-deps|static-deps-prefix)\.sh$/,
    ];
    expect(packedFiles.filter((file) => !allowed.some((pattern) => pattern.test(file)))).toEqual([]);
    for (const required of [
      'prebuilds/linux-x64/bpfkit.node', 'dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/lib/cli/main.js',
      'dist/types/native.d.ts', 'binding.gyp', 'native/src/addon.cc', 'native/src/glibc_compat.cc',
      'native/bpf/skel/x64/deletes.skel.h', 'scripts/build-static-deps.sh', 'scripts/static-deps-prefix.sh',
      'LICENSE', 'THIRD-PARTY-NOTICES.md', 'licenses/libbpf/LICENSE.BSD-2-Clause', 'licenses/libbpf/LICENSE.LGPL-2.1',
      'licenses/elfutils/COPYING-LGPLV3', 'licenses/elfutils/COPYING', 'licenses/elfutils/COPYING-GPLV2',
      'licenses/zlib/LICENSE',
    ]) {
      expect(packedFiles).toContain(required);
    }
    // Every source file binding.gyp compiles must be in the package, or the fallback cannot build.
    const gypSources = readFileSync(join(repo, 'binding.gyp'), 'utf8').match(/native\/src\/[\w-]+\.cc/g) ?? [];
    expect(gypSources.length).toBeGreaterThan(0);
    expect(gypSources.filter((source) => !packedFiles.includes(source))).toEqual([]);
  });

  it('has a prebuilt addon that needs only the C/C++ runtime, at most glibc 2.28', () => {
    const ldd = execFileSync('ldd', [prebuilt], { encoding: 'utf8' });
    const libraries = ldd.split('\n').map((line) => line.trim().split(/\s/)[0]!).filter(Boolean);
    const runtime = /^(linux-vdso\.so\.1|libc\.so\.6|libm\.so\.6|libstdc\+\+\.so\.6|libgcc_s\.so\.1|\/lib64\/ld-linux-x86-64\.so\.2)$/;
    expect(libraries.filter((library) => !runtime.test(library))).toEqual([]);
    expect(libraries).toContain('libc.so.6');

    const report = execFileSync(process.execPath, [join(repo, 'scripts', 'glibc-floor.mjs'), prebuilt, '--json'], { encoding: 'utf8' });
    const needs = JSON.parse(report) as Record<string, { version: string }>;
    expect(needs).toEqual(floors(prebuilt));
    // 2.28 is Node 20's own floor; fcntl64 (2.28) is the newest symbol left.
    expect(needs.GLIBC!.version).toBe('2.28');
    // GCC 5's libstdc++ (3.4.21), the same floor as the node binary's.
    expect(needs.GLIBCXX!.version).toBe('3.4.21');
  });
});

describe('an offline install with no compiler reachable', () => {
  let project = '';
  let installLog = '';

  beforeAll(async () => {
    project = newProject('consumer');
    const env = bareEnv();
    for (const compiler of ['cc', 'c++', 'gcc', 'g++', 'clang', 'make', 'python3']) {
      expect((await run('sh', ['-c', `command -v ${compiler}`], project, env)).status, compiler).not.toBe(0);
    }
    const install = await run('npm', ['install', '--offline', '--foreground-scripts', '--loglevel=info', tarball], project, env);
    installLog = install.stdout + install.stderr;
    expect(install.status, installLog).toBe(0);
  }, 120_000);

  it('runs the install script without compiling anything', () => {
    expect(installLog).toMatch(/run bpfkit@[\d.]+ install node_modules\/bpfkit node-gyp-build/);
    expect(installLog).toMatch(/run bpfkit@[\d.]+ install \{ code: 0, signal: null \}/);
    expect(installLog).not.toMatch(/gyp info|CXX\(target\)|node-gyp rebuild/);
    expect(existsSync(join(project, 'node_modules', 'bpfkit', 'build'))).toBe(false);
  });

  it('loads the prebuilt binary, byte for byte the one the prebuild produced', async () => {
    const result = await run('node', ['--input-type=module', '-e',
      "import { nativePath, libbpfVersion } from 'bpfkit'; console.log(JSON.stringify({ nativePath, libbpf: libbpfVersion() }))"],
    project, bareEnv());
    expect(result.status, result.stderr).toBe(0);
    const loaded = JSON.parse(result.stdout) as { nativePath: string; libbpf: string };
    expect(loaded.nativePath).toBe(join(project, 'node_modules', 'bpfkit', 'prebuilds', 'linux-x64', 'bpfkit.node'));
    expect(sha256(loaded.nativePath)).toBe(sha256(prebuilt));
    expect(loaded.libbpf).toBe('1.5');
  });

  it('runs `npx bpfkit probe`', async () => {
    const result = await run('npx', ['--offline', 'bpfkit', 'probe'], project, bareEnv());
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^libbpf\s+1\.5$/m);
    expect(result.stdout).toMatch(/^\s+tracepoint\s+yes$/m);
  });

  k.itRequires(['tracepoint', 'ringbuf'], 'runs fileDeletes (tracepoint tier), which sees a real deletion', async () => {
    writeFileSync(join(project, 'deletes.mjs'), `
      import { fileDeletes } from 'bpfkit';
      import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
      setTimeout(() => { console.error('no event within 10 s'); process.exit(1); }, 10_000).unref();
      const dir = mkdtempSync('/tmp/bpfkit-packaging-deletes-');
      const file = dir + '/gone.txt';
      writeFileSync(file, 'x');
      const stream = fileDeletes({ attach: 'tracepoint', prefix: dir });
      const { mode } = await stream.ready;
      unlinkSync(file); // fs.unlinkSync issues unlink(2), not unlinkat(2)
      for await (const event of stream) {
        if (event.filename !== file) continue;
        console.log(JSON.stringify({ mode, file, pid: process.pid, event: { ...event, timestampNs: String(event.timestampNs) } }));
        break;
      }
      rmSync(dir, { recursive: true });
    `);
    const result = await run('node', ['deletes.mjs'], project, bareEnv());
    expect(result.status, result.stderr).toBe(0);
    const { mode, file, pid, event } = JSON.parse(result.stdout) as { mode: string; file: string; pid: number; event: Record<string, unknown> };
    expect(mode).toBe('tracepoint');
    expect(event).toMatchObject({ pid, tid: pid, comm: 'node', filename: file, ret: 0, call: 'unlink', mode: 'tracepoint' });
  });

  it('type-checks a strict NodeNext TypeScript consumer against the shipped declarations', async () => {
    mkdirSync(join(project, 'src'));
    writeFileSync(join(project, 'src', 'main.ts'), `
      import { fileDeletes, probe, BpfError, nativePath, type DeleteEvent, type ProbeReport } from 'bpfkit';

      const report: ProbeReport = await probe();
      const tracepoint: boolean = report.modes.tracepoint.available;
      const stream = fileDeletes({ attach: 'tracepoint', prefix: '/tmp/' });
      for await (const event of stream) {
        const seen: DeleteEvent = event;
        const ret: number = seen.ret;
        console.log(ret, tracepoint, nativePath.length, BpfError.name);
        break;
      }
      // @ts-expect-error: the declarations are real, so an unknown attach mode does not type-check
      fileDeletes({ attach: 'uprobe' });
    `);
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true,
        skipLibCheck: false, types: ['node'], typeRoots: [join(repo, 'node_modules', '@types')],
      },
      include: ['src'],
    }));
    const result = await run(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], project, bareEnv());
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  it('lets CommonJS require() the ESM package on Node >= 20.19 (require(esm)), and says why not before', async () => {
    writeFileSync(join(project, 'check.cjs'), `
      try {
        const bpfkit = require('bpfkit');
        console.log(JSON.stringify({ ok: true, fileDeletes: typeof bpfkit.fileDeletes, nativePath: bpfkit.nativePath }));
      } catch (error) {
        console.log(JSON.stringify({ ok: false, code: error.code }));
      }
    `);
    const result = await run('node', ['check.cjs'], project, bareEnv());
    expect(result.status, result.stderr).toBe(0);
    const outcome = JSON.parse(result.stdout) as { ok: boolean; code?: string; fileDeletes?: string; nativePath?: string };
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    if (major > 20 || (major === 20 && minor >= 19)) {
      expect(outcome).toEqual({
        ok: true, fileDeletes: 'function',
        nativePath: join(project, 'node_modules', 'bpfkit', 'prebuilds', 'linux-x64', 'bpfkit.node'),
      });
    } else {
      expect(outcome).toEqual({ ok: false, code: 'ERR_REQUIRE_ESM' });
    }
  });
});

describe('npm install --build-from-source', () => {
  it('compiles the addon from the shipped sources with the documented build dependencies, and loads that build', async () => {
    const project = newProject('from-source');
    // node-gyp takes the headers from the running node's own prefix: nothing comes from nodejs.org.
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', TMPDIR: tmpdir(),
      npm_config_nodedir: resolve(process.execPath, '..', '..'),
      // The static libraries scripts/setup.sh built (with the same shipped build-static-deps.sh): building
      // them again here would add a minute and prove nothing new.
      BPFKIT_DEPS_DIR: join(repo, '.cache', 'deps'),
    };
    const install = await run('npm', ['install', '--offline', '--build-from-source', '--foreground-scripts', tarball], project, env);
    expect(install.status, install.stdout + install.stderr).toBe(0);
    expect(install.stdout + install.stderr).toMatch(/gyp info ok/);
    const built = join(project, 'node_modules', 'bpfkit', 'build', 'Release', 'bpfkit.node');
    expect(existsSync(built)).toBe(true);

    const result = await run('npx', ['--offline', 'bpfkit', 'probe'], project, env);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^\s+tracepoint\s+yes$/m);
    const loaded = await run('node', ['--input-type=module', '-e', "import { nativePath } from 'bpfkit'; console.log(nativePath)"], project, env);
    expect(loaded.stdout.trim()).toBe(built);
  }, 240_000);
});
