import { KernelObject } from '../kernel-object.js';
import { canAttachFentry, canAttachKprobe, probe } from '../probe.js';
import { selectTier, type Tier } from '../tiers.js';
import { layout } from '../decode.js';
import { native } from '../binding.js';
import { invalidOption, toBpfError } from '../errors.js';
import { abortSignal, boolean, integer, knownKeys, oneOf, optionalInteger, optionsObject } from '../validate.js';
import { log2Buckets, type Log2Bucket } from './histogram.js';
import { formatIpAddress, parseIpAddress, type IpAddress, type IpFamily } from './ip-address.js';
import type { Rejection } from '../event-stream.js';

export type TcpRttMode = 'fentry' | 'kprobe' | 'tp_btf' | 'raw_tp' | 'tracepoint';
export const tcpRttModes: readonly TcpRttMode[] = ['fentry', 'kprobe', 'tp_btf', 'raw_tp', 'tracepoint'];

export interface TcpRttOptions {
  /**
   * 'auto' (default): fentry on tcp_rcv_established, else a kprobe there, else the tcp:tcp_probe
   * tracepoint (which fires at the top of that function) as tp_btf, raw_tp or a classic tracepoint.
   */
  attach?: 'auto' | TcpRttMode;
  /** ms between snapshots. Default 1000. */
  interval?: number;
  /** ms after which the iteration ends (the last snapshot covers the rest). Default: never. */
  duration?: number;
  /** only sockets with this local port (0: any). */
  localPort?: number;
  /** only sockets with this remote port (0: any). */
  remotePort?: number;
  /** only sockets with this local address (IPv4 or IPv6 text). */
  localAddress?: string;
  /** only sockets with this remote address (IPv4 or IPv6 text). */
  remoteAddress?: string;
  /** only this address family. */
  family?: IpFamily;
  /** one histogram per local or per remote address instead of a single one. */
  perAddress?: 'local' | 'remote';
  /** samples in microseconds (default) or milliseconds. */
  unit?: TcpRttUnit;
  /** snapshots hold totals since attach instead of the interval's samples. Default false. */
  cumulative?: boolean;
  /** aborting ends the iteration after one last snapshot of the partial interval. */
  signal?: AbortSignal;
}

export type TcpRttUnit = 'us' | 'ms';

export interface TcpRttHistogram {
  /** the address this histogram is for (perAddress only). */
  key?: { family: IpFamily; address: string };
  /** samples: one per segment an established socket received. */
  count: number;
  /**
   * sum of the samples' smoothed RTT, in `unit`. A sample counted at the very instant of a read
   * can have its bucket in one snapshot and its share of the sum in the next; over consecutive
   * snapshots nothing is lost or counted twice.
   */
  sum: number;
  /** sum / count (0 without samples). */
  avg: number;
  /** every log2 slot, empty ones included; counts add up to `count`. */
  buckets: Log2Bucket[];
}

export interface TcpRttSnapshot {
  /** wall-clock ms (Date.now()) when the kernel counters were read. */
  timestamp: number;
  /** ms this snapshot covers: since the previous one, or since attach for the first. */
  intervalMs: number;
  unit: TcpRttUnit;
  /** histograms that received samples (for cumulative snapshots: ever). */
  histograms: TcpRttHistogram[];
}

export interface TcpRttInfo {
  mode: TcpRttMode;
  /** for automatic selection: why each better mode was not used. */
  rejected: Rejection[];
}

const optionKeys = ['attach', 'interval', 'duration', 'localPort', 'remotePort', 'localAddress', 'remoteAddress',
  'family', 'perAddress', 'unit', 'cumulative', 'signal'];
/** setTimeout's limit. */
const MAX_MS = 2 ** 31 - 1;
const AF_INET = 2;
const AF_INET6 = 10;

const programs: Record<TcpRttMode, string> = {
  fentry: 'handle_fentry_tcp_rcv',
  kprobe: 'handle_kprobe_tcp_rcv',
  tp_btf: 'handle_tp_btf_tcp_probe',
  raw_tp: 'handle_raw_tp_tcp_probe',
  tracepoint: 'handle_tp_tcp_probe',
};

let mapLayout: { key: ReturnType<typeof layout>; value: ReturnType<typeof layout>; slots: number } | undefined;

