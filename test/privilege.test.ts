import { describe, expect, it } from 'vitest';
import { release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runChild } from './support/child.js';

// Without the capabilities BPF tracing needs, every tool fails with a typed EPERM whose message
// names what is missing, and nothing crashes. The child (test/fixtures/privilege-child.mjs) opens
// every tool once through the built dist/ and prints how each attempt ended.

const child = fileURLToPath(new URL('./fixtures/privilege-child.mjs', import.meta.url));
const [major = 0, minor = 0] = release().split('.').map((part) => Number.parseInt(part, 10));
const splitCaps = major > 5 || (major === 5 && minor >= 8);

interface Attempt {
  ok?: unknown;
  error?: { name: string; code: string; message: string; rejected?: { mode: string; reason: string; errno?: string }[] };
}

const dropped = (caps: string[]): string[] =>
  ['capsh', `--drop=${caps.join(',')}`, '--', '-c', `exec "${process.execPath}" "${child}"`];

const scenarios: { label: string; command: string[]; missing: string[] }[] = [
  {
    label: 'as nobody with no capabilities',
    command: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, child],
    missing: splitCaps ? ['CAP_BPF', 'CAP_PERFMON'] : ['CAP_SYS_ADMIN'],
  },
  {
    label: 'as root without CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN',
    command: dropped(['cap_bpf', 'cap_perfmon', 'cap_sys_admin']),
    missing: splitCaps ? ['CAP_BPF', 'CAP_PERFMON'] : ['CAP_SYS_ADMIN'],
  },
  ...(splitCaps ? [
    { label: 'as root without CAP_BPF and CAP_SYS_ADMIN', command: dropped(['cap_bpf', 'cap_sys_admin']), missing: ['CAP_BPF'] },
    { label: 'as root without CAP_PERFMON and CAP_SYS_ADMIN', command: dropped(['cap_perfmon', 'cap_sys_admin']), missing: ['CAP_PERFMON'] },
  ] : []),
];

async function attempts(command: string[]): Promise<Record<string, Attempt>> {
  const running = await runChild(command[0]!, command.slice(1));
  const result = await running.exited;
  expect(result.signal, result.stderr).toBeNull();
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, Attempt>;
}

function phrase(missing: string[]): string {
  const alternative = missing[0] === 'CAP_SYS_ADMIN' ? '' : ' (or CAP_SYS_ADMIN)';
  return `missing ${missing.length > 1 ? 'capabilities' : 'capability'} ${missing.join(', ')}${alternative}`;
}

describe('missing privileges', () => {
  for (const { label, command, missing } of scenarios) {
    it(`${label}: every tool fails with EPERM naming ${missing.join(' and ')}; nothing crashes`, async () => {
      const results = await attempts(command);
      const expected = phrase(missing);
      const probe = results['probe()']!.ok as { tracepoint: { available: boolean; errno: string; reason: string } };
      expect(probe.tracepoint).toMatchObject({ available: false, errno: 'EPERM' });
      expect(probe.tracepoint.reason).toContain(expected);

      const tools = Object.entries(results).filter(([name]) => name !== 'probe()');
      expect(tools.length).toBeGreaterThanOrEqual(4);
      for (const [name, attempt] of tools) {
        expect(attempt.error, `${name} opened without privileges`).toBeDefined();
        const error = attempt.error!;
        expect(error.message, name).toContain(expected);
        if (error.code === 'BPFKIT_NO_MODE') {
          // automatic selection: each tier that was tried says the same
          expect(error.rejected!.length, name).toBeGreaterThan(0);
          for (const rejection of error.rejected!) {
            expect(rejection, name).toMatchObject({ errno: 'EPERM' });
            expect(rejection.reason, name).toContain(expected);
          }
        } else {
          expect(error.code, name).toBe('EPERM');
          expect(error.name, name).toBe('BpfError');
        }
      }
    });
  }

  it('with every capability, an EPERM that has another cause keeps its own explanation', async () => {
    const results = await attempts([process.execPath, child]);
    for (const [name, attempt] of Object.entries(results)) {
      expect(JSON.stringify(attempt), name).not.toContain('missing capabilit');
    }
    expect(results["fileDeletes({ attach: 'tracepoint' })"]!.ok).toEqual({ opened: true });
    const rejected = (results['fileDeletes()']!.ok ? [] : results['fileDeletes()']!.error!.rejected) ?? [];
    const fentry = rejected.find((rejection) => rejection.mode === 'fentry');
    // On this sandboxed kernel fentry is refused with every capability present (kernel-facts.md).
    if (fentry?.errno === 'EPERM') expect(fentry.reason).toContain('a security policy of this kernel forbids trampoline programs');
  });
});
