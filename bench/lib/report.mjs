// The Markdown form of a result file: the tables README.md and notes/bench.md show.
const MiB = 1024 * 1024;

const fixed = (value, digits = 2) => (value === null || value === undefined ? '–' : value.toFixed(digits));
const rate = (summary) => `${fixed(summary.median / 1e6)} (${fixed(summary.min / 1e6)})`;
const ringName = (bytes) => (bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes / 1024} KiB`);
const producerName = { synth32: 'synthetic 32 B', synth256: 'synthetic 256 B', tracepoint: 'getppid tracepoint' };

export function markdown(results) {
  const { machine, config } = results;
  const lines = [
    `bpfkit ${machine.bpfkitVersion}, ${machine.date}: ${machine.cpus} × ${machine.cpuModel}, Linux ${machine.kernel}, `
      + `Node ${machine.node}, libbpf ${machine.libbpf}, load average ${machine.loadAverage.toFixed(2)} at the start. ${config.reps} repetitions per cell`
      + `${config.quick ? ' (quick smoke run: small counts, not comparable)' : ''}; producer on CPU 0, consumer on CPU 1.`,
    '',
  ];
  if (results.throughput) {
    lines.push(
      '### Event delivery',
      '',
      'Events/s in millions, median (min) over the repetitions; × = ratio of medians to the C libbpf consumer on the',
      'same producer, ring and wakeup policy. CPU = consumer CPU time per received event (ratio to C).',
      '"every" = a wakeup per record (libbpf default); "batched" = bpfkit default (a forced wakeup every 64 records + 5 ms flush).',
      '',
      '| producer | ring | wakeup | C M/s | C drop % | batches() M/s | × | for await M/s | × | CPU ns/ev C / batches / await |',
      '|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const row of results.throughput) {
      const { c, batches, events } = row.consumers;
      lines.push(`| ${producerName[row.producer]} | ${ringName(row.ringBytes)} | ${row.policy} | ${rate(c.eventsPerSec)} | `
        + `${fixed(c.droppedPct.median, 1)} | ${rate(batches.eventsPerSec)} | **${fixed(batches.rateRatio)}** | `
        + `${rate(events.eventsPerSec)} | **${fixed(events.rateRatio)}** | `
        + `${fixed(c.cpuNsPerEvent.median, 0)} / ${fixed(batches.cpuNsPerEvent.median, 0)} (${fixed(batches.cpuRatio, 1)}×) / `
        + `${fixed(events.cpuNsPerEvent.median, 0)} (${fixed(events.cpuRatio, 1)}×) |`);
    }
    lines.push('', 'Dropped % (median) for batches() / for await: '
      + results.throughput.map((row) => `${producerName[row.producer]} ${ringName(row.ringBytes)} ${row.policy}: `
        + `${fixed(row.consumers.batches.droppedPct.median, 1)} / ${fixed(row.consumers.events.droppedPct.median, 1)}`).join('; ') + '.', '');
  }
  if (results.attach) {
    lines.push('### Attach latency', '', 'Median ms (min) over the repetitions; open = open+load+attach (+ ring reader), close = detach + free.', '',
      '| tool | tier | objects (programs) | bpfkit open | C open | × | bpfkit open+close | C open+close | × |', '|---|---|---|---|---|---|---|---|---|');
    for (const row of results.attach) {
      if (row.skipped) {
        lines.push(`| ${row.tool} | skipped: ${row.skipped} | | | | | | | |`);
        continue;
      }
      const ms = (summary) => `${fixed(summary.median, 1)} (${fixed(summary.min, 1)})`;
      lines.push(`| ${row.tool} | ${row.mode} | ${row.objects} | ${ms(row.bpfkit.openMs)} | ${ms(row.c.openMs)} | **${fixed(row.openRatio)}** | `
        + `${ms(row.bpfkit.totalMs)} | ${ms(row.c.totalMs)} | **${fixed(row.totalRatio)}** |`);
    }
    lines.push('');
  }
  if (results.memory) {
    const m = results.memory;
    lines.push('### Memory (per-event for await, synthetic producer, 16 MiB ring)', '',
      '| events | RSS MiB | heap used MiB |', '|---|---|---|',
      ...m.samples.map((s) => `| ${s.events.toLocaleString('en-US')} | ${fixed(s.rssBytes / MiB, 1)} | ${fixed(s.heapUsedBytes / MiB, 1)} |`),
      '', `RSS growth (median of the last three marks − median of the first three): `
        + `${fixed(m.rssGrowthBytes / MiB, 1)} MiB; heap ${fixed(m.heapGrowthBytes / MiB, 1)} MiB. Single samples range `
        + `${fixed(m.rssRangeBytes[0] / MiB, 0)}–${fixed(m.rssRangeBytes[1] / MiB, 0)} MiB (queue depth and V8/malloc sizing at that instant).`, '');
  }
  if (results.kernelCost) {
    const k = results.kernelCost;
    lines.push('### Kernel-side cost per event (getppid loop, one record per call, C consumer, batched wakeups)', '',
      '| tier | ns per getppid() | added per event |', '|---|---|---|',
      `| none | ${fixed(k.baseNsPerCall.median, 0)} | – |`,
      ...Object.entries(k.tiers).map(([tier, t]) => `| ${tier} | ${fixed(t.nsPerCall.median, 0)} | **+${fixed(t.addedNsPerEvent, 0)} ns** |`), '');
  }
  if (results.systemCost) {
    const s = results.systemCost;
    lines.push('### Cost to the rest of the system (an unrelated process\'s getuid() loop)', '',
      '| attached | ns per getuid() | added |', '|---|---|---|',
      ...s.rows.map((row) => row.skipped ? `| ${row.name} | skipped: ${row.skipped} | |`
        : `| ${row.name} | ${fixed(row.nsPerCall.median, 1)} | ${row.addedNs === 0 ? '–' : `+${fixed(row.addedNs, 1)} ns`} |`), '');
  }
  if (results.latency) {
    lines.push('### Delivery latency (getppid tracepoint, batched wakeups, bpf_ktime_get_ns in the record → receive time)', '',
      '| rate (events/s) | C p50 / p99 ms | for await p50 / p99 / max ms |', '|---|---|---|');
    for (const row of results.latency) {
      const { c, events } = row.consumers;
      lines.push(`| ${typeof row.rate === 'number' ? row.rate.toLocaleString('en-US') : row.rate} | ${fixed(c.p50Ms.median)} / ${fixed(c.p99Ms.median)} | `
        + `${fixed(events.p50Ms.median)} / **${fixed(events.p99Ms.median)}** / ${fixed(events.maxMs.median)} |`);
    }
    lines.push('');
  }
  if (results.targets) {
    lines.push('### Targets (issue 9)', '', '| target | measured | met |', '|---|---|---|',
      ...results.targets.map((t) => `| ${t.target} | ${t.measured} | ${t.met ? 'yes' : '**no**'} |`), '');
  }
  return lines.join('\n');
}