/** Where struct hist_key and struct hist keep their fields (native/bpf/tcprtt.h). */
function histLayout(): NonNullable<typeof mapLayout> {
  mapLayout ??= {
    key: layout('hist_key', ['family', 'addr']),
    value: layout('hist', ['latency_sum', 'count', 'slots']),
    slots: native.layouts().constants!.TCPRTT_MAX_SLOTS!,
  };
  return mapLayout;
}

interface Settings {
  attach: 'auto' | TcpRttMode;
  interval: number;
  duration: number;
  unit: TcpRttUnit;
  cumulative: boolean;
  perAddress?: 'local' | 'remote';
  signal?: AbortSignal;
  rodata: Record<string, number | boolean | Uint8Array>;
}

function filterAddress(value: unknown, option: string): IpAddress | undefined {
  if (value === undefined) return undefined;
  const address = parseIpAddress(value, option);
  if (address.bytes.every((byte) => byte === 0)) {
    throw invalidOption(option, 'the unspecified address matches no established connection');
  }
  return address;
}

function settings(options: unknown): Settings {
  const opts = optionsObject<TcpRttOptions>(options);
  knownKeys(opts, optionKeys);
  const attach = oneOf(opts.attach, 'attach', ['auto', ...tcpRttModes], 'auto');
  const interval = opts.interval === undefined ? 1000 : integer(opts.interval, 'interval', 1, MAX_MS);
  const duration = opts.duration === undefined ? Infinity : integer(opts.duration, 'duration', 1, MAX_MS);
  const localPort = optionalInteger(opts.localPort, 'localPort', 0, 65535) ?? 0;
  const remotePort = optionalInteger(opts.remotePort, 'remotePort', 0, 65535) ?? 0;
  const local = filterAddress(opts.localAddress, 'localAddress');
  const remote = filterAddress(opts.remoteAddress, 'remoteAddress');
  const family = opts.family === undefined ? undefined : oneOf(opts.family, 'family', ['ipv4', 'ipv6'], 'ipv4');
  if (local && remote && local.family !== remote.family) {
    throw invalidOption('remoteAddress', `is ${remote.family} but localAddress is ${local.family}: no socket has both`);
  }
  for (const [option, address] of [['localAddress', local], ['remoteAddress', remote]] as const) {
    if (address && family && address.family !== family) {
      throw invalidOption(option, `is ${address.family} but family is ${family}`);
    }
  }
  const perAddress = opts.perAddress === undefined ? undefined
    : oneOf(opts.perAddress, 'perAddress', ['local', 'remote'], 'local');
  const unit = oneOf(opts.unit, 'unit', ['us', 'ms'], 'us');
  const effectiveFamily = family ?? local?.family ?? remote?.family;
  const v4 = (address: IpAddress | undefined) => (address?.family === 'ipv4' ? address.bytes : new Uint8Array(4));
  const v6 = (address: IpAddress | undefined) => (address?.family === 'ipv6' ? address.bytes : new Uint8Array(16));
  return {
    attach,
    interval,
    duration,
    unit,
    cumulative: boolean(opts.cumulative, 'cumulative', false),
    ...(perAddress ? { perAddress } : {}),
    ...(opts.signal !== undefined ? { signal: abortSignal(opts.signal, 'signal') } : {}),
    rodata: {
      targ_family: effectiveFamily === 'ipv4' ? AF_INET : effectiveFamily === 'ipv6' ? AF_INET6 : 0,
      targ_sport: localPort,
      targ_dport: remotePort,
      targ_saddr: v4(local),
      targ_daddr: v4(remote),
      targ_saddr_v6: v6(local),
      targ_daddr_v6: v6(remote),
      targ_laddr_hist: perAddress === 'local',
      targ_raddr_hist: perAddress === 'remote',
      targ_ms: unit === 'ms',
    },
  };
}

/** Samples of one map key: what the kernel counted, what we accumulated, what we last reported. */
interface KeyState {
  key?: TcpRttHistogram['key'];
  rawSlots: Uint32Array;
  rawSum: bigint;
  totalSlots: number[];
  totalSum: number;
  reportedSlots: number[];
  reportedSum: number;
}

const DONE = { done: true, value: undefined } as const;

/**
 * TCP round-trip-time histograms as an async iterator of snapshots, one per `interval`. The kernel
 * side only ever adds to its counters; each snapshot is the difference from what the previous one
 * reported, so a sample counted while a snapshot is being read lands in the next one instead of
 * being lost (the C tool clears the map after reading it, dropping what arrives in between).
 */
export class TcpRtt implements AsyncIterableIterator<TcpRttSnapshot>, AsyncDisposable {
  /** Resolves once the program is attached; rejects if no mode works or options are impossible. */
  readonly ready: Promise<TcpRttInfo>;

