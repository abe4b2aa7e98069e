/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one way every event-producing object hands records to user space.
 *
 * A BPF ring buffer (`events`) by default; a perf event array (`events_perf`) when user space sets
 * targ_use_perf, for kernels without ring buffers (< 5.8). In that case user space also tells
 * libbpf not to create `events`: libbpf then poisons the instructions that reference it, and the
 * verifier accepts them because targ_use_perf is read-only data it knows to be true, which makes
 * the ring-buffer branch dead code.
 *
 * Include once per object, after vmlinux.h and bpf_helpers.h.
 */
#ifndef __EVENT_BUFFER_BPF_H
#define __EVENT_BUFFER_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	/* user space resizes it (power-of-two multiple of the page size) */
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events_perf SEC(".maps");

/* Records that never reached user space because the ring was full or perf output failed. Summing
 * the per-CPU values gives the exact count. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} dropped SEC(".maps");

/* Records submitted on this CPU since the last forced wakeup (targ_wakeup_every > 0 only). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} wakeup_count SEC(".maps");

/* Every targ_* in bpfkit is zero by default and zero keeps the default behaviour, so user space
 * may start from an all-zero .rodata. */
const volatile bool targ_use_perf = false;
/* 0: wake the consumer for every record (libbpf's default). N > 0: each consumer wakeup costs the
 * producer microseconds, so only every N-th record per CPU wakes it; user space flushes on a timer
 * so the records in between never wait forever. */
const volatile __u32 targ_wakeup_every = 0;

static __always_inline __u64 ringbuf_wakeup_flag(void)
{
	__u32 zero = 0;
	__u64 *count;

	if (!targ_wakeup_every)
		return 0;
	count = bpf_map_lookup_elem(&wakeup_count, &zero);
	if (!count)
		return 0;
	if (++*count < targ_wakeup_every)
		return BPF_RB_NO_WAKEUP;
	*count = 0;
	return BPF_RB_FORCE_WAKEUP;
}

static __always_inline void count_dropped(void)
{
	__u32 zero = 0;
	__u64 *count = bpf_map_lookup_elem(&dropped, &zero);

	/* atomic: a program nested on this CPU (an NMI-context tracepoint) may count at the same time */
	if (count)
		__sync_fetch_and_add(count, 1);
}

/* Copies size bytes at data into the active buffer. data may be on the stack or in a map value
 * (use DEFINE_EVENT_SCRATCH for events too big for the 512-byte stack). Returns 0 or the helper's
 * negative error; a failure is already counted in `dropped`. */
static __always_inline long emit_event(void *ctx, void *data, __u64 size)
{
	long err;

	if (targ_use_perf)
		err = bpf_perf_event_output(ctx, &events_perf, BPF_F_CURRENT_CPU, data, size);
	else
		err = bpf_ringbuf_output(&events, data, size, ringbuf_wakeup_flag());
	if (err)
		count_dropped();
	return err;
}

/*
 * Per-CPU scratch space for one event of event_type, for events that do not fit on the stack:
 *
 *	DEFINE_EVENT_SCRATCH(struct big_event, big_event_scratch);
 *	...
 *	struct big_event *e = big_event_scratch();
 *	if (!e)
 *		return 0;
 *	...fill e...
 *	emit_event(ctx, e, sizeof(*e));
 *
 * The getter zeroes the space, so bytes past a string's NUL never carry an older event's data.
 * BPF programs do not migrate between CPUs while they run, so the space is theirs until they
 * return; a program that may nest inside another one on the same CPU needs its own scratch map.
 */
#define DEFINE_EVENT_SCRATCH(event_type, name)                             \
	struct {                                                           \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                   \
		__uint(max_entries, 1);                                    \
		__type(key, __u32);                                        \
		__type(value, event_type);                                 \
	} name##_map SEC(".maps");                                         \
	static __always_inline event_type *name(void)                      \
	{                                                                  \
		__u32 zero = 0;                                            \
		event_type *e = bpf_map_lookup_elem(&name##_map, &zero);   \
                                                                           \
		if (e)                                                     \
			__builtin_memset(e, 0, sizeof(*e));                \
		return e;                                                  \
	}

#endif /* __EVENT_BUFFER_BPF_H */
