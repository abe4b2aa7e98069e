// The built-in tools the attach-latency and system-cost sections start, each on the tier this
// kernel gives it (fentry and kprobes do not work here). A tool missing from dist/ is skipped.
export const benchTools = [
  { name: 'fileDeletes', exportName: 'fileDeletes', options: { attach: 'tracepoint' } },
  { name: 'tcpRtt', exportName: 'tcpRtt', options: { attach: 'tp_btf' } },
  { name: 'netlinkErrors', exportName: 'netlinkErrors', options: {} },
];
