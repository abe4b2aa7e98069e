// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Histograms of TCP's smoothed round-trip time (tp->srtt_us >> 3), one sample per segment that
 * reaches an established socket: the semantics of bcc's tcprtt.
 *
 * Five programs feed the same histograms; user space loads the one this kernel can attach:
 * fentry or kprobe on tcp_rcv_established, or the tcp:tcp_probe tracepoint (which fires at the
 * top of tcp_rcv_established) as tp_btf, raw_tp or a classic tracepoint.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "tcprtt.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AF_INET 2
#define AF_INET6 10

/* Filters, all set before load; zero means "any". Ports are in host byte order. An IPv4 address
 * filter only passes AF_INET sockets and an IPv6 one only AF_INET6 sockets (an IPv4-mapped peer
 * of an IPv6 socket is matched as ::ffff:a.b.c.d). */
const volatile __u16 targ_family = 0;
const volatile __u16 targ_sport = 0;
const volatile __u16 targ_dport = 0;
const volatile __be32 targ_saddr = 0;
const volatile __be32 targ_daddr = 0;
const volatile __be32 targ_saddr_v6[4] = {};
const volatile __be32 targ_daddr_v6[4] = {};
/* one histogram per local (laddr) or remote (raddr) address instead of a single one */
const volatile bool targ_laddr_hist = false;
const volatile bool targ_raddr_hist = false;
/* samples in milliseconds instead of microseconds */
const volatile bool targ_ms = false;

/* Never cleared here: user space subtracts its previous snapshot, so no sample falls between two
 * intervals. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct hist_key);
	__type(value, struct hist);
} hists SEC(".maps");

/* One round-trip sample, whichever program saw it. Addresses in network byte order (IPv4 in
 * word 0, the rest zero); ports in host byte order. */
struct tcp_sample {
	__u16 family;
	__u16 sport;
	__u16 dport;
	__be32 saddr[4];
	__be32 daddr[4];
	__u32 srtt_us;
};

static __always_inline bool v6_filter_set(const volatile __be32 *filter)
{
	return filter[0] | filter[1] | filter[2] | filter[3];
}

static __always_inline bool v6_equal(const volatile __be32 *filter, const __be32 *addr)
{
	return filter[0] == addr[0] && filter[1] == addr[1] && filter[2] == addr[2] &&
	       filter[3] == addr[3];
}

static __always_inline bool sample_wanted(const struct tcp_sample *s)
{
	if (targ_family && targ_family != s->family)
		return false;
	if (targ_sport && targ_sport != s->sport)
		return false;
	if (targ_dport && targ_dport != s->dport)
		return false;
	if (targ_saddr && (s->family != AF_INET || targ_saddr != s->saddr[0]))
		return false;
	if (targ_daddr && (s->family != AF_INET || targ_daddr != s->daddr[0]))
		return false;
	if (v6_filter_set(targ_saddr_v6) &&
	    (s->family != AF_INET6 || !v6_equal(targ_saddr_v6, s->saddr)))
		return false;
	if (v6_filter_set(targ_daddr_v6) &&
	    (s->family != AF_INET6 || !v6_equal(targ_daddr_v6, s->daddr)))
		return false;
	return true;
}

/* floor(log2(v)), and 0 for 0 */
static __always_inline __u32 log2_u32(__u32 v)
{
	__u32 r, shift;

	r = (v > 0xffff) << 4;
	v >>= r;
	shift = (v > 0xff) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xf) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	return r | (v >> 1);
}

static __always_inline struct hist *hist_for(const struct hist_key *key)
{
	struct hist zero = {};
	struct hist *h;

	h = bpf_map_lookup_elem(&hists, key);
	if (h)
		return h;
	/* BPF_NOEXIST: another CPU may have created it since the lookup; then use theirs */
	bpf_map_update_elem(&hists, key, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&hists, key);
}

static __always_inline int record_sample(const struct tcp_sample *s)
{
	struct hist_key key = {};
	struct hist *h;
	__u32 value, slot;

	if (!sample_wanted(s))
		return 0;
	if (targ_laddr_hist) {
		key.family = s->family;
		__builtin_memcpy(key.addr, s->saddr, sizeof(key.addr));
	} else if (targ_raddr_hist) {
		key.family = s->family;
		__builtin_memcpy(key.addr, s->daddr, sizeof(key.addr));
	}
	h = hist_for(&key);
	if (!h)
		return 0;

	value = s->srtt_us;
	if (targ_ms)
		value /= 1000;
	slot = log2_u32(value);
	if (slot >= TCPRTT_MAX_SLOTS)
		slot = TCPRTT_MAX_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
	__sync_fetch_and_add(&h->latency_sum, value);
	__sync_fetch_and_add(&h->count, 1);
	return 0;
}

static __always_inline int handle_tcp_rcv(struct sock *sk)
{
	struct tcp_sample s = {};

	s.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	s.sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	s.dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (s.family == AF_INET) {
		s.saddr[0] = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		s.daddr[0] = BPF_CORE_READ(sk, __sk_common.skc_daddr);
	} else if (s.family == AF_INET6) {
		BPF_CORE_READ_INTO(&s.saddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&s.daddr, sk, __sk_common.skc_v6_daddr);
	}
	s.srtt_us = BPF_CORE_READ((struct tcp_sock *)sk, srtt_us) >> 3;
	return record_sample(&s);
}

SEC("fentry/tcp_rcv_established")
int BPF_PROG(handle_fentry_tcp_rcv, struct sock *sk)
{
	return handle_tcp_rcv(sk);
}

SEC("kprobe/tcp_rcv_established")
int BPF_KPROBE(handle_kprobe_tcp_rcv, struct sock *sk)
{
	return handle_tcp_rcv(sk);
}

SEC("tp_btf/tcp_probe")
int BPF_PROG(handle_tp_btf_tcp_probe, struct sock *sk)
{
	return handle_tcp_rcv(sk);
}

SEC("raw_tp/tcp_probe")
int BPF_PROG(handle_raw_tp_tcp_probe, struct sock *sk)
{
	return handle_tcp_rcv(sk);
}

/* The record holds sockaddr_in (address at byte 4) or sockaddr_in6 (address at byte 8). The
 * addresses are copied with bpf_core_read: CO-RE turns &ctx->saddr[i] into ctx plus a relocated
 * offset, and the verifier refuses loads through such a modified context pointer. */
SEC("tp/tcp/tcp_probe")
int handle_tp_tcp_probe(struct trace_event_raw_tcp_probe *ctx)
{
	struct tcp_sample s = {};

	s.family = ctx->family;
	s.sport = ctx->sport;
	s.dport = ctx->dport;
	if (s.family == AF_INET) {
		bpf_core_read(&s.saddr[0], 4, &ctx->saddr[4]);
		bpf_core_read(&s.daddr[0], 4, &ctx->daddr[4]);
	} else if (s.family == AF_INET6) {
		bpf_core_read(s.saddr, 16, &ctx->saddr[8]);
		bpf_core_read(s.daddr, 16, &ctx->daddr[8]);
	}
	s.srtt_us = ctx->srtt;
	return record_sample(&s);
}
