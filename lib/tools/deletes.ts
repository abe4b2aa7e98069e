import { EventStream, type StreamSource } from '../event-stream.js';
import { openEventObject } from '../event-object.js';
import { cString, checkRecord, layout } from '../decode.js';
import { canAttachFentry, canAttachKprobe, probe } from '../probe.js';
import { selectTier, type Tier } from '../tiers.js';
import { streamOptionKeys, streamOptions, type EventStreamOptions } from '../stream-options.js';
import { knownKeys, kernelString, oneOf, optionalInteger, optionsObject } from '../validate.js';
import { invalidOption } from '../errors.js';

export type DeleteMode = 'fentry' | 'kprobe' | 'tracepoint';
export const deleteModes: readonly DeleteMode[] = ['fentry', 'kprobe', 'tracepoint'];

export interface FileDeletesOptions extends EventStreamOptions {
  /** 'auto' (default): fentry, else kprobe, else the syscall tracepoints. */
  attach?: 'auto' | DeleteMode;
  /** only this process (thread group id). */
  pid?: number;
  /** only this user id. */
  uid?: number;
  /** only tasks with exactly this command name (at most 15 bytes). */
  comm?: string;
  /** only filenames, as passed to the syscall, starting with this (at most 63 bytes). */
  prefix?: string;
}

export interface DeleteEvent {
  pid: number;
  tid: number;
  uid: number;
  comm: string;
  /** the path as the caller passed it (relative paths stay relative). */
  filename: string;
  /** true when the path was longer than the kernel-side buffer and was cut. */
  filenameTruncated: boolean;
  /** directory fd the path is relative to (-100 = AT_FDCWD). */
  dfd: number;
  /** the kernel's return value: 0 or -errno. */
  ret: number;
  /** entry-to-exit time in ns. */
  latencyNs?: number;
  /** which call: unlink, unlinkat or rmdir (tracepoint tier), or the kernel function (other tiers). */
  call: string;
  /** CLOCK_MONOTONIC ns when the deletion started. */
  timestampNs: bigint;
  mode: DeleteMode;
}

const optionKeys = ['attach', 'pid', 'uid', 'comm', 'prefix', ...streamOptionKeys];
const COMM_MAX = 16;
const PREFIX_MAX = 64;

const programsByMode: Record<DeleteMode, string[]> = {
  fentry: ['handle_fentry_do_unlinkat', 'handle_fexit_do_unlinkat', 'handle_fentry_do_rmdir', 'handle_fexit_do_rmdir'],
  kprobe: ['handle_kprobe_do_unlinkat', 'handle_kretprobe_do_unlinkat', 'handle_kprobe_do_rmdir', 'handle_kretprobe_do_rmdir'],
  tracepoint: [
    'handle_sys_enter_unlinkat', 'handle_sys_exit_unlinkat', 'handle_sys_enter_unlink', 'handle_sys_exit_unlink',
    'handle_sys_enter_rmdir', 'handle_sys_exit_rmdir',
  ],
};

// Values of delete_event.source, .op and .syscall (native/bpf/deletes.h).
const sources: (DeleteMode | undefined)[] = [undefined, 'fentry', 'kprobe', 'tracepoint'];
const kernelFunctions = ['unknown', 'do_unlinkat', 'do_rmdir'];
const syscalls = ['unknown', 'unlink', 'unlinkat', 'rmdir'];

const fields = ['ts_ns', 'latency_ns', 'pid', 'tid', 'uid', 'dfd', 'ret', 'source', 'op', 'syscall',
  'filename_truncated', 'comm', 'filename'] as const;

export function decoder() {
  const at = layout('delete_event', fields);
  const filenameMax = at.__size - at.filename;
  return (view: DataView, offset: number, length: number): DeleteEvent => {
    checkRecord('delete_event', at.__size, view, offset, length);
    const latency = view.getBigUint64(offset + at.latency_ns, true);
    const mode = sources[view.getUint8(offset + at.source)] ?? 'tracepoint';
    const call = mode === 'tracepoint' ? syscalls[view.getUint8(offset + at.syscall)]
      : kernelFunctions[view.getUint8(offset + at.op)];
    return {
      pid: view.getUint32(offset + at.pid, true),
      tid: view.getUint32(offset + at.tid, true),
      uid: view.getUint32(offset + at.uid, true),
      comm: cString(view, offset + at.comm, COMM_MAX),
      filename: cString(view, offset + at.filename, filenameMax),
      filenameTruncated: view.getUint8(offset + at.filename_truncated) !== 0,
      dfd: view.getInt32(offset + at.dfd, true),
      ret: view.getInt32(offset + at.ret, true),
      ...(latency > 0n ? { latencyNs: Number(latency) } : {}),
      call: call ?? 'unknown',
      timestampNs: view.getBigUint64(offset + at.ts_ns, true),
      mode,
    };
  };
}

/** Every unlink/unlinkat/rmdir in the system, with the caller and the kernel's return value. */
export function fileDeletes(options?: FileDeletesOptions): EventStream<DeleteEvent> {
  const opts = optionsObject<FileDeletesOptions>(options);
  knownKeys(opts, optionKeys);
  const attach = oneOf(opts.attach, 'attach', ['auto', ...deleteModes], 'auto');
  const pid = optionalInteger(opts.pid, 'pid', 1, 0x3fffffff);
  const uid = optionalInteger(opts.uid, 'uid', 0, 0xfffffffe);
  const comm = opts.comm === undefined ? undefined : kernelString(opts.comm, 'comm', COMM_MAX - 1);
  const prefix = opts.prefix === undefined ? undefined : kernelString(opts.prefix, 'prefix', PREFIX_MAX - 1);
  if (prefix !== undefined && prefix.length === 0) throw invalidOption('prefix', 'must not be empty');
  const stream = streamOptions(opts);
  const decode = decoder();

  const rodata = {
    targ_tgid: pid ?? 0,
    targ_filter_uid: uid !== undefined,
    targ_uid: uid ?? 0,
    targ_comm: comm ?? '',
    targ_prefix: prefix ?? '',
    targ_prefix_len: prefix === undefined ? 0 : Buffer.byteLength(prefix),
  };

  const tier = (mode: DeleteMode, check: Tier<StreamSource<DeleteEvent>>['check']): Tier<StreamSource<DeleteEvent>> => ({
    mode,
    check,
    open: async () => {
      const programs = Object.fromEntries(programsByMode[mode].map((name) => [name, undefined]));
      const { object, buffer } = await openEventObject({ object: 'deletes', programs, rodata }, stream);
      return { object, buffer, decode, mode, rejected: [] };
    },
  });

  return new EventStream(async () => {
    const selected = await selectTier('fileDeletes', attach, [
      tier('fentry', () => canAttachFentry('do_unlinkat')),
      tier('kprobe', () => canAttachKprobe('do_unlinkat')),
      tier('tracepoint', async () => (await probe()).modes.tracepoint),
    ]);
    return { ...selected.source, rejected: selected.rejected };
  }, stream);
}
