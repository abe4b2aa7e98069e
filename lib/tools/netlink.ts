import { EventStream, type Rejection } from '../event-stream.js';
import { openEventObject } from '../event-object.js';
import { cString, checkRecord, layout } from '../decode.js';
import { attachTracer, TracerUnavailable } from '../trace-program.js';
import { probe } from '../probe.js';
import { streamOptionKeys, streamOptions, type EventStreamOptions } from '../stream-options.js';
import { knownKeys, oneOf, optionsObject } from '../validate.js';
import { BpfError, errnoName, invalidOption } from '../errors.js';
import type { KernelObject } from '../kernel-object.js';

export type NetlinkSource = 'tracepoint' | 'fentry' | 'fexit';
export const netlinkSources: readonly NetlinkSource[] = ['tracepoint', 'fentry', 'fexit'];

export interface NetlinkErrorsOptions extends EventStreamOptions {
  /**
   * Which views of each error to report. 'auto' (default): the netlink:netlink_extack tracepoint,
   * plus fentry and fexit on the tracepoint's BPF program where the kernel allows them (the
   * stream's info lists the skipped ones with the reason). An explicit list must work entirely.
   */
  sources?: 'auto' | readonly NetlinkSource[];
}

export interface NetlinkError {
  /** the extended-ack message, e.g. "Parent Qdisc doesn't exists". */
  message: string;
  /** true when the message was longer than the kernel-side buffer: `message` holds its start. */
  truncated: boolean;
  /** the message's full length in bytes. */
  messageLength: number;
  /** the process that sent the failing netlink request (thread group id). */
  pid: number;
  tid: number;
  comm: string;
  /** which view saw it: the tracepoint program, or fentry/fexit on that program. */
  source: NetlinkSource;
  /** fexit only: what the tracepoint program returned. */
  retval?: number;
  /** CLOCK_MONOTONIC ns. */
  timestampNs: bigint;
}

const optionKeys = ['sources', ...streamOptionKeys];
const TRACEPOINT_PROGRAM = 'handle_netlink_extack';
const COMM_MAX = 16;
// Values of netlink_event.source (native/bpf/netlink.h).
const sourceValues: (NetlinkSource | undefined)[] = [undefined, 'tracepoint', 'fentry', 'fexit'];

const fields = ['ts_ns', 'pid', 'tid', 'retval', 'source', 'truncated', 'message_len', 'comm', 'message'] as const;

export function decoder() {
  const at = layout('netlink_event', fields);
  const messageMax = at.__size - at.message;
  return (view: DataView, offset: number, length: number): NetlinkError => {
    checkRecord('netlink_event', at.__size, view, offset, length);
    const source = sourceValues[view.getUint8(offset + at.source)];
    if (!source) throw new BpfError(`netlink_event with unknown source ${view.getUint8(offset + at.source)}`, { code: 'BPFKIT_DECODE' });
    return {
      message: cString(view, offset + at.message, messageMax),
      truncated: view.getUint8(offset + at.truncated) !== 0,
      messageLength: view.getUint16(offset + at.message_len, true),
      pid: view.getUint32(offset + at.pid, true),
      tid: view.getUint32(offset + at.tid, true),
      comm: cString(view, offset + at.comm, COMM_MAX),
      source,
      ...(source === 'fexit' ? { retval: view.getInt32(offset + at.retval, true) } : {}),
      timestampNs: view.getBigUint64(offset + at.ts_ns, true),
    };
  };
}

function checkSources(value: unknown): { wanted: Set<NetlinkSource>; explicit: boolean } {
  if (value === undefined || value === 'auto') return { wanted: new Set(netlinkSources), explicit: false };
  if (!Array.isArray(value)) throw invalidOption('sources', `must be 'auto' or an array of ${netlinkSources.join(', ')}`, 'type');
  if (value.length === 0) throw invalidOption('sources', 'must not be empty');
  const wanted = new Set<NetlinkSource>();
  value.forEach((source, index) => {
    const checked = oneOf(source, `sources[${index}]`, netlinkSources, 'tracepoint');
    if (wanted.has(checked)) throw invalidOption(`sources[${index}]`, `'${checked}' is listed twice`);
    wanted.add(checked);
  });
  return { wanted, explicit: true };
}

