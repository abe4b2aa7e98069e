// Issue 9's performance targets, checked against a result file.
const MiB = 1024 * 1024;

export function evaluateTargets(results) {
  const targets = [];
  const rows = results.throughput ?? [];
  const fixed = (value) => value.toFixed(2);
  for (const policy of ['every', 'batched']) {
    const realistic = rows.filter((row) => row.producer === 'tracepoint' && row.policy === policy);
    if (realistic.length === 0) continue;
    const worst = Math.min(...realistic.map((row) => row.consumers.events.rateRatio));
    const moreDrops = realistic.filter((row) => row.consumers.events.droppedPct.median > row.consumers.c.droppedPct.median + 0.5);
    targets.push({
      target: `getppid producer, ${policy} wakeups: for await ≥ 0.8× C, no more drops`,
      measured: `${realistic.map((row) => fixed(row.consumers.events.rateRatio)).join(' / ')}× (per ring size)`
        + (moreDrops.length ? `; more drops than C at ${moreDrops.map((row) => `${row.ringBytes / 1024} KiB`).join(', ')}` : ''),
      met: worst >= 0.8 && moreDrops.length === 0,
    });
  }
  const synthetic = rows.filter((row) => row.producer.startsWith('synth'));
  if (synthetic.length > 0) {
    const batches = Math.min(...synthetic.map((row) => row.consumers.batches.rateRatio));
    const events = Math.min(...synthetic.map((row) => row.consumers.events.rateRatio));
    targets.push({ target: 'synthetic producer: batches() ≥ 0.5× C', measured: `worst ${fixed(batches)}×`, met: batches >= 0.5 });
    targets.push({ target: 'synthetic producer: for await ≥ 0.25× C', measured: `worst ${fixed(events)}×`, met: events >= 0.25 });
  }
  const attach = (results.attach ?? []).filter((row) => !row.skipped);
  if (attach.length > 0) {
    const open = Math.max(...attach.map((row) => row.openRatio));
    const total = Math.max(...attach.map((row) => row.totalRatio));
    targets.push({ target: 'attach latency ≤ 1.5× C', measured: `worst open ${fixed(open)}×, open+close ${fixed(total)}×`, met: open <= 1.5 && total <= 1.5 });
  }
  if (results.memory) {
    const growth = results.memory.rssGrowthBytes / MiB;
    targets.push({
      target: `RSS growth < 5 MiB over ${results.memory.to.toLocaleString('en-US')} events`,
      measured: `${growth.toFixed(2)} MiB (first three marks → last three)`,
      met: growth < 5,
    });
  }
  // At the producer's maximum rate a consumer slower than the producer has a backlog, and latency
  // is that backlog; the target is about rates the consumer sustains.
  const paced = (results.latency ?? []).filter((row) => typeof row.rate === 'number');
  if (paced.length > 0) {
    const p99 = Math.max(...paced.map((row) => row.consumers.events.p99Ms.median));
    targets.push({
      target: 'p99 delivery latency ≤ 10 ms (batched, paced producer)',
      measured: `worst ${p99.toFixed(2)} ms at ${paced.map((row) => row.rate.toLocaleString('en-US')).join(' / ')} events/s`,
      met: p99 <= 10,
    });
  }
  return targets;
}
