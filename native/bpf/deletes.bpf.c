// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * File and directory deletions, one delete_event per completed unlink or rmdir.
 *
 * Three tiers of programs see the same deletions; user space loads exactly one pair per kernel
 * function or syscall, picked by what this kernel can attach:
 *   fentry/fexit on do_unlinkat and do_rmdir (cheapest, needs BPF trampolines),
 *   kprobe/kretprobe on the same functions,
 *   the syscalls:sys_{enter,exit}_{unlinkat,unlink,rmdir} tracepoints (always available).
 * Each entry program remembers the start by thread id; the matching exit program completes the
 * event with the return value and emits it, and always forgets the start.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "deletes.h"
#include "event_buffer.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AT_FDCWD -100
#define AT_REMOVEDIR 0x200
#define MAX_IN_FLIGHT 10240

/* Filters, all set before load; zero means "any". */
const volatile __u32 targ_tgid = 0;
/* uid 0 is a real user, so the uid filter has its own switch */
const volatile bool targ_filter_uid = false;
const volatile __u32 targ_uid = 0;
/* exact match on the task's comm; empty = any */
const volatile char targ_comm[TASK_COMM_LEN] = {};
/* the filename as the caller passed it must start with these targ_prefix_len bytes */
const volatile char targ_prefix[DELETE_PREFIX_MAX] = {};
const volatile __u32 targ_prefix_len = 0;

DEFINE_EVENT_SCRATCH(struct delete_event, event_scratch);

/* Function tiers: the whole event, with the filename copied at entry, because do_unlinkat and
 * do_rmdir free their struct filename before they return. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_IN_FLIGHT);
	__type(key, __u32);
	__type(value, struct delete_event);
} function_starts SEC(".maps");

/* Syscall tier: the user pointer only. The filename is read at exit, when the kernel has already
 * copied it, so its page is known to be resident (a read at entry could fault and fail). */
struct syscall_start {
	__u64 ts_ns;
	__u64 filename;
	__s32 dfd;
	__u8 op;
	__u8 syscall;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_IN_FLIGHT);
	__type(key, __u32);
	__type(value, struct syscall_start);
} syscall_starts SEC(".maps");

static __always_inline bool task_wanted(__u64 pid_tgid, __u32 uid)
{
	if (targ_tgid && targ_tgid != pid_tgid >> 32)
		return false;
	if (targ_filter_uid && targ_uid != uid)
		return false;
	return true;
}

static __always_inline bool comm_wanted(const char *comm)
{
	if (!targ_comm[0])
		return true;
	for (int i = 0; i < TASK_COMM_LEN; i++) {
		if (comm[i] != targ_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

static __always_inline bool filename_wanted(const char *filename)
{
	for (__u32 i = 0; i < DELETE_PREFIX_MAX && i < targ_prefix_len; i++) {
		if (filename[i] != targ_prefix[i])
			return false;
	}
	return true;
}

/* A full buffer can also be a name of exactly DELETE_FILENAME_MAX - 1 bytes: only the byte after
 * the copied ones tells them apart. */
static __always_inline void read_filename(struct delete_event *e, const char *src, bool user)
{
	const char *last = src + sizeof(e->filename) - 1;
	char next = 0;
	long n;

	if (user)
		n = bpf_probe_read_user_str(e->filename, sizeof(e->filename), src);
	else
		n = bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), src);
	if (n != sizeof(e->filename))
		return;
	if (user)
		bpf_probe_read_user(&next, 1, last);
	else
		bpf_probe_read_kernel(&next, 1, last);
	e->filename_truncated = next != 0;
}

static __always_inline void fill_task(struct delete_event *e, __u64 pid_tgid, __u32 uid)
{
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->uid = uid;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
}

static __always_inline int start_function(int dfd, struct filename *name, __u8 source, __u8 op)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 uid = (__u32)bpf_get_current_uid_gid();
	__u32 tid = (__u32)pid_tgid;
	struct delete_event *e;

	if (!task_wanted(pid_tgid, uid))
		return 0;
	e = event_scratch();
	if (!e)
		return 0;
	fill_task(e, pid_tgid, uid);
	if (!comm_wanted(e->comm))
		return 0;
	read_filename(e, BPF_CORE_READ(name, name), false);
	if (!filename_wanted(e->filename))
		return 0;
	e->ts_ns = bpf_ktime_get_ns();
	e->dfd = dfd;
	e->source = source;
	e->op = op;
	e->syscall = DELETE_SYSCALL_UNKNOWN;
	/* the only way to lose a deletion before the ring: more than MAX_IN_FLIGHT at once */
	if (bpf_map_update_elem(&function_starts, &tid, e, BPF_ANY))
		count_dropped();
	return 0;
}

static __always_inline int finish_function(void *ctx, int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct delete_event *e = bpf_map_lookup_elem(&function_starts, &tid);

	if (!e)
		return 0;
	e->ret = ret;
	e->latency_ns = bpf_ktime_get_ns() - e->ts_ns;
	emit_event(ctx, e, sizeof(*e));
	bpf_map_delete_elem(&function_starts, &tid);
	return 0;
}

