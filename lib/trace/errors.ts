import { BpfError } from '../errors.js';
import type { Rejection } from '../event-stream.js';

/** Functions that cannot be traced, each with the specific reason; raised before anything is attached. */
export class UntraceableFunctionError extends BpfError {
  readonly functions: { name: string; reason: string }[];

  constructor(functions: { name: string; reason: string }[]) {
    super(`cannot trace ${functions.map((f) => `${f.name}: ${f.reason}`).join('; ')}`, { code: 'BPFKIT_UNTRACEABLE' });
    this.name = 'UntraceableFunctionError';
    this.functions = functions;
  }
}

/**
 * No attach mode for kernel functions works on this kernel. Carries why each mode failed and the
 * tracepoints (category:name) that exist for the same calls, found by name.
 */
export class TraceUnavailableError extends BpfError {
  readonly functions: string[];
  readonly rejected: Rejection[];
  readonly alternatives: string[];

  constructor(functions: string[], rejected: Rejection[], alternatives: string[], note?: string) {
    const reasons = rejected.map((r) => `${r.mode}: ${r.reason}`).join('; ');
    const hint = alternatives.length ? `; tracepoints that exist for the same calls: ${alternatives.join(', ')}`
      : `; no tracepoint with a matching name was found${note ? ` (${note})` : ''}`;
    super(`traceFunction(${functions.join(', ')}): no attach mode works on this kernel (${reasons})${hint}`, { code: 'BPFKIT_NO_MODE' });
    this.name = 'TraceUnavailableError';
    this.functions = functions;
    this.rejected = rejected;
    this.alternatives = alternatives;
  }
}
