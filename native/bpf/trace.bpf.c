// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One generic entry/exit program pair for any kernel function, chosen at run time.
 *
 * The function is not known when this is compiled: user space sets each fentry/fexit program's
 * target before load (bpf_program__set_attach_target), attaches the kprobe programs by name, or
 * attaches the kprobe.multi pair to a list of functions. The entry program captures the raw
 * argument registers plus the memory reads user space planned from the function's BTF signature
 * (strings, struct fields, as offset chains in targ_funcs); the exit program adds the return value
 * and the latency and emits one trace_event per call. Decoding by type happens in user space.
 *
 * Each object traces up to TRACE_SLOTS functions with copies of the fentry and kprobe programs
 * (the copy's index names the function), or up to TRACE_MAX_FUNCS with kprobe.multi, where the
 * function is found by its address (bpf_get_func_ip) in the sorted targ_func_ips.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "trace.h"
#include "event_buffer.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define MAX_IN_FLIGHT 10240
/* x86_64: addresses below this are user space (TASK_SIZE_MAX rounded up) */
#define USER_ADDRESS_END 0x0000800000000000ULL

const volatile __u32 targ_tgid = 0;
const volatile char targ_comm[TASK_COMM_LEN] = {};
const volatile __u8 targ_pred_op = 0;
const volatile __s64 targ_pred_value = 0;
const volatile __u32 targ_func_count = 0;
const volatile __u64 targ_func_ips[TRACE_MAX_FUNCS] = {};
const volatile struct trace_func targ_funcs[TRACE_MAX_FUNCS] = {};

DEFINE_EVENT_SCRATCH(struct trace_event, event_scratch);

/* Entry records waiting for their return, by (thread id << 32 | function index). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_IN_FLIGHT);
	__type(key, __u64);
	__type(value, struct trace_event);
} starts SEC(".maps");

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

static __always_inline bool predicate_holds(const volatile struct trace_func *f, __u64 raw)
{
	__u8 size = f->pred_size;
	__s64 value = targ_pred_value;
	__s64 s;
	__u64 u;

	if (size == 1)
		u = (__u8)raw, s = (__s8)raw;
	else if (size == 2)
		u = (__u16)raw, s = (__s16)raw;
	else if (size == 4)
		u = (__u32)raw, s = (__s32)raw;
	else
		u = raw, s = (__s64)raw;
	if (f->pred_signed) {
		switch (targ_pred_op) {
		case TRACE_OP_EQ: return s == value;
		case TRACE_OP_NE: return s != value;
		case TRACE_OP_LT: return s < value;
		case TRACE_OP_LE: return s <= value;
		case TRACE_OP_GT: return s > value;
		case TRACE_OP_GE: return s >= value;
		}
		return true;
	}
	switch (targ_pred_op) {
	case TRACE_OP_EQ: return u == (__u64)value;
	case TRACE_OP_NE: return u != (__u64)value;
	case TRACE_OP_LT: return u < (__u64)value;
	case TRACE_OP_LE: return u <= (__u64)value;
	case TRACE_OP_GT: return u > (__u64)value;
	case TRACE_OP_GE: return u >= (__u64)value;
	}
	return true;
}

/* Arguments may point into user memory (__user parameters); the address says which helper works. */
static __always_inline long read_memory(void *dst, __u32 size, __u64 src)
{
	if (src < USER_ADDRESS_END)
		return bpf_probe_read_user(dst, size, (const void *)src);
	return bpf_probe_read_kernel(dst, size, (const void *)src);
}

static __always_inline long read_string(void *dst, __u32 size, __u64 src)
{
	if (src < USER_ADDRESS_END)
		return bpf_probe_read_user_str(dst, size, (const void *)src);
	return bpf_probe_read_kernel_str(dst, size, (const void *)src);
}

static __always_inline __u8 read_planned(const volatile struct trace_read *plan, struct trace_event *e, __u8 *dst)
{
	__u8 depth = plan->depth;
	__u8 arg = plan->arg;
	__u64 address;
	__u32 size;

	if (arg >= TRACE_MAX_ARGS || depth == 0 || depth > TRACE_READ_DEPTH)
		return TRACE_STATUS_UNREAD;
	address = e->args[arg];
	for (int i = 0; i < TRACE_READ_DEPTH - 1; i++) {
		if (i + 1 >= depth)
			break;
		if (!address)
			return TRACE_STATUS_NULL;
		if (read_memory(&address, sizeof(address), address + plan->offsets[i]))
			return TRACE_STATUS_FAULT;
	}
	if (!address)
		return TRACE_STATUS_NULL;
	address += plan->offsets[(depth - 1) & (TRACE_READ_DEPTH - 1)];
	if (plan->kind == TRACE_READ_STRING)
		return read_string(dst, TRACE_READ_MAX, address) < 0 ? TRACE_STATUS_FAULT : TRACE_STATUS_OK;
	size = plan->size;
	if (size == 0 || size > TRACE_READ_MAX)
		return TRACE_STATUS_UNREAD;
	return read_memory(dst, size, address) ? TRACE_STATUS_FAULT : TRACE_STATUS_OK;
}

/* A zeroed scratch event for this call, or NULL when the task is filtered out. */
static __always_inline struct trace_event *begin_entry(__u32 func, __u8 source)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct trace_event *e;

	if (func >= TRACE_MAX_FUNCS)
		return NULL;
	if (targ_tgid && targ_tgid != pid_tgid >> 32)
		return NULL;
	e = event_scratch();
	if (!e)
		return NULL;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	if (!comm_wanted(e->comm))
		return NULL;
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->cpu = bpf_get_smp_processor_id();
	e->func = func;
	e->source = source;
	return e;
}