  private readonly settings: Settings;
  private object?: KernelObject;
  private info?: TcpRttInfo;
  private readonly states = new Map<string, KeyState>();
  private startedAt = 0;
  private lastSnapshotAt = 0;
  private snapshots = 0;
  private failure?: unknown;
  private final?: TcpRttSnapshot;
  private ended = false;
  private closing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private wake?: () => void;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly onAbort = () => this.abort();

  /** @internal use tcpRtt(). */
  constructor(settings: Settings) {
    this.settings = settings;
    if (settings.signal?.aborted) {
      this.ended = true;
      this.closing = Promise.resolve();
      this.ready = Promise.reject(abortError(settings.signal));
    } else {
      settings.signal?.addEventListener('abort', this.onAbort, { once: true });
      this.ready = this.open();
    }
    this.ready.catch(() => {});
  }

  private async open(): Promise<TcpRttInfo> {
    try {
      const tier = (mode: TcpRttMode, check: Tier<KernelObject>['check']): Tier<KernelObject> => ({
        mode, check, open: () => this.attach(mode),
      });
      const selected = await selectTier('tcpRtt', this.settings.attach, [
        tier('fentry', () => canAttachFentry('tcp_rcv_established')),
        tier('kprobe', () => canAttachKprobe('tcp_rcv_established')),
        tier('tp_btf', async () => (await probe()).modes.tp_btf),
        tier('raw_tp', async () => (await probe()).modes.raw_tp),
        tier('tracepoint', async () => (await probe()).modes.tracepoint),
      ]);
      this.object = selected.source;
      this.info = { mode: selected.mode as TcpRttMode, rejected: selected.rejected };
    } catch (error) {
      this.failure = toBpfError(error);
      this.ended = true;
      this.settings.signal?.removeEventListener('abort', this.onAbort);
      throw this.failure;
    }
    if (this.ended) {
      await this.object.close();
      throw new Error('tcpRtt closed while opening');
    }
    this.startedAt = this.lastSnapshotAt = performance.now();
    return this.info;
  }

  private attach(mode: TcpRttMode): KernelObject {
    const program = programs[mode];
    const object = KernelObject.open({ object: 'tcprtt', programs: [program], rodata: this.settings.rodata });
    try {
      object.load();
      object.attach(program);
      return object;
    } catch (error) {
      object.closeNow();
      throw error;
    }
  }

  /** The attach mode in use, once ready. */
  get mode(): TcpRttMode | undefined {
    return this.info?.mode;
  }

  get unit(): TcpRttUnit {
    return this.settings.unit;
  }

  /** Which address histograms are keyed by, if any. */
  get perAddress(): 'local' | 'remote' | undefined {
    return this.settings.perAddress;
  }

  /** Totals since attach, read now; does not affect what the next snapshot reports. */
  totals(): TcpRttSnapshot {
    if (!this.object || this.object.closed) {
      throw Object.assign(new Error('tcpRtt: not attached (await ready; it must not be closed)'), { code: 'BPFKIT_CLOSED' });
    }
    const now = performance.now();
    this.readKernel();
    return this.snapshot(now - this.startedAt, true);
  }

  next(): Promise<IteratorResult<TcpRttSnapshot>> {
    const step = this.queue.then(() => this.step());
    this.queue = step.catch(() => {});
    return step;
  }

