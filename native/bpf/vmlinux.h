/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel types bpfkit's BPF programs use, written by hand instead of dumped with
 * `bpftool btf dump file /sys/kernel/btf/vmlinux format c`.
 *
 * Why hand-written: a full dump is ~2.8 MB, differs per kernel build and cannot be reviewed; this
 * file is small enough to read, and every type in it is here because a program needs it.
 *
 * Why it still works on every kernel: each struct carries preserve_access_index, so clang records
 * field accesses as CO-RE relocations and libbpf rewrites the offsets against the running kernel's
 * BTF at load time. The layouts below therefore only need the right field names and types; the
 * offsets written here are never trusted. Anonymous unions the kernel wraps around some fields
 * (sock_common's address and port pairs) are left out: CO-RE matches fields by name through them.
 *
 * Only x86_64 is described (struct pt_regs).
 */
#ifndef __VMLINUX_H__
#define __VMLINUX_H__

typedef signed char __s8;
typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;

typedef __s8 s8;
typedef __u8 u8;
typedef __s16 s16;
typedef __u16 u16;
typedef __s32 s32;
typedef __u32 u32;
typedef __s64 s64;
typedef __u64 u64;

typedef __u16 __be16;
typedef __u32 __be32;
typedef __u64 __be64;
typedef __u32 __wsum;

typedef _Bool bool;
enum {
	false = 0,
	true = 1,
};

typedef int pid_t;
typedef unsigned int uid_t;
typedef unsigned int gid_t;
typedef long long loff_t;
typedef unsigned long size_t;
typedef long ssize_t;

/* The UAPI constants bpf_helpers.h, bpf_tracing.h and our programs refer to by name. */
enum bpf_map_type {
	BPF_MAP_TYPE_UNSPEC = 0,
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PROG_ARRAY = 3,
	BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4,
	BPF_MAP_TYPE_PERCPU_HASH = 5,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_STACK_TRACE = 7,
	BPF_MAP_TYPE_CGROUP_ARRAY = 8,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_LRU_PERCPU_HASH = 10,
	BPF_MAP_TYPE_RINGBUF = 27,
};

/* bpf_map_update_elem flags */
enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
	BPF_EXIST = 2,
	BPF_F_LOCK = 4,
};

/* bpf_ringbuf_output / bpf_ringbuf_submit flags */
enum {
	BPF_RB_NO_WAKEUP = 1,
	BPF_RB_FORCE_WAKEUP = 2,
};

/* bpf_perf_event_output flags */
enum {
	BPF_F_INDEX_MASK = 0xffffffffULL,
	BPF_F_CURRENT_CPU = 0xffffffffULL,
	BPF_F_CTXLEN_MASK = 0xfffffULL << 32,
};

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

/* x86_64 register frame: what kprobes get as ctx and what PT_REGS_PARM*() read. */
struct pt_regs {
	unsigned long r15;
	unsigned long r14;
	unsigned long r13;
	unsigned long r12;
	unsigned long bp;
	unsigned long bx;
	unsigned long r11;
	unsigned long r10;
	unsigned long r9;
	unsigned long r8;
	unsigned long ax;
	unsigned long cx;
	unsigned long dx;
	unsigned long si;
	unsigned long di;
	unsigned long orig_ax;
	unsigned long ip;
	unsigned long cs;
	unsigned long flags;
	unsigned long sp;
	unsigned long ss;
};

/* The common header of every classic tracepoint record. */
struct trace_entry {
	unsigned short type;
	unsigned char flags;
	unsigned char preempt_count;
	int pid;
};

/* syscalls:sys_enter_* records: the syscall's arguments as unsigned longs. */
struct trace_event_raw_sys_enter {
	struct trace_entry ent;
	long id;
	unsigned long args[6];
	char __data[0];
};

/* syscalls:sys_exit_* records. */
struct trace_event_raw_sys_exit {
	struct trace_entry ent;
	long id;
	long ret;
	char __data[0];
};

/* tcp:tcp_probe record. saddr/daddr hold a sockaddr_in or sockaddr_in6; ports are host order;
 * srtt is already tp->srtt_us >> 3. Kernels before 6.10 end at sock_cookie; fields we read all
 * exist since 5.x and CO-RE finds them wherever they are. */
struct trace_event_raw_tcp_probe {
	struct trace_entry ent;
	__u8 saddr[28];
	__u8 daddr[28];
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u32 mark;
	__u16 data_len;
	__u32 snd_nxt;
	__u32 snd_una;
	__u32 snd_cwnd;
	__u32 ssthresh;
	__u32 snd_wnd;
	__u32 srtt;
	__u32 rcv_wnd;
	__u64 sock_cookie;
	const void *skbaddr;
	const void *skaddr;
	char __data[0];
};

/* netlink:netlink_extack record. __data_loc_msg: low 16 bits are the message's offset from the
 * start of the record, high 16 bits its length including the terminating NUL. */
struct trace_event_raw_netlink_extack {
	struct trace_entry ent;
	u32 __data_loc_msg;
	char __data[0];
};

/* The kernel's copy of a user path (getname()); name points at the NUL-terminated string. */
struct filename {
	const char *name;
	const char *uptr;
};

struct in6_addr {
	union {
		__u8 u6_addr8[16];
		__be16 u6_addr16[8];
		__be32 u6_addr32[4];
	} in6_u;
};

struct sock_common {
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
};

struct sock {
	struct sock_common __sk_common;
};

struct tcp_sock {
	/* smoothed round trip time, in microseconds << 3 */
	u32 srtt_us;
};

/* Only ever handled through pointers. */
struct sk_buff;

#pragma clang attribute pop

#endif /* __VMLINUX_H__ */
