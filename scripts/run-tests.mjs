#!/usr/bin/env node
// Runs every bpfkit test: the static checks, the host suite (vitest), then test/kernels inside one
// QEMU guest per kernel of the matrix, and ends with a summary whose last line is
// "<passed> passed, <failed> failed" over all of them (CI reads that line).
//
// Usage: node scripts/run-tests.mjs [--host-only | --kernels-only] [--kernel PKG]...
//   --kernel PKG   boot only this Debian kernel package (repeatable), e.g. linux-image-6.12-amd64
// Guest knobs (see scripts/run-in-kernel.sh): RIK_TIMEOUT (default 1500 s), RIK_MEM (3072 MiB), RIK_CACHE.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { constants, release } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = join(repo, '.cache', 'test-results');
const vitest = join(repo, 'node_modules', 'vitest', 'vitest.mjs');

// The kernels the kernel tier must pass on: Debian 12's own (6.1) and its 6.12 from bookworm-security.
const KERNEL_MATRIX = [
  { pkg: 'linux-image-amd64', series: '6.1' },
  { pkg: 'linux-image-6.12-amd64', series: '6.12' },
];

const options = parseArgs(process.argv.slice(2));
const suites = [];
if (!options.kernelsOnly) {
  suites.push(await runChecks());
  suites.push(await runHostSuite());
}
if (!options.hostOnly) {
  for (const kernel of options.kernels) suites.push(await runGuestSuite(kernel));
}
process.exitCode = printSummary(suites) ? 0 : 1;

function parseArgs(args) {
  const usage = 'usage: node scripts/run-tests.mjs [--host-only | --kernels-only] [--kernel PKG]...';
  const parsed = { hostOnly: false, kernelsOnly: false, kernels: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--host-only') parsed.hostOnly = true;
    else if (arg === '--kernels-only') parsed.kernelsOnly = true;
    else if (arg === '--kernel' && args[i + 1]) parsed.kernels.push(kernelNamed(args[++i]));
    else if (arg.startsWith('--kernel=')) parsed.kernels.push(kernelNamed(arg.slice('--kernel='.length)));
    else if (arg === '-h' || arg === '--help') {
      console.log(usage);
      process.exit(0);
    } else {
      console.error(`run-tests: unexpected argument '${arg}'\n${usage}`);
      process.exit(2);
    }
  }
  if (parsed.hostOnly && parsed.kernelsOnly) {
    console.error(`run-tests: --host-only and --kernels-only exclude each other\n${usage}`);
    process.exit(2);
  }
  if (parsed.kernels.length === 0) parsed.kernels = KERNEL_MATRIX;
  return parsed;
}

function kernelNamed(pkg) {
  const known = KERNEL_MATRIX.find((kernel) => kernel.pkg === pkg);
  return known ?? { pkg, series: /^linux-image-(\d+\.\d+)/.exec(pkg)?.[1] };
}

/** The checks that are not vitest tests, each counted as one test. */
async function runChecks() {
  const suite = newSuite('checks');
  const started = Date.now();
  const skeletons = 'skeletons regenerate byte-identically';
  if (existsSync(join(repo, 'scripts', 'gen-skeletons.sh'))) {
    banner('checks: scripts/gen-skeletons.sh --check');
    record(suite, skeletons, await run('scripts/gen-skeletons.sh', ['--check']));
  } else {
    console.log('run-tests: scripts/gen-skeletons.sh is absent, skipping the skeleton check');
    suite.skipped.push({ title: skeletons, reason: 'scripts/gen-skeletons.sh is absent' });
  }
  banner('checks: npm run typecheck');
  record(suite, 'typecheck (npm run typecheck)', await run('npm', ['run', '--silent', 'typecheck']));
  suite.seconds = (Date.now() - started) / 1000;
  return suite;
}

function record(suite, title, exitCode) {
  if (exitCode === 0) suite.passed++;
  else {
    suite.failed++;
    suite.failures.push(`${title} (exit status ${exitCode})`);
  }
}

async function runHostSuite() {
  banner('host: vitest run');
  const output = resultFile('host');
  const started = Date.now();
  const exitCode = await run(process.execPath, [vitest, 'run', ...reporterArgs(output)]);
  return suiteFromVitest('host', output, exitCode, started);
}

