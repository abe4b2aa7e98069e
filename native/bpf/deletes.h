/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* File and directory deletions: the record deletes.bpf.c emits. Data only, shared with user space. */
#ifndef __DELETES_H
#define __DELETES_H

#define TASK_COMM_LEN 16
#define DELETE_FILENAME_MAX 256
#define DELETE_PREFIX_MAX 64

/* delete_event.source: which program tier saw the deletion */
#define DELETE_SOURCE_FENTRY 1
#define DELETE_SOURCE_KPROBE 2
#define DELETE_SOURCE_TRACEPOINT 3

/* delete_event.op */
#define DELETE_OP_UNLINK 1 /* a file (do_unlinkat, unlink, unlinkat) */
#define DELETE_OP_RMDIR 2  /* a directory (do_rmdir, rmdir, unlinkat with AT_REMOVEDIR) */

/* delete_event.syscall: only the tracepoint tier knows it; the kernel functions serve several */
#define DELETE_SYSCALL_UNKNOWN 0
#define DELETE_SYSCALL_UNLINK 1
#define DELETE_SYSCALL_UNLINKAT 2
#define DELETE_SYSCALL_RMDIR 3

struct delete_event {
	__u64 ts_ns;      /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) when the deletion started */
	__u64 latency_ns; /* start to return */
	__u32 pid;        /* thread group id */
	__u32 tid;
	__u32 uid;
	__s32 dfd;        /* directory fd a relative filename is resolved against (AT_FDCWD = -100) */
	__s32 ret;        /* 0 or -errno */
	__u8 source;
	__u8 op;
	__u8 syscall;
	__u8 filename_truncated; /* the path was longer than DELETE_FILENAME_MAX - 1 bytes */
	char comm[TASK_COMM_LEN];
	char filename[DELETE_FILENAME_MAX]; /* as the caller passed it, NUL-terminated, zero-padded */
};

#endif /* __DELETES_H */
