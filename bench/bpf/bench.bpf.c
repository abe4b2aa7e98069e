// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Producers for bpfkit's benchmark (bench/run.mjs). Every record goes out through
 * event_buffer.bpf.h's emit_event(), the path the tools use, so the C consumer and bpfkit's
 * EventStream read exactly what a tool would hand them.
 *
 * Synthetic (maximum rate): synth_32 / synth_256 run through BPF_PROG_TEST_RUN with
 * ctx = { count, first_seq } and emit `count` records in a bpf_loop.
 * Realistic: one record per getppid() of the process targ_tgid, from each tier that can see the
 * syscall on this kernel: the syscalls:sys_enter_getppid tracepoint, and raw_tp / tp_btf on
 * sys_enter (which fire for every syscall and keep only getppid).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bench.h"
#include "event_buffer.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#if defined(__TARGET_ARCH_x86)
#define BENCH_NR_GETPPID 110
#else
#error "bench.bpf.c knows getppid's syscall number on x86_64 only"
#endif

/* the realistic producers keep only this process's syscalls */
const volatile __u32 targ_tgid = 0;

/* Sequence numbers of the realistic producers, per CPU: a shared counter would make the producer
 * pay for cache-line traffic no real tool pays. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} getppid_seq SEC(".maps");

struct loop_ctx {
	void *ctx;
	__u64 first_seq;
	__u32 pid;
	__u32 cpu;
};

static __always_inline void fill_header(struct bench_header *h, __u64 seq, __u32 pid, __u32 cpu)
{
	h->ts_ns = bpf_ktime_get_ns();
	h->seq = seq;
	h->pid = pid;
	h->cpu = cpu;
}

static long emit_32(__u32 i, void *data)
{
	struct loop_ctx *c = data;
	struct bench_event_32 e;
	__u64 seq = c->first_seq + i;

	fill_header(&e.h, seq, c->pid, c->cpu);
	e.value = seq;
	emit_event(c->ctx, &e, sizeof(e));
	return 0;
}

static long emit_256(__u32 i, void *data)
{
	struct loop_ctx *c = data;
	struct bench_event_256 e;
	__u64 seq = c->first_seq + i;

	fill_header(&e.h, seq, c->pid, c->cpu);
	/* every word written, as a real producer fills its whole record */
#pragma unroll
	for (int w = 0; w < 29; w++)
		e.words[w] = seq + w;
	emit_event(c->ctx, &e, sizeof(e));
	return 0;
}

static __always_inline int run_synthetic(__u64 *ctx, void *emit)
{
	struct loop_ctx c = {
		.ctx = ctx,
		.first_seq = ctx[1],
		.pid = bpf_get_current_pid_tgid() >> 32,
		.cpu = bpf_get_smp_processor_id(),
	};

	bpf_loop(ctx[0], emit, &c, 0);
	return 0;
}

SEC("raw_tp")
int synth_32(__u64 *ctx)
{
	return run_synthetic(ctx, emit_32);
}

SEC("raw_tp")
int synth_256(__u64 *ctx)
{
	return run_synthetic(ctx, emit_256);
}

static __always_inline int emit_getppid(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct bench_event_32 e;
	__u32 zero = 0;
	__u64 *seq;

	if (pid_tgid >> 32 != targ_tgid)
		return 0;
	seq = bpf_map_lookup_elem(&getppid_seq, &zero);
	if (!seq)
		return 0;
	fill_header(&e.h, (*seq)++, pid_tgid >> 32, bpf_get_smp_processor_id());
	e.value = (__u32)pid_tgid;
	emit_event(ctx, &e, sizeof(e));
	return 0;
}

SEC("tp/syscalls/sys_enter_getppid")
int getppid_tracepoint(void *ctx)
{
	return emit_getppid(ctx);
}

SEC("raw_tp/sys_enter")
int BPF_PROG(getppid_raw_tp, struct pt_regs *regs, long id)
{
	if (id != BENCH_NR_GETPPID)
		return 0;
	return emit_getppid(ctx);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(getppid_tp_btf, struct pt_regs *regs, long id)
{
	if (id != BENCH_NR_GETPPID)
		return 0;
	return emit_getppid(ctx);
}
