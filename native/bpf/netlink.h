/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Netlink extended-ack error messages: the record netlink.bpf.c and netlink_trace.bpf.c emit.
 * Data only, shared with user space. */
#ifndef __NETLINK_H
#define __NETLINK_H

#define TASK_COMM_LEN 16
/* extack messages are string literals in the kernel, nearly all under 80 bytes */
#define NETLINK_MSG_MAX 256

/* netlink_event.source */
#define NETLINK_SOURCE_TRACEPOINT 1 /* the tp/netlink/netlink_extack program itself */
#define NETLINK_SOURCE_FENTRY 2     /* fentry on that program */
#define NETLINK_SOURCE_FEXIT 3      /* fexit on that program; retval is its return value */

/* What handle_netlink_extack returns, so a test can recognise it in an fexit event's retval. */
#define NETLINK_TRACEPOINT_RETVAL 0

struct netlink_event {
	__u64 ts_ns;       /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) */
	__u32 pid;         /* thread group id */
	__u32 tid;
	__s32 retval;      /* NETLINK_SOURCE_FEXIT only, else 0 */
	__u8 source;
	__u8 truncated;    /* message_len > NETLINK_MSG_MAX - 1: message holds its first bytes */
	__u16 message_len; /* the whole message's length in bytes, without the NUL */
	char comm[TASK_COMM_LEN];
	char message[NETLINK_MSG_MAX]; /* NUL-terminated, zero-padded */
};

#endif /* __NETLINK_H */
