import { native } from '../binding.js';
import { BpfError } from '../errors.js';
import { checkRecord, cString, layout } from '../decode.js';
import { decodeMemory, decodeRegister, type TraceValue } from './value-format.js';
import type { TracedFunction } from './traced-function.js';

export type TraceMode = 'fentry' | 'kprobe' | 'kprobe.multi';

/** One completed call of a traced kernel function. */
export interface FunctionCall {
  function: string;
  /** the module defining the function; absent for vmlinux. */
  module?: string;
  pid: number;
  tid: number;
  comm: string;
  /** CPU the call started on. */
  cpu: number;
  /**
   * Parameters by name, decoded from their BTF types (ints of up to 4 bytes as numbers, 8-byte
   * ints as bigints, enums by name, pointers as hex strings, NULL as null, char * as strings),
   * plus each field path read, keyed by the path ('name->name'). A read that failed is null and
   * is listed in `unread`.
   */
  args: Record<string, TraceValue>;
  /** the return value, decoded like the parameters; absent for void functions. */
  ret?: TraceValue;
  /** entry to return, in ns. */
  latencyNs: number;
  /** CLOCK_MONOTONIC ns at entry. */
  timestampNs: bigint;
  mode: TraceMode;
  /** reads that produced no value, and why. */
  unread?: Record<string, 'null pointer' | 'fault'>;
}

const fields = ['ts_ns', 'latency_ns', 'args', 'ret', 'pid', 'tid', 'cpu', 'func', 'source', 'nargs', 'read_status', 'comm', 'reads'] as const;

/** Decodes trace_event records; `functions[i]` is the function with index i on the BPF side. */
export function traceDecoder(functions: TracedFunction[], mode: TraceMode) {
  const at = layout('trace_event', fields);
  const c = native.layouts().constants!;
  const readMax = c.TRACE_READ_MAX!;
  const commMax = c.TASK_COMM_LEN!;
  return (view: DataView, offset: number, length: number): FunctionCall => {
    checkRecord('trace_event', at.__size, view, offset, length);
    const index = view.getUint32(offset + at.func, true);
    const fn = functions[index];
    if (!fn) {
      throw new BpfError(`trace_event names function ${index}, but only ${functions.length} are traced`, { code: 'BPFKIT_DECODE' });
    }
    const nargs = view.getUint8(offset + at.nargs);
    const args: Record<string, TraceValue> = {};
    for (const slot of fn.slots) {
      if (slot.register === undefined || slot.register >= nargs) continue;
      args[slot.name] = decodeRegister(view.getBigUint64(offset + at.args + 8 * slot.register, true), slot.format);
    }
    let unread: FunctionCall['unread'];
    fn.reads.forEach((plan, i) => {
      const status = view.getUint8(offset + at.read_status + i);
      if (status === c.TRACE_STATUS_OK) {
        const start = view.byteOffset + offset + at.reads + i * readMax;
        args[plan.label] = decodeMemory(new Uint8Array(view.buffer, start, readMax), plan.format);
        return;
      }
      args[plan.label] = null;
      (unread ??= {})[plan.label] = status === c.TRACE_STATUS_NULL ? 'null pointer' : 'fault';
    });
    const call: FunctionCall = {
      function: fn.name,
      ...(fn.module ? { module: fn.module } : {}),
      pid: view.getUint32(offset + at.pid, true),
      tid: view.getUint32(offset + at.tid, true),
      comm: cString(view, offset + at.comm, commMax),
      cpu: view.getUint32(offset + at.cpu, true),
      args,
      latencyNs: Number(view.getBigUint64(offset + at.latency_ns, true)),
      timestampNs: view.getBigUint64(offset + at.ts_ns, true),
      mode,
    };
    if (fn.returnFormat.kind !== 'void') call.ret = decodeRegister(view.getBigUint64(offset + at.ret, true), fn.returnFormat);
    if (unread) call.unread = unread;
    return call;
  };
}
