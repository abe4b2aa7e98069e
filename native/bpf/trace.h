/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Tracing any kernel function: the record trace.bpf.c emits and the per-function read plan user
 * space writes into .rodata. Data only, shared with user space. */
#ifndef __TRACE_H
#define __TRACE_H

#define TASK_COMM_LEN 16

/* raw register-sized arguments captured per call */
#define TRACE_MAX_ARGS 6
/* memory reads (strings, struct fields) per function */
#define TRACE_MAX_READS 4
/* offsets per read: a pointer is loaded between consecutive ones */
#define TRACE_READ_DEPTH 4
/* bytes per read; strings keep at most TRACE_READ_MAX - 1 characters */
#define TRACE_READ_MAX 64
/* fentry/fexit and kprobe/kretprobe program copies: functions one object can trace */
#define TRACE_SLOTS 16
/* functions one kprobe.multi object can trace */
#define TRACE_MAX_FUNCS 128

/* trace_read.kind */
#define TRACE_READ_NONE 0
#define TRACE_READ_STRING 1 /* a NUL-terminated string */
#define TRACE_READ_BYTES 2  /* trace_read.size bytes */

/* trace_event.read_status[] */
#define TRACE_STATUS_UNREAD 0
#define TRACE_STATUS_OK 1
#define TRACE_STATUS_FAULT 2 /* the read helper failed (unmapped or paged-out memory) */
#define TRACE_STATUS_NULL 3  /* the argument or a pointer on the way was NULL */

/* trace_func.pred_arg: the predicate's operand */
#define TRACE_PRED_RET 6
#define TRACE_PRED_NONE 0xff

/* targ_pred_op */
#define TRACE_OP_EQ 1
#define TRACE_OP_NE 2
#define TRACE_OP_LT 3
#define TRACE_OP_LE 4
#define TRACE_OP_GT 5
#define TRACE_OP_GE 6

/* trace_event.source */
#define TRACE_SOURCE_FENTRY 1
#define TRACE_SOURCE_KPROBE 2
#define TRACE_SOURCE_KPROBE_MULTI 3

/* Where one value lives: start from argument `arg`, add offsets[0], load a pointer there, add
 * offsets[1], ... and read the last address (depth offsets, depth - 1 pointer loads). */
struct trace_read {
	__u32 offsets[TRACE_READ_DEPTH];
	__u8 arg;
	__u8 kind;
	__u8 depth;
	__u8 size;
};

struct trace_func {
	struct trace_read reads[TRACE_MAX_READS];
	__u8 pred_arg;    /* TRACE_PRED_NONE, an argument index, or TRACE_PRED_RET */
	__u8 pred_size;   /* bytes of the predicate's operand: 1, 2, 4 or 8 */
	__u8 pred_signed; /* compare as a signed value */
	__u8 pad;
};

struct trace_event {
	__u64 ts_ns;      /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) at entry */
	__u64 latency_ns; /* entry to return */
	__u64 args[TRACE_MAX_ARGS];
	__u64 ret;        /* the raw return register */
	__u32 pid;        /* thread group id */
	__u32 tid;
	__u32 cpu;        /* CPU at entry */
	__u32 func;       /* index of the function: program slot, or position in targ_func_ips */
	__u8 source;
	__u8 nargs;       /* arguments the kernel reported (fentry), else TRACE_MAX_ARGS */
	__u8 pad[2];
	__u8 read_status[TRACE_MAX_READS];
	char comm[TASK_COMM_LEN];
	__u8 reads[TRACE_MAX_READS][TRACE_READ_MAX];
};

#endif /* __TRACE_H */