  private async step(): Promise<IteratorResult<TcpRttSnapshot>> {
    if (!this.ended) await this.ready.catch(() => {});
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      throw failure;
    }
    if (this.ended) return this.takeFinal();
    const { interval, duration } = this.settings;
    const due = this.startedAt + Math.min((this.snapshots + 1) * interval, duration);
    // Timers run on the event loop's cached clock, which can lag: they may fire early.
    for (let left = due - performance.now(); left > 0 && !this.ended; left = due - performance.now()) {
      await this.sleep(left);
    }
    if (this.ended) return this.takeFinal();
    const now = performance.now();
    const snapshot = this.read(now);
    // A consumer slower than the interval gets one snapshot for the intervals it missed.
    this.snapshots = Math.floor((now - this.startedAt) / interval);
    if (now - this.startedAt >= duration) void this.close();
    return { done: false, value: snapshot };
  }

  /** The partial interval's snapshot if an abort kept one; else done, once the kernel object is gone. */
  private async takeFinal(): Promise<IteratorResult<TcpRttSnapshot>> {
    const final = this.final;
    this.final = undefined;
    if (final) return { done: false, value: final };
    await this.closing;
    return DONE;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, Math.max(0, ms));
    });
  }

  private read(now: number): TcpRttSnapshot {
    this.readKernel();
    const snapshot = this.snapshot(now - this.lastSnapshotAt, this.settings.cumulative);
    this.lastSnapshotAt = now;
    for (const state of this.states.values()) {
      state.reportedSlots = [...state.totalSlots];
      state.reportedSum = state.totalSum;
    }
    return snapshot;
  }

  /** Adds what the kernel counted since the last read to the totals (u32 slots may wrap once). */
  private readKernel(): void {
    const object = this.object!;
    const { key: keyAt, value: valueAt, slots: slotCount } = histLayout();
    for (const key of object.keys('hists')) {
      const value = object.lookup('hists', key);
      if (!value) continue;
      const id = Buffer.from(key).toString('hex');
      const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
      let state = this.states.get(id);
      if (!state) {
        state = {
          ...this.keyOf(key, keyAt),
          rawSlots: new Uint32Array(slotCount),
          rawSum: 0n,
          totalSlots: new Array<number>(slotCount).fill(0),
          totalSum: 0,
          reportedSlots: new Array<number>(slotCount).fill(0),
          reportedSum: 0,
        };
        this.states.set(id, state);
      }
      for (let i = 0; i < slotCount; i++) {
        const raw = view.getUint32(valueAt.slots + 4 * i, true);
        state.totalSlots[i]! += (raw - state.rawSlots[i]!) >>> 0;
        state.rawSlots[i] = raw;
      }
      const rawSum = view.getBigUint64(valueAt.latency_sum, true);
      state.totalSum += Number(rawSum - state.rawSum);
      state.rawSum = rawSum;
    }
  }

  private keyOf(key: Uint8Array, at: ReturnType<typeof layout>): { key?: TcpRttHistogram['key'] } {
    const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
    const family = view.getUint16(at.family, true);
    if (family !== AF_INET && family !== AF_INET6) return {};
    const ipFamily: IpFamily = family === AF_INET ? 'ipv4' : 'ipv6';
    return { key: { family: ipFamily, address: formatIpAddress(ipFamily, key.subarray(at.addr!, at.addr! + 16)) } };
  }

  private snapshot(intervalMs: number, cumulative: boolean): TcpRttSnapshot {
    const histograms: TcpRttHistogram[] = [];
    for (const state of this.states.values()) {
      const slots = cumulative ? state.totalSlots : state.totalSlots.map((total, i) => total - state.reportedSlots[i]!);
      const sum = cumulative ? state.totalSum : state.totalSum - state.reportedSum;
      const count = slots.reduce((a, b) => a + b, 0);
      if (count === 0 && sum === 0) continue;
      histograms.push({
        ...(state.key ? { key: state.key } : {}),
        count,
        sum,
        avg: count > 0 ? sum / count : 0,
        buckets: log2Buckets(slots),
      });
    }
    return { timestamp: Date.now(), intervalMs, unit: this.settings.unit, histograms };
  }

  async return(): Promise<IteratorResult<TcpRttSnapshot>> {
    await this.close();
    return DONE;
  }

  async throw(error?: unknown): Promise<IteratorResult<TcpRttSnapshot>> {
    await this.close();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Keeps what the partial interval counted for the next next() call, then closes. */
  private abort(): void {
    if (this.object && !this.object.closed && !this.ended) {
      try {
        this.final = this.read(performance.now());
      } catch (error) {
        this.failure = toBpfError(error);
      }
    }
    void this.close();
  }

  /**
   * Ends the iteration (a pending next() finishes at once) and detaches and frees the kernel
   * object; the promise settles when it is gone. Idempotent.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.ended = true;
    this.settings.signal?.removeEventListener('abort', this.onAbort);
    clearTimeout(this.timer);
    this.wake?.();
    this.closing = this.ready.then(() => this.object?.close(), () => {});
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * TCP smoothed round-trip times (the kernel's srtt_us >> 3, one sample per segment an established
 * socket receives) as log2 histograms, one snapshot per `interval` ms. Options are checked here,
 * before any kernel object exists; the program is attached in the background (see `ready`).
 */
export function tcpRtt(options?: TcpRttOptions): TcpRtt {
  return new TcpRtt(settings(options));
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : Object.assign(new Error('aborted'), { name: 'AbortError' });
}
