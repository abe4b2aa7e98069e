/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Turns a netlink:netlink_extack tracepoint record into a netlink_event, for the tracepoint
 * program and for the fentry/fexit programs that trace it. Include after event_buffer.bpf.h. */
#ifndef __NETLINK_EXTACK_BPF_H
#define __NETLINK_EXTACK_BPF_H

DEFINE_EVENT_SCRATCH(struct netlink_event, event_scratch);

/* The record is read with bpf_probe_read_kernel rather than dereferenced, because fentry/fexit
 * programs receive it as a plain argument, not as their context. msg is a __data_loc field: the
 * low 16 bits are the offset of the string from the start of the record, the high 16 bits its
 * length including the NUL. */
static __always_inline int emit_extack(void *ctx, const struct trace_event_raw_netlink_extack *record,
				       __u8 source, __s32 retval)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct netlink_event *e;
	__u32 loc = 0;
	__u16 len;

	if (bpf_probe_read_kernel(&loc, sizeof(loc), &record->__data_loc_msg))
		return 0;
	e = event_scratch();
	if (!e)
		return 0;
	e->ts_ns = bpf_ktime_get_ns();
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->retval = retval;
	e->source = source;
	len = loc >> 16;
	e->message_len = len ? len - 1 : 0;
	e->truncated = e->message_len > NETLINK_MSG_MAX - 1;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_kernel_str(e->message, sizeof(e->message),
				  (const char *)record + (loc & 0xffff));
	emit_event(ctx, e, sizeof(*e));
	return 0;
}

#endif /* __NETLINK_EXTACK_BPF_H */
