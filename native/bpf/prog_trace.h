/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Calls of a traced BPF program: the record prog_trace.bpf.c emits. Data only, shared with user
 * space. */
#ifndef __PROG_TRACE_H
#define __PROG_TRACE_H

#define TASK_COMM_LEN 16

/* prog_call_event.kind */
#define PROG_CALL_ENTRY 1 /* fentry: the traced program is about to run */
#define PROG_CALL_EXIT 2  /* fexit: it returned retval */

struct prog_call_event {
	__u64 ts_ns;  /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) */
	__u32 pid;    /* thread group id of the task the program ran in */
	__u32 tid;
	__s32 retval; /* PROG_CALL_EXIT only, else 0 */
	__u32 cpu;
	__u8 kind;
	char comm[TASK_COMM_LEN];
};

#endif /* __PROG_TRACE_H */