/** One guest boot per kernel runs every file of test/kernels. */
async function runGuestSuite({ pkg, series }) {
  const name = `guest ${series ?? '?'} (${pkg})`;
  banner(`${name}: vitest run test/kernels under scripts/run-in-kernel.sh`);
  const output = resultFile(`guest-${pkg}`);
  const guestEnv = [
    'BPFKIT_IN_GUEST=1',
    `BPFKIT_HOST_KERNEL_RELEASE=${release()}`,
    ...(series ? [`BPFKIT_GUEST_KERNEL_SERIES=${series}`] : []),
  ];
  const command = ['env', ...guestEnv, process.execPath, vitest, 'run', 'test/kernels', ...reporterArgs(output)];
  const started = Date.now();
  const exitCode = await run(join(repo, 'scripts', 'run-in-kernel.sh'), ['--rw', resultsDir, '--', ...command], {
    RIK_KERNEL: pkg,
    RIK_TIMEOUT: process.env.RIK_TIMEOUT ?? '1500',
    RIK_MEM: process.env.RIK_MEM ?? '3072',
  });
  const why = { 124: 'the guest timed out (RIK_TIMEOUT)', 125: 'the guest VM failed' }[exitCode];
  return suiteFromVitest(name, output, exitCode, started, why);
}

function reporterArgs(output) {
  return ['--reporter=default', '--reporter=json', `--outputFile.json=${output}`];
}

/** A fresh path for a suite's JSON, so a crashed run cannot be read as an old success. */
function resultFile(name) {
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${name}.json`);
  rmSync(file, { force: true });
  return file;
}

function suiteFromVitest(name, output, exitCode, started, why) {
  const suite = newSuite(name);
  suite.seconds = (Date.now() - started) / 1000;
  let report;
  try {
    report = JSON.parse(readFileSync(output, 'utf8'));
  } catch {
    suite.failed = 1;
    suite.failures.push(`${why ?? 'vitest crashed'}: no results in ${relative(repo, output)} (exit status ${exitCode})`);
    return suite;
  }
  for (const file of report.testResults ?? []) {
    const path = relative(repo, file.name);
    let failedInFile = 0;
    for (const test of file.assertionResults ?? []) {
      const title = [path, ...(test.ancestorTitles ?? []), test.title].join(' > ');
      if (test.status === 'passed') suite.passed++;
      else if (test.status === 'failed') {
        failedInFile++;
        suite.failures.push(title);
      } else suite.skipped.push(skipOf(title, test.status));
    }
    // A file that failed outside any test (import error, failing hook) still counts as a failure.
    if (file.status === 'failed' && failedInFile === 0) {
      failedInFile = 1;
      suite.failures.push(`${path}: ${firstLine(file.message) || 'failed outside its tests'}`);
    }
    suite.failed += failedInFile;
  }
  if (exitCode !== 0 && suite.failed === 0) {
    suite.failed = 1;
    suite.failures.push(`${why ?? 'vitest'}: exit status ${exitCode} although no test failed (see the output above)`);
  }
  return suite;
}

function skipOf(title, status) {
  const tagged = /^(.*?)\s*\[SKIPPED: (.*)\]\s*$/.exec(title);
  if (tagged) return { title: tagged[1], reason: tagged[2] };
  return { title, reason: status === 'todo' ? 'todo' : 'NO REASON GIVEN (put [SKIPPED: reason] in the title)' };
}

function firstLine(text) {
  return (text ?? '').trim().split('\n')[0];
}

function newSuite(name) {
  return { name, passed: 0, failed: 0, failures: [], skipped: [], seconds: 0 };
}

/** Prints the summary; returns whether everything passed. The last line is the CI's verdict. */
function printSummary(suites) {
  console.log('\n======== summary ========');
  let passed = 0;
  let failed = 0;
  for (const suite of suites) {
    passed += suite.passed;
    failed += suite.failed;
    const seconds = suite.seconds.toFixed(1);
    console.log(`${suite.name}: ${suite.passed} passed, ${suite.failed} failed, ${suite.skipped.length} skipped (${seconds}s)`);
    for (const failure of suite.failures) console.log(`  FAILED  ${failure}`);
    for (const { title, reason } of suite.skipped) console.log(`  SKIPPED ${title} -- ${reason}`);
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0;
}

function banner(text) {
  console.log(`\n======== ${text} ========`);
}

/** Runs a command in the repo with inherited stdio; resolves with its exit status (128+n on signal n). */
function run(cmd, args, extraEnv = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: repo, stdio: 'inherit', env: { ...process.env, ...extraEnv } });
    child.on('error', (error) => {
      console.error(`run-tests: cannot run ${cmd}: ${error.message}`);
      resolve(127);
    });
    child.on('exit', (code, signal) => resolve(code ?? 128 + constants.signals[signal]));
  });
}
