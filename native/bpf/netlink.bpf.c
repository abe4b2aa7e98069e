// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Netlink extended-ack error messages ("Parent Qdisc doesn't exists") from the
 * netlink:netlink_extack tracepoint, one netlink_event each.
 *
 * handle_netlink_extack is also the attach target of netlink_trace.bpf.c's fentry/fexit programs
 * (tracing a BPF program), so its name and signature are part of that contract.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "netlink.h"
#include "event_buffer.bpf.h"
#include "netlink_extack.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set when only the fentry/fexit views were asked for: the program must still run, since it is
 * what they trace, but its own events are not wanted. */
const volatile bool targ_quiet = false;

SEC("tp/netlink/netlink_extack")
int handle_netlink_extack(struct trace_event_raw_netlink_extack *ctx)
{
	if (!targ_quiet)
		emit_extack(ctx, ctx, NETLINK_SOURCE_TRACEPOINT, 0);
	return NETLINK_TRACEPOINT_RETVAL;
}
