import { readFileSync } from 'node:fs';
import { release } from 'node:os';

// Why the kernel said EPERM. Loading tracing programs and creating BPF maps needs CAP_BPF plus
// CAP_PERFMON since 5.8, CAP_SYS_ADMIN before (and CAP_SYS_ADMIN still covers both). When the
// process has what the kernel asks for, the EPERM came from something else (lockdown, an LSM, a
// sandbox) and nothing is added here: callers keep their own explanation for that case.

const CAP_SYS_ADMIN = 21;
const CAP_PERFMON = 38;
const CAP_BPF = 39;

/** The effective capability set of this process (CapEff in /proc/self/status), or undefined. */
function effectiveCapabilities(): bigint | undefined {
  try {
    const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return hex === undefined ? undefined : BigInt(`0x${hex}`);
  } catch {
    return undefined;
  }
}

/** True on kernels that know CAP_BPF and CAP_PERFMON (5.8+). */
function splitBpfCapabilities(): boolean {
  const [major = 0, minor = 0] = release().split('.').map((part) => Number.parseInt(part, 10));
  return major > 5 || (major === 5 && minor >= 8);
}

/** The capabilities BPF tracing needs that this process lacks; empty when it has them all. */
function missingBpfCapabilities(): string[] {
  const effective = effectiveCapabilities();
  if (effective === undefined) return [];
  const has = (bit: number): boolean => ((effective >> BigInt(bit)) & 1n) === 1n;
  if (has(CAP_SYS_ADMIN)) return [];
  if (!splitBpfCapabilities()) return ['CAP_SYS_ADMIN'];
  return [[CAP_BPF, 'CAP_BPF'], [CAP_PERFMON, 'CAP_PERFMON']].flatMap(([bit, name]) => (has(bit as number) ? [] : [name as string]));
}

/**
 * For an EPERM caused by missing capabilities: "missing capabilities CAP_BPF, CAP_PERFMON (or
 * CAP_SYS_ADMIN)". Undefined for any other errno, or when the process has every capability.
 */
export function privilegeExplanation(errno: string | undefined): string | undefined {
  if (errno !== 'EPERM') return undefined;
  const missing = missingBpfCapabilities();
  if (missing.length === 0) return undefined;
  const alternative = missing[0] === 'CAP_SYS_ADMIN' ? '' : ' (or CAP_SYS_ADMIN)';
  return `missing ${missing.length > 1 ? 'capabilities' : 'capability'} ${missing.join(', ')}${alternative}`;
}
