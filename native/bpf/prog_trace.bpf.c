// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fentry/fexit on any loaded BPF program: one prog_call_event per call and per return. User space
 * sets the attach target at run time (the traced program's fd and its function name).
 *
 * Neither program reads the traced program's arguments, so they fit any target. The return value
 * comes from bpf_get_func_ret rather than from a BPF_PROG argument: how many argument slots the
 * trampoline saved depends on the target's BTF (five, not one, for a tracepoint program whose
 * argument is not its expected context type), and only the helper knows.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "prog_trace.h"
#include "event_buffer.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline void emit_call(void *ctx, __u8 kind, __s32 retval)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct prog_call_event e = {};

	e.ts_ns = bpf_ktime_get_ns();
	e.pid = pid_tgid >> 32;
	e.tid = (__u32)pid_tgid;
	e.retval = retval;
	e.cpu = bpf_get_smp_processor_id();
	e.kind = kind;
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	emit_event(ctx, &e, sizeof(e));
}

SEC("fentry")
int BPF_PROG(trace_prog_entry)
{
	emit_call(ctx, PROG_CALL_ENTRY, 0);
	return 0;
}

SEC("fexit")
int BPF_PROG(trace_prog_exit)
{
	__u64 retval = 0;

	bpf_get_func_ret(ctx, &retval);
	/* BPF programs return int: the upper half of the register is not part of the value */
	emit_call(ctx, PROG_CALL_EXIT, (__s32)retval);
	return 0;
}
