import { EventStream } from './event-stream.js';
import { openEventObject } from './event-object.js';
import { BpfError, errnoName, invalidOption } from './errors.js';
import { cString, checkRecord, layout } from './decode.js';
import { streamOptionKeys, streamOptions, type BufferKind, type EventStreamOptions, type StreamOptions } from './stream-options.js';
import { integer, knownKeys, oneOf, optionsObject, symbolName } from './validate.js';
import type { KernelObject } from './kernel-object.js';

/**
 * A loaded BPF program to trace: a program of a running bpfkit stream by its program name, or any
 * program by an fd the caller owns plus the name of its function (its C name, as BTF has it).
 */
export type TraceTarget<T = unknown> =
  | { stream: EventStream<T>; program: string }
  | { programFd: number; function: string };

export type TraceCalls = 'entry' | 'exit' | 'both';

export interface TraceProgramOptions extends EventStreamOptions {
  /** 'both' (default): an event when the program starts and one when it returns; or only one kind. */
  calls?: TraceCalls;
}

export interface ProgramCall {
  /** 'entry' (fentry: the program is about to run) or 'exit' (fexit: it returned `retval`). */
  kind: 'entry' | 'exit';
  /** the traced program's return value (exit only). */
  retval?: number;
  /** the task the traced program ran in (thread group id). */
  pid: number;
  tid: number;
  comm: string;
  cpu: number;
  /** CLOCK_MONOTONIC ns. */
  timestampNs: bigint;
}

/** Where a tracer attaches. `owner` is the bpfkit object that loaded the target, when there is one. */
export interface ResolvedTarget {
  programFd: number;
  function: string;
  owner?: KernelObject;
}

export interface TracerSpec {
  /** the embedded tracer object. */
  object: string;
  /** its fentry program, if wanted. */
  entry?: string;
  /** its fexit program, if wanted. */
  exit?: string;
  /** write into this object's event buffer and drop counter instead of the tracer's own, so the
   * tracer's records interleave with the target's in the order they happened. */
  shareEventsOf?: { object: KernelObject; buffer: BufferKind };
}

/** A tracer that could not be loaded or attached; `reason` says why in words, `code` is the errno. */
export class TracerUnavailable extends BpfError {
  readonly reason: string;

  constructor(reason: string, cause: unknown) {
    const fields = cause instanceof BpfError ? cause : undefined;
    super(`fentry/fexit on a BPF program is unavailable: ${reason}`, {
      code: errnoName(cause) ?? 'BPFKIT_MODE_UNAVAILABLE',
      ...(fields?.errno !== undefined ? { errno: fields.errno } : {}),
      ...(fields?.op !== undefined ? { op: fields.op } : {}),
      ...(fields?.log !== undefined ? { log: fields.log } : {}),
    }, { cause });
    this.name = 'TracerUnavailable';
    this.reason = reason;
  }
}

function describeFailure(error: unknown): string {
  const errno = errnoName(error) ?? (error as Error).message;
  const { op, log = '' } = error as BpfError;
  if (op === 'bpf_object__load' && errno === 'EPERM' && !/processed \d+ insns/.test(log)) {
    return 'BPF_PROG_LOAD failed: EPERM before the verifier ran: a security policy of this kernel forbids trampoline (fentry/fexit) programs';
  }
  return `${op ?? 'opening the tracer'} failed: ${errno}`;
}

/**
 * Loads a tracer object's fentry and/or fexit programs with `target` as their attach target and
 * attaches them. Nothing stays loaded on failure, which is a TracerUnavailable naming the errno.
 */
export async function attachTracer(spec: TracerSpec, target: ResolvedTarget, options: StreamOptions):
Promise<{ object: KernelObject; buffer: BufferKind }> {
  const programs = [spec.entry, spec.exit].filter((name): name is string => name !== undefined);
  const share = spec.shareEventsOf;
  const reuseMaps = share && {
    [share.buffer === 'ringbuf' ? 'events' : 'events_perf']: share.object.mapFd(share.buffer === 'ringbuf' ? 'events' : 'events_perf'),
    dropped: share.object.mapFd('dropped'),
  };
  try {
    return await openEventObject({
      object: spec.object,
      programs: Object.fromEntries(programs.map((name) => [name, undefined])),
      attachTargets: Object.fromEntries(programs.map((name) => [name, { function: target.function, programFd: target.programFd }])),
      ...(reuseMaps ? { reuseMaps } : {}),
    }, share ? { ...options, buffer: share.buffer } : options);
  } catch (error) {
    throw new TracerUnavailable(describeFailure(error), error);
  }
}

