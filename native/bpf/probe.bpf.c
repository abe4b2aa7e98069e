// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Do-nothing programs and maps for capability probes: user space loads (and attaches) one of them
 * to learn whether this kernel really supports that program or map type. Only a real load and
 * attach tells the truth; a BTF id or a kallsyms symbol can exist while the kernel refuses the
 * program. Every program's target is given at run time (set_attach_target or the attach call).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} probe_ringbuf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} probe_perf SEC(".maps");

SEC("fentry")
int BPF_PROG(probe_fentry)
{
	return 0;
}

SEC("fexit")
int BPF_PROG(probe_fexit)
{
	return 0;
}

SEC("kprobe")
int BPF_KPROBE(probe_kprobe)
{
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(probe_kretprobe)
{
	return 0;
}

SEC("kprobe.multi")
int BPF_KPROBE(probe_kprobe_multi)
{
	return 0;
}

SEC("tracepoint")
int probe_tracepoint(void *ctx)
{
	return 0;
}

SEC("raw_tp")
int BPF_PROG(probe_raw_tp)
{
	return 0;
}

/* set_attach_target takes the bare tracepoint name ("sys_enter"): libbpf looks up btf_trace_<name> */
SEC("tp_btf")
int BPF_PROG(probe_tp_btf)
{
	return 0;
}
