import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { release } from 'node:os';
import { spawnSync } from 'node:child_process';
import { canAttachFentry, canAttachKprobe, probe, tracepointExists, libbpfVersion } from '../../lib/index.js';
import { inGuest } from '../support/guest.js';
import { itUnless } from '../support/skip.js';

// The probe must tell the truth about the running kernel. Two kernels are known exactly: this
// machine's sandboxed 6.18 (trampolines denied, no kprobes) and the Debian guests (6.1: no
// kprobe.multi; 6.12: everything).
// lockdown is only readable with securityfs mounted; the library never mounts anything, a test may.
if (!existsSync('/sys/kernel/security/lockdown')) {
  spawnSync('mount', ['-t', 'securityfs', 'securityfs', '/sys/kernel/security']);
}
const report = await probe();
const guest = inGuest();

describe('probe()', () => {
  it('reports the kernel, libbpf, BTF and lockdown', () => {
    expect(report.kernel.release).toBe(release());
    expect(report.libbpf).toBe(libbpfVersion());
    const [major, minor] = report.libbpf.split('.').map(Number);
    expect(major! * 100 + minor!).toBeGreaterThanOrEqual(105);
    expect(report.btf.vmlinux).toBe(existsSync('/sys/kernel/btf/vmlinux'));
    expect(report.btf.modules).toBe(readdirSync('/sys/kernel/btf').length - 1);
    expect(report.lockdown).toMatch(/^(none|integrity|confidentiality)$/);
  });

  it('finds tracepoints, raw_tp, tp_btf and both buffers usable, by attaching', () => {
    for (const mode of ['tracepoint', 'raw_tp', 'tp_btf'] as const) expect(report.modes[mode]).toEqual({ available: true });
    expect(report.buffers).toEqual({ ringbuf: { available: true }, perf: { available: true } });
  });

  itUnless(guest ? 'describes the sandboxed host kernel, not a QEMU guest' : '', 'on this machine: fentry/fexit denied with EPERM, kprobes not compiled in', () => {
    for (const mode of ['fentry', 'fexit'] as const) {
      expect(report.modes[mode]).toMatchObject({ available: false, errno: 'EPERM' });
      expect(report.modes[mode].reason).toMatch(/^BPF_PROG_LOAD of a trampoline program failed: EPERM/);
    }
    for (const mode of ['kprobe', 'kretprobe', 'kprobe.multi'] as const) {
      expect(report.modes[mode].available).toBe(false);
      expect(report.modes[mode].reason).toMatch(/kernel built without CONFIG_KPROBES \(no kprobe PMU, no kprobe_events\)/);
    }
    expect(report.lockdown).toBe('integrity');
  });

  itUnless(guest ? '' : 'runs only inside a QEMU guest kernel', 'in a Debian guest: fentry, fexit, kprobe and kretprobe all attach', () => {
    for (const mode of ['fentry', 'fexit', 'kprobe', 'kretprobe'] as const) expect(report.modes[mode]).toEqual({ available: true });
    const multi = report.modes['kprobe.multi'];
    if (release().startsWith('6.1.')) expect(multi).toMatchObject({ available: false, errno: 'EOPNOTSUPP' });
    else expect(multi).toEqual({ available: true });
  });
});

describe('per-function probes', () => {
  it('canAttachFentry and canAttachKprobe answer for real functions as the kernel allows', async () => {
    const fentry = await canAttachFentry('do_unlinkat');
    const kprobe = await canAttachKprobe('do_unlinkat');
    expect(fentry.available).toBe(report.modes.fentry.available);
    expect(kprobe.available).toBe(report.modes.kprobe.available);
  });

  it('a function that does not exist is not attachable, with a reason', async () => {
    const missing = await canAttachFentry('bpfkit_no_such_function');
    expect(missing.available).toBe(false);
    expect(missing.reason).toBeTruthy();
    expect((await canAttachKprobe('bpfkit_no_such_function')).available).toBe(false);
  });

  it('tracepointExists attaches to say yes or no', async () => {
    expect(await tracepointExists('syscalls', 'sys_enter_unlinkat')).toBe(true);
    expect(await tracepointExists('netlink', 'netlink_extack')).toBe(true);
    expect(await tracepointExists('bpfkit', 'no_such_event')).toBe(false);
  });

  it('invalid arguments are typed errors', async () => {
    expect(() => canAttachFentry('')).toThrow(RangeError);
    expect(() => canAttachFentry(42 as unknown as string)).toThrow(TypeError);
    expect(() => canAttachFentry('do_unlinkat\0x')).toThrow(/NUL/);
    expect(() => canAttachKprobe('not a symbol')).toThrow(RangeError);
    expect(() => canAttachFentry('do_unlinkat', 'no_such_module')).toThrow(expect.objectContaining({ code: 'BPFKIT_NOT_FOUND' }));
    await expect(tracepointExists('sys calls', 'x')).rejects.toThrow(RangeError);
  });
});