/* With the arguments captured: apply an argument predicate, do the planned reads, remember. */
static __noinline int commit_entry(struct trace_event *e)
{
	const volatile struct trace_func *f;
	__u32 func = e->func;
	__u8 operand;
	__u64 key;

	if (func >= TRACE_MAX_FUNCS)
		return 0;
	f = &targ_funcs[func];
	operand = f->pred_arg;
	/* the mask changes nothing for operand < TRACE_MAX_ARGS; it bounds the index for the
	 * verifier, which may see the check and the access on different copies of the value */
	if (operand < TRACE_MAX_ARGS && !predicate_holds(f, e->args[operand & 7]))
		return 0;
	for (int i = 0; i < TRACE_MAX_READS; i++) {
		if (f->reads[i].kind != TRACE_READ_NONE)
			e->read_status[i] = read_planned(&f->reads[i], e, e->reads[i]);
	}
	e->ts_ns = bpf_ktime_get_ns();
	key = (__u64)e->tid << 32 | func;
	/* the only loss before the ring: more than MAX_IN_FLIGHT calls in progress at once */
	if (bpf_map_update_elem(&starts, &key, e, BPF_ANY))
		count_dropped();
	return 0;
}

static __noinline int finish(void *ctx, __u32 func, __u64 ret)
{
	__u64 key = (__u64)(__u32)bpf_get_current_pid_tgid() << 32 | func;
	const volatile struct trace_func *f;
	struct trace_event *e;

	if (func >= TRACE_MAX_FUNCS)
		return 0;
	e = bpf_map_lookup_elem(&starts, &key);
	if (!e)
		return 0;
	f = &targ_funcs[func];
	if (f->pred_arg != TRACE_PRED_RET || predicate_holds(f, ret)) {
		e->ret = ret;
		e->latency_ns = bpf_ktime_get_ns() - e->ts_ns;
		emit_event(ctx, e, sizeof(*e));
	}
	bpf_map_delete_elem(&starts, &key);
	return 0;
}

static __always_inline int fentry_entry(void *ctx, __u32 func)
{
	struct trace_event *e = begin_entry(func, TRACE_SOURCE_FENTRY);
	__u64 count;

	if (!e)
		return 0;
	count = bpf_get_func_arg_cnt(ctx);
	e->nargs = count;
	for (int i = 0; i < TRACE_MAX_ARGS; i++) {
		if (i < count)
			bpf_get_func_arg(ctx, i, &e->args[i]);
	}
	return commit_entry(e);
}

static __always_inline int fexit_exit(void *ctx, __u32 func)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	return finish(ctx, func, ret);
}

static __always_inline int kprobe_entry(struct pt_regs *ctx, __u32 func, __u8 source)
{
	struct trace_event *e = begin_entry(func, source);

	if (!e)
		return 0;
	e->nargs = TRACE_MAX_ARGS;
	e->args[0] = PT_REGS_PARM1(ctx);
	e->args[1] = PT_REGS_PARM2(ctx);
	e->args[2] = PT_REGS_PARM3(ctx);
	e->args[3] = PT_REGS_PARM4(ctx);
	e->args[4] = PT_REGS_PARM5(ctx);
	e->args[5] = PT_REGS_PARM6(ctx);
	return commit_entry(e);
}

/* Index of the function starting at ip in the sorted targ_func_ips, or TRACE_MAX_FUNCS. */
static __always_inline __u32 function_at(__u64 ip)
{
	__u32 low = 0, high = targ_func_count;

	for (int i = 0; i < 8 && low < high; i++) {
		__u32 middle = (low + high) / 2;
		__u64 start;

		if (middle >= TRACE_MAX_FUNCS)
			break;
		start = targ_func_ips[middle];
		if (start == ip)
			return middle;
		if (start < ip)
			low = middle + 1;
		else
			high = middle;
	}
	return TRACE_MAX_FUNCS;
}

#define TRACE_SLOT(i)                                                  \
	SEC("fentry")                                                  \
	int BPF_PROG(trace_fentry_##i)                                 \
	{                                                              \
		return fentry_entry(ctx, i);                           \
	}                                                              \
	SEC("fexit")                                                   \
	int BPF_PROG(trace_fexit_##i)                                  \
	{                                                              \
		return fexit_exit(ctx, i);                             \
	}                                                              \
	SEC("kprobe")                                                  \
	int BPF_KPROBE(trace_kprobe_##i)                               \
	{                                                              \
		return kprobe_entry(ctx, i, TRACE_SOURCE_KPROBE);      \
	}                                                              \
	SEC("kretprobe")                                               \
	int BPF_KRETPROBE(trace_kretprobe_##i)                         \
	{                                                              \
		return finish(ctx, i, PT_REGS_RC(ctx));                \
	}

TRACE_SLOT(0)
TRACE_SLOT(1)
TRACE_SLOT(2)
TRACE_SLOT(3)
TRACE_SLOT(4)
TRACE_SLOT(5)
TRACE_SLOT(6)
TRACE_SLOT(7)
TRACE_SLOT(8)
TRACE_SLOT(9)
TRACE_SLOT(10)
TRACE_SLOT(11)
TRACE_SLOT(12)
TRACE_SLOT(13)
TRACE_SLOT(14)
TRACE_SLOT(15)

SEC("kprobe.multi")
int BPF_KPROBE(trace_kprobe_multi)
{
	return kprobe_entry(ctx, function_at(bpf_get_func_ip(ctx)), TRACE_SOURCE_KPROBE_MULTI);
}

SEC("kretprobe.multi")
int BPF_KRETPROBE(trace_kretprobe_multi)
{
	return finish(ctx, function_at(bpf_get_func_ip(ctx)), PT_REGS_RC(ctx));
}
