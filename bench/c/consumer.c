// The C libbpf consumer the benchmark compares bpfkit with: the limit of what user space can do.
// It loads the same embedded bench object bpfkit loads (native/bpf/skel/x64/bench.skel.h), with
// the same .rodata, ring size and wakeup policy, and reads the ring with ring_buffer__poll.
//
//   consumer PROGRAM RING_BYTES WAKEUP_EVERY TGID [latency]
//
// Protocol (bench/run.mjs drives it exactly like bench/bpfkit-consumer.mjs):
//   stdout  {"ready":true,"progId":ID}       once the program is loaded (and attached, unless synth_*)
//   stdin   "done N\n"                        the producer has finished after writing N records
//   stdout  {"received":...}                 once every record is either received or counted dropped
// Environment: BENCH_CPU (default 1).
#include "bench_util.h"

#include <errno.h>
#include <linux/types.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench.h"
#include "skel/x64/bench.skel.h"

// Like bpfkit's flush timer (maxDelayMs / 2): records written without a wakeup wait at most this.
#define FLUSH_MS 5
// Gives up when nothing arrives for this long after the producer finished.
#define STALL_NS 3000000000ull

static struct {
	uint64_t received;
	uint64_t seq_sum;
	bool latency;
	uint32_t *latencies;
	size_t latency_cap;
} stats;

static _Atomic long long expected = -1;

static int on_record(void *ctx, void *data, size_t size)
{
	const struct bench_header *h = data;
	if (stats.latency) {
		if (stats.received == stats.latency_cap) {
			stats.latency_cap = stats.latency_cap ? stats.latency_cap * 2 : 1 << 20;
			stats.latencies = realloc(stats.latencies, stats.latency_cap * sizeof(uint32_t));
			if (!stats.latencies)
				fail("out of memory");
		}
		uint64_t delay = now_ns() - h->ts_ns;
		stats.latencies[stats.received] = delay > UINT32_MAX ? UINT32_MAX : (uint32_t)delay;
	}
	stats.received++;
	stats.seq_sum += h->seq;
	return 0;
}

static void *read_commands(void *arg)
{
	char line[64];
	while (fgets(line, sizeof(line), stdin)) {
		long long n;
		if (sscanf(line, "done %lld", &n) == 1)
			atomic_store(&expected, n);
	}
	return NULL;
}

static uint64_t dropped_records(int map_fd)
{
	int cpus = libbpf_num_possible_cpus();
	uint64_t values[cpus], sum = 0;
	__u32 zero = 0;
	if (bpf_map_lookup_elem(map_fd, &zero, values))
		return 0;
	for (int i = 0; i < cpus; i++)
		sum += values[i];
	return sum;
}

static int compare_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static double percentile_ms(double p)
{
	size_t i = (size_t)(p * (stats.received - 1));
	return stats.latencies[i] / 1e6;
}

static struct bench *open_bench(const char *program, unsigned long ring, unsigned wakeup_every,
				unsigned tgid)
{
	struct bench *skel = bench__open();
	if (!skel)
		fail("bench__open failed");
	struct bpf_program *p;
	bool found = false;
	bpf_object__for_each_program(p, skel->obj) {
		bool wanted = !strcmp(bpf_program__name(p), program);
		bpf_program__set_autoload(p, wanted);
		found |= wanted;
	}
	if (!found)
		fail("no such program in bench.bpf.c");
	skel->rodata->targ_use_perf = false;
	skel->rodata->targ_wakeup_every = wakeup_every;
	skel->rodata->targ_tgid = tgid;
	if (bpf_map__set_max_entries(skel->maps.events, ring) ||
	    bpf_map__set_autocreate(skel->maps.events_perf, false))
		fail("cannot size the maps");
	if (bench__load(skel))
		fail("bench__load failed");
	return skel;
}

int main(int argc, char **argv)
{
	if (argc < 5)
		fail("usage: consumer PROGRAM RING_BYTES WAKEUP_EVERY TGID [latency]");
	const char *program = argv[1];
	const char *cpu = getenv("BENCH_CPU");
	pin_to_cpu(cpu ? atoi(cpu) : 1);
	stats.latency = argc > 5 && !strcmp(argv[5], "latency");

	struct bench *skel = open_bench(program, strtoul(argv[2], NULL, 0), atoi(argv[3]), atoi(argv[4]));
	struct bpf_program *prog = bpf_object__find_program_by_name(skel->obj, program);
	if (strncmp(program, "synth_", 6) && !bpf_program__attach(prog))
		fail("attach failed");
	struct ring_buffer *ring = ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, NULL, NULL);
	if (!ring)
		fail("ring_buffer__new failed");
	struct bpf_prog_info info = {};
	__u32 info_len = sizeof(info);
	bpf_prog_get_info_by_fd(bpf_program__fd(prog), &info, &info_len);
	pthread_t commands;
	pthread_create(&commands, NULL, read_commands, NULL);

	uint64_t cpu0 = process_cpu_us();
	printf("{\"ready\":true,\"progId\":%u}\n", info.id);
	fflush(stdout);

	int dropped_fd = bpf_map__fd(skel->maps.dropped);
	uint64_t last_ns = 0, dropped = 0, progress_ns = now_ns();
	uint64_t last_received = 0;
	for (;;) {
		int n = ring_buffer__poll(ring, FLUSH_MS);
		if (n == 0)
			n = ring_buffer__consume(ring);
		if (n < 0 && n != -EINTR)
			fail("ring_buffer__poll failed");
		uint64_t now = now_ns();
		if (stats.received != last_received) {
			last_received = stats.received;
			last_ns = progress_ns = now;
		}
		long long want = atomic_load(&expected);
		if (want < 0)
			continue;
		ring_buffer__consume(ring);
		if (stats.received != last_received) {
			last_received = stats.received;
			last_ns = progress_ns = now_ns();
		}
		dropped = dropped_records(dropped_fd);
		if ((long long)(stats.received + dropped) >= want)
			break;
		if (now - progress_ns > STALL_NS) {
			fprintf(stderr, "consumer stalled: %llu received + %llu dropped of %lld\n",
				(unsigned long long)stats.received, (unsigned long long)dropped, want);
			break;
		}
	}
	uint64_t cpu_us = process_cpu_us() - cpu0;

	printf("{\"received\":%llu,\"dropped\":%llu,\"tLast\":%llu,\"cpuUs\":%llu,\"seqSum\":%llu",
	       (unsigned long long)stats.received, (unsigned long long)dropped,
	       (unsigned long long)last_ns, (unsigned long long)cpu_us,
	       (unsigned long long)stats.seq_sum);
	if (stats.latency && stats.received) {
		qsort(stats.latencies, stats.received, sizeof(uint32_t), compare_u32);
		printf(",\"latencyMs\":{\"p50\":%.4f,\"p99\":%.4f,\"max\":%.4f}", percentile_ms(0.5),
		       percentile_ms(0.99), percentile_ms(1.0));
	}
	printf("}\n");
	ring_buffer__free(ring);
	bench__destroy(skel);
	return 0;
}
