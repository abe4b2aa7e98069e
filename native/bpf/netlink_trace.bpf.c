// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fentry/fexit on another BPF program: netlink.bpf.c's handle_netlink_extack. User space sets the
 * attach target at run time (that program's fd and the function name "handle_netlink_extack").
 *
 * The fentry argument mirrors the traced program's one argument, the tracepoint record; it must
 * not be called ctx, because BPF_PROG already names its own context ctx. The return value is NOT
 * read as a second BPF_PROG argument: the trampoline around a tracepoint program saves all five
 * BPF argument registers (bpf_get_func_arg_cnt() is 5 on 6.1 and 6.12, the verifier falls back to
 * that when a program's BTF argument is not its expected context type), so a second argument
 * reads the traced program's second register, an instruction pointer. bpf_get_func_ret knows
 * the real slot.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "netlink.h"
#include "event_buffer.bpf.h"
#include "netlink_extack.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("fentry")
int BPF_PROG(handle_fentry_extack, struct trace_event_raw_netlink_extack *record)
{
	return emit_extack(ctx, record, NETLINK_SOURCE_FENTRY, 0);
}

SEC("fexit")
int BPF_PROG(handle_fexit_extack, struct trace_event_raw_netlink_extack *record)
{
	__u64 retval = 0;

	bpf_get_func_ret(ctx, &retval);
	/* BPF programs return int: the upper half of the register is not part of the value */
	return emit_extack(ctx, record, NETLINK_SOURCE_FEXIT, (__s32)retval);
}