const optionKeys = ['calls', ...streamOptionKeys];
const callKinds: readonly TraceCalls[] = ['entry', 'exit', 'both'];

function checkTarget<T>(value: unknown): TraceTarget<T> {
  if (value === null || typeof value !== 'object') throw invalidOption('target', 'must be an object', 'type');
  const target = value as Partial<Record<'stream' | 'program' | 'programFd' | 'function', unknown>>;
  if ('stream' in target) {
    knownKeys(target, ['stream', 'program'], 'target');
    if (!(target.stream instanceof EventStream)) throw invalidOption('target.stream', 'must be a bpfkit EventStream', 'type');
    return { stream: target.stream as EventStream<T>, program: symbolName(target.program, 'target.program') };
  }
  if ('programFd' in target) {
    knownKeys(target, ['programFd', 'function'], 'target');
    return { programFd: integer(target.programFd, 'target.programFd', 0, 0x7fffffff), function: symbolName(target.function, 'target.function') };
  }
  throw invalidOption('target', 'must be { stream, program } or { programFd, function }', 'type');
}

async function resolveTarget<T>(target: TraceTarget<T>): Promise<ResolvedTarget> {
  if ('programFd' in target) return target;
  await target.stream.ready;
  const owner = target.stream.kernelObject;
  if (!owner || owner.closed) throw new BpfError('traceProgram: the target stream is closed', { code: 'BPFKIT_CLOSED' });
  return { programFd: owner.programFd(target.program), function: target.program, owner };
}

const fields = ['ts_ns', 'pid', 'tid', 'retval', 'cpu', 'kind', 'comm'] as const;
const COMM_MAX = 16;
// Values of prog_call_event.kind (native/bpf/prog_trace.h).
const PROG_CALL_EXIT = 2;

export function decoder() {
  const at = layout('prog_call_event', fields);
  return (view: DataView, offset: number, length: number): ProgramCall => {
    checkRecord('prog_call_event', at.__size, view, offset, length);
    const exit = view.getUint8(offset + at.kind) === PROG_CALL_EXIT;
    return {
      kind: exit ? 'exit' : 'entry',
      ...(exit ? { retval: view.getInt32(offset + at.retval, true) } : {}),
      pid: view.getUint32(offset + at.pid, true),
      tid: view.getUint32(offset + at.tid, true),
      comm: cString(view, offset + at.comm, COMM_MAX),
      cpu: view.getUint32(offset + at.cpu, true),
      timestampNs: view.getBigUint64(offset + at.ts_ns, true),
    };
  };
}

/**
 * Every call of another loaded BPF program (fentry on it) and every return with its return value
 * (fexit), e.g. to count how often a bpfkit stream's program runs and what it returns.
 *
 * Limits: one target program per tracer; the kernel must allow trampolines on BPF programs (5.5+,
 * fexit return values 5.17+) and many sandboxes refuse them with EPERM, which `ready` rejects with
 * (a TracerUnavailable naming the errno). The tracer's link keeps the target program loaded until
 * the tracer closes; with a stream target, closing that stream closes the tracer first.
 */
export function traceProgram<T>(target: TraceTarget<T>, options?: TraceProgramOptions): EventStream<ProgramCall> {
  const checked = checkTarget<T>(target);
  const opts = optionsObject<TraceProgramOptions>(options);
  knownKeys(opts, optionKeys);
  const calls = oneOf(opts.calls, 'calls', callKinds, 'both');
  const stream = streamOptions(opts);
  const decode = decoder();
  const spec: TracerSpec = {
    object: 'prog_trace',
    ...(calls !== 'exit' ? { entry: 'trace_prog_entry' } : {}),
    ...(calls !== 'entry' ? { exit: 'trace_prog_exit' } : {}),
  };

  const tracer: EventStream<ProgramCall> = new EventStream(async () => {
    const resolved = await resolveTarget(checked);
    const { object, buffer } = await attachTracer(spec, resolved, stream);
    if (resolved.owner) object.onClose(resolved.owner.onClose(() => tracer.close()));
    const mode = calls === 'both' ? 'fentry+fexit' : calls === 'entry' ? 'fentry' : 'fexit';
    return { object, buffer, decode, mode, rejected: [] };
  }, stream);
  return tracer;
}
