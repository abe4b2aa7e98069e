/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The records bench.bpf.c emits. Data only, shared with the C consumer; the JS consumer reads the
 * same fixed offsets (bench/consumers/decode.mjs). */
#ifndef __BENCH_H
#define __BENCH_H

/* Every record starts with this header; the rest is payload the producer fills word by word. */
struct bench_header {
	__u64 ts_ns; /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) when the record was written */
	__u64 seq;   /* position in the producer's sequence */
	__u32 pid;   /* thread group id of the task that produced it */
	__u32 cpu;
};

struct bench_event_32 {
	struct bench_header h;
	__u64 value;
};

struct bench_event_256 {
	struct bench_header h;
	__u64 words[29];
};

#endif /* __BENCH_H */