SEC("fentry/do_unlinkat")
int BPF_PROG(handle_fentry_do_unlinkat, int dfd, struct filename *name)
{
	return start_function(dfd, name, DELETE_SOURCE_FENTRY, DELETE_OP_UNLINK);
}

SEC("fexit/do_unlinkat")
int BPF_PROG(handle_fexit_do_unlinkat, int dfd, struct filename *name, int ret)
{
	return finish_function(ctx, ret);
}

SEC("fentry/do_rmdir")
int BPF_PROG(handle_fentry_do_rmdir, int dfd, struct filename *name)
{
	return start_function(dfd, name, DELETE_SOURCE_FENTRY, DELETE_OP_RMDIR);
}

SEC("fexit/do_rmdir")
int BPF_PROG(handle_fexit_do_rmdir, int dfd, struct filename *name, int ret)
{
	return finish_function(ctx, ret);
}

SEC("kprobe/do_unlinkat")
int BPF_KPROBE(handle_kprobe_do_unlinkat, int dfd, struct filename *name)
{
	return start_function(dfd, name, DELETE_SOURCE_KPROBE, DELETE_OP_UNLINK);
}

SEC("kretprobe/do_unlinkat")
int BPF_KRETPROBE(handle_kretprobe_do_unlinkat, int ret)
{
	return finish_function(ctx, ret);
}

SEC("kprobe/do_rmdir")
int BPF_KPROBE(handle_kprobe_do_rmdir, int dfd, struct filename *name)
{
	return start_function(dfd, name, DELETE_SOURCE_KPROBE, DELETE_OP_RMDIR);
}

SEC("kretprobe/do_rmdir")
int BPF_KRETPROBE(handle_kretprobe_do_rmdir, int ret)
{
	return finish_function(ctx, ret);
}

static __always_inline int start_syscall(int dfd, unsigned long filename, __u8 op, __u8 syscall)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 uid = (__u32)bpf_get_current_uid_gid();
	__u32 tid = (__u32)pid_tgid;
	char comm[TASK_COMM_LEN];
	struct syscall_start start = {
		.filename = filename,
		.dfd = dfd,
		.op = op,
		.syscall = syscall,
	};

	if (!task_wanted(pid_tgid, uid))
		return 0;
	if (targ_comm[0]) {
		bpf_get_current_comm(comm, sizeof(comm));
		if (!comm_wanted(comm))
			return 0;
	}
	start.ts_ns = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&syscall_starts, &tid, &start, BPF_ANY))
		count_dropped();
	return 0;
}

static __always_inline int finish_syscall(void *ctx, long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct syscall_start *start;
	struct delete_event *e;

	start = bpf_map_lookup_elem(&syscall_starts, &tid);
	if (!start)
		return 0;
	e = event_scratch();
	if (!e)
		goto forget;
	read_filename(e, (const char *)start->filename, true);
	if (!filename_wanted(e->filename))
		goto forget;
	fill_task(e, pid_tgid, (__u32)bpf_get_current_uid_gid());
	e->ts_ns = start->ts_ns;
	e->latency_ns = bpf_ktime_get_ns() - start->ts_ns;
	e->dfd = start->dfd;
	e->ret = ret;
	e->source = DELETE_SOURCE_TRACEPOINT;
	e->op = start->op;
	e->syscall = start->syscall;
	emit_event(ctx, e, sizeof(*e));
forget:
	bpf_map_delete_elem(&syscall_starts, &tid);
	return 0;
}

SEC("tp/syscalls/sys_enter_unlinkat")
int handle_sys_enter_unlinkat(struct trace_event_raw_sys_enter *ctx)
{
	__u8 op = ctx->args[2] & AT_REMOVEDIR ? DELETE_OP_RMDIR : DELETE_OP_UNLINK;

	return start_syscall((int)ctx->args[0], ctx->args[1], op, DELETE_SYSCALL_UNLINKAT);
}

SEC("tp/syscalls/sys_exit_unlinkat")
int handle_sys_exit_unlinkat(struct trace_event_raw_sys_exit *ctx)
{
	return finish_syscall(ctx, ctx->ret);
}

SEC("tp/syscalls/sys_enter_unlink")
int handle_sys_enter_unlink(struct trace_event_raw_sys_enter *ctx)
{
	return start_syscall(AT_FDCWD, ctx->args[0], DELETE_OP_UNLINK, DELETE_SYSCALL_UNLINK);
}

SEC("tp/syscalls/sys_exit_unlink")
int handle_sys_exit_unlink(struct trace_event_raw_sys_exit *ctx)
{
	return finish_syscall(ctx, ctx->ret);
}

SEC("tp/syscalls/sys_enter_rmdir")
int handle_sys_enter_rmdir(struct trace_event_raw_sys_enter *ctx)
{
	return start_syscall(AT_FDCWD, ctx->args[0], DELETE_OP_RMDIR, DELETE_SYSCALL_RMDIR);
}

SEC("tp/syscalls/sys_exit_rmdir")
int handle_sys_exit_rmdir(struct trace_event_raw_sys_exit *ctx)
{
	return finish_syscall(ctx, ctx->ret);
}
