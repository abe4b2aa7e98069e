export { BpfError, type BpfkitCode } from './errors.js';
export {
  probe, canAttachFentry, canAttachKprobe, tracepointExists, attachModes,
  type ProbeReport, type Capability, type AttachMode,
} from './probe.js';
export { EventStream, type StreamStats, type StreamInfo, type Rejection } from './event-stream.js';
export type { EventStreamOptions } from './stream-options.js';
export { fileDeletes, type DeleteEvent, type FileDeletesOptions, type DeleteMode } from './tools/deletes.js';
export {
  tcpRtt, TcpRtt, tcpRttModes, type TcpRttOptions, type TcpRttSnapshot, type TcpRttHistogram, type TcpRttInfo,
  type TcpRttMode, type TcpRttUnit,
} from './tools/tcprtt.js';
export { formatLog2Histogram, log2Buckets, type Log2Bucket, type Log2HistogramFormat } from './tools/histogram.js';
export {
  formatTcpRttPrometheus, tcpRttMetric, type TcpRttMetric, type TcpRttPrometheusOptions, type PrometheusSample,
} from './tools/tcprtt-prometheus.js';
export {
  netlinkErrors, netlinkSources, type NetlinkError, type NetlinkErrorsOptions, type NetlinkSource,
} from './tools/netlink.js';
export {
  traceProgram, TracerUnavailable, type TraceTarget, type TraceProgramOptions, type TraceCalls, type ProgramCall,
} from './trace-program.js';
export {
  traceFunction, traceModes, type TraceFunctionOptions, type FunctionCall, type TraceMode,
} from './tools/trace-function.js';
export {
  listFunctions, type ListFunctionsOptions, type KernelFunction, type FunctionSignature, type FunctionParam,
} from './tools/list-functions.js';
export { TraceUnavailableError, UntraceableFunctionError } from './trace/errors.js';
export type { TraceValue } from './trace/value-format.js';
export { native as binding, nativePath } from './binding.js';

import { native } from './binding.js';

/** The version of the statically linked libbpf, e.g. "1.5". */
export function libbpfVersion(): string {
  return native.libbpfVersion();
}
