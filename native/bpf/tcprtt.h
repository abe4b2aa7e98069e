/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* TCP smoothed round-trip time histograms: the map tcprtt.bpf.c fills. Data only, shared with
 * user space. */
#ifndef __TCPRTT_H
#define __TCPRTT_H

/* slot i counts samples in [2^i, 2^(i+1)) (slot 0 also holds 0); the last slot holds the rest */
#define TCPRTT_MAX_SLOTS 27

/* Key of the `hists` map. All zero unless per-address histograms are on; then family is AF_INET
 * (2) or AF_INET6 (10) and addr holds the address in network byte order (4 bytes for IPv4, the
 * rest zero). */
struct hist_key {
	__u16 family;
	__u8 addr[16];
};

/* Cumulative since load: the BPF side only ever adds, so user space reads deltas. */
struct hist {
	__u64 latency_sum; /* sum of the samples, in the histogram's unit (us or ms) */
	__u64 count;       /* number of samples */
	__u32 slots[TCPRTT_MAX_SLOTS];
};

#endif /* __TCPRTT_H */