/**
 * Every netlink extended-ack error in the system ("Parent Qdisc doesn't exists", "Unknown device
 * type", ...) with the process whose request failed. The tracepoint program reads the message; the
 * optional fentry/fexit views are programs attached to that BPF program itself (see traceProgram)
 * and write into the same ring buffer, so one error arrives as fentry, tracepoint, fexit in order.
 */
export function netlinkErrors(options?: NetlinkErrorsOptions): EventStream<NetlinkError> {
  const opts = optionsObject<NetlinkErrorsOptions>(options);
  knownKeys(opts, optionKeys);
  const { wanted, explicit } = checkSources(opts.sources);
  const stream = streamOptions(opts);
  const decode = decoder();
  const traced = (['fentry', 'fexit'] as const).filter((source) => wanted.has(source));

  return new EventStream(async () => {
    const { object, buffer } = await openEventObject({
      object: 'netlink',
      programs: { [TRACEPOINT_PROGRAM]: undefined },
      rodata: { targ_quiet: !wanted.has('tracepoint') },
    }, stream);
    const companions: KernelObject[] = [];
    const rejected: Rejection[] = [];
    // A kernel that refuses every trampoline (the probe's fentry test) refuses these too: 'auto'
    // takes the probe's cached answer instead of paying for a second refused load on every open.
    const trampolines = explicit ? undefined : (await probe()).modes.fentry;
    if (traced.length > 0 && trampolines && !trampolines.available && trampolines.errno === 'EPERM') {
      for (const mode of traced) rejected.push({ mode, reason: trampolines.reason ?? 'EPERM', errno: 'EPERM' });
    } else if (traced.length > 0) {
      try {
        const tracer = await attachTracer({
          object: 'netlink_trace',
          ...(wanted.has('fentry') ? { entry: 'handle_fentry_extack' } : {}),
          ...(wanted.has('fexit') ? { exit: 'handle_fexit_extack' } : {}),
          shareEventsOf: { object, buffer },
        }, { programFd: object.programFd(TRACEPOINT_PROGRAM), function: TRACEPOINT_PROGRAM }, stream);
        companions.push(tracer.object);
      } catch (error) {
        if (explicit) {
          await object.close();
          throw unavailable(traced, error);
        }
        const reason = error instanceof TracerUnavailable ? error.reason : (error as Error).message;
        const errno = errnoName(error);
        for (const mode of traced) rejected.push({ mode, reason, ...(errno ? { errno } : {}) });
      }
    }
    const active = netlinkSources.filter((source) => wanted.has(source) && !rejected.some((r) => r.mode === source));
    return { object, companions, buffer, decode, mode: active.join('+'), rejected };
  }, stream);
}

function unavailable(sources: readonly NetlinkSource[], error: unknown): BpfError {
  const reason = error instanceof TracerUnavailable ? error.reason : (error as Error).message;
  const fields = error instanceof BpfError ? error : undefined;
  return Object.assign(new BpfError(
    `netlinkErrors: source${sources.length > 1 ? 's' : ''} ${sources.map((s) => `'${s}'`).join(', ')} unavailable on this kernel: ${reason}`,
    {
      code: errnoName(error) ?? 'BPFKIT_MODE_UNAVAILABLE',
      ...(fields?.errno !== undefined ? { errno: fields.errno } : {}),
      ...(fields?.op !== undefined ? { op: fields.op } : {}),
      ...(fields?.log !== undefined ? { log: fields.log } : {}),
    },
    { cause: error },
  ), { mode: sources[0], reason });
}
