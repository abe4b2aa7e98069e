// The benchmark's event producers and syscall loops. Pinned to one CPU, each waits for one byte
// on stdin (so the consumer is ready first), runs, and prints one JSON line.
//
//   producer getppid N [RATE]   N x getppid(): the realistic producer's workload; RATE (calls/s)
//                               paces it for the latency measurement
//   producer getuid N           N x getuid(): a process that traces nothing (cost to the system)
//   producer synth PROG_ID N    runs bench.bpf.c's synth_* program (by id) via BPF_PROG_TEST_RUN
//                               until it has emitted N records; N = 0 runs until killed
// Environment: BENCH_CPU (default 0).
#include "bench_util.h"

#include <bpf/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

// Records per BPF_PROG_TEST_RUN: large enough that the syscall is noise, small enough that a
// killed producer stops at once.
#define SYNTH_CHUNK 16384

static void wait_for_start(void)
{
	char byte;
	if (read(0, &byte, 1) != 1)
		exit(1);
}

static void paced_getppid(unsigned long long n, double rate)
{
	uint64_t start = now_ns();
	for (unsigned long long i = 0; i < n; i++) {
		uint64_t due = start + (uint64_t)(i / rate * 1e9);
		uint64_t now = now_ns();
		if (due > now + 100000) {
			struct timespec gap = { 0, (long)(due - now - 50000) };
			nanosleep(&gap, NULL);
		}
		while (now_ns() < due)
			;
		syscall(SYS_getppid);
	}
}

static void run_synth(int prog_fd, unsigned long long n)
{
	__u64 args[2] = { 0, 0 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));
	unsigned long long done = 0;
	while (n == 0 || done < n) {
		unsigned long long left = n - done;
		args[0] = n == 0 || left > SYNTH_CHUNK ? SYNTH_CHUNK : left;
		args[1] = done;
		int err = bpf_prog_test_run_opts(prog_fd, &opts);
		if (err) {
			fprintf(stderr, "BPF_PROG_TEST_RUN: %s\n", strerror(-err));
			exit(1);
		}
		done += args[0];
	}
}

int main(int argc, char **argv)
{
	if (argc < 3)
		fail("usage: producer getppid N [RATE] | getuid N | synth PROG_ID N");
	const char *mode = argv[1];
	const char *cpu = getenv("BENCH_CPU");
	pin_to_cpu(cpu ? atoi(cpu) : 0);

	unsigned long long n;
	int prog_fd = -1;
	double rate = 0;
	if (!strcmp(mode, "synth")) {
		if (argc < 4)
			fail("usage: producer synth PROG_ID N");
		prog_fd = bpf_prog_get_fd_by_id(atoi(argv[2]));
		if (prog_fd < 0)
			fail("producer: no BPF program with that id");
		n = strtoull(argv[3], NULL, 0);
	} else {
		n = strtoull(argv[2], NULL, 0);
		if (argc > 3)
			rate = atof(argv[3]);
	}

	wait_for_start();
	uint64_t t0 = now_ns();
	if (!strcmp(mode, "getppid") && rate > 0)
		paced_getppid(n, rate);
	else if (!strcmp(mode, "getppid"))
		for (unsigned long long i = 0; i < n; i++)
			syscall(SYS_getppid);
	else if (!strcmp(mode, "getuid"))
		for (unsigned long long i = 0; i < n; i++)
			syscall(SYS_getuid);
	else if (!strcmp(mode, "synth"))
		run_synth(prog_fd, n);
	else
		fail("producer: unknown mode");
	uint64_t t1 = now_ns();
	printf("{\"pid\":%d,\"n\":%llu,\"t0\":%llu,\"t1\":%llu,\"nsPerCall\":%.2f}\n", getpid(), n,
	       (unsigned long long)t0, (unsigned long long)t1, n ? (double)(t1 - t0) / n : 0.0);
	return 0;
}
