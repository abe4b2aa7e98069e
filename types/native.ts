// The addon's whole surface, typed once. lib/binding.ts loads the addon and casts it to `Native`;
// nothing else in lib/ touches the untyped module.

/** Fields every error thrown by the addon carries (lib/errors.ts turns them into BpfError). */
export interface NativeErrorFields {
  /** errno name ("EPERM") or a namespaced code ("BPFKIT_CLOSED", "BPFKIT_INVALID_ARG"). */
  code: string;
  /** positive errno value when the failure came from the kernel or libbpf. */
  errno?: number;
  /** the libbpf or syscall operation that failed, e.g. "bpf_object__load". */
  op?: string;
  /** libbpf and verifier output captured while the operation ran (bounded). */
  log?: string;
}

export interface ObjectOpenOptions {
  /** Name of an embedded, pre-compiled BPF object (see embeddedObjects()). */
  object: string;
  /** Programs to load; every other program of the object gets autoload=false. Default: all. */
  programs?: string[];
  /** Initial value of the object's .rodata section (the targ_* filters); must be exactly its size. */
  rodata?: Uint8Array;
  /** max_entries overrides by map name (ring buffer sizes, histogram maps). */
  mapSizes?: Record<string, number>;
  /** Maps not to create (e.g. the ring buffer when the perf buffer is used). */
  skipMaps?: string[];
  /** bpf_program__set_attach_target for fentry/fexit programs, before load. */
  attachTargets?: Record<string, { function: string; programFd?: number }>;
  /** bpf_map__reuse_fd: these maps share another object's map (by its fd) instead of being created,
   * e.g. a tracer writing into the ring buffer of the object it traces. The fd is duplicated. */
  reuseMaps?: Record<string, number>;
}

export type AttachSpec =
  /** bpf_program__attach: what the program's SEC() says. */
  | { kind: 'auto' }
  | { kind: 'kprobe'; function: string; retprobe: boolean }
  | { kind: 'kprobe.multi'; functions: string[]; retprobe: boolean }
  | { kind: 'tracepoint'; category: string; name: string }
  | { kind: 'raw_tp'; name: string };

export interface MapInfo {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** number of possible CPUs: per-CPU map values are valueSize rounded up to 8, times this. */
  possibleCpus: number;
}

export interface NativeBpfObject {
  /** Loads every autoloaded program; on failure the error's log holds the verifier output. */
  load(): void;
  /** Attaches a loaded program; returns a link id for detach(). */
  attach(program: string, spec: AttachSpec): number;
  detach(link: number): void;
  programFd(program: string): number;
  /** BPF program id (as bpftool prog shows it). */
  programId(program: string): number;
  mapFd(map: string): number;
  mapInfo(map: string): MapInfo;
  /** Value bytes for key, or null when absent. Per-CPU maps return all CPUs' values back to back. */
  mapLookup(map: string, key: Uint8Array): Uint8Array | null;
  mapUpdate(map: string, key: Uint8Array, value: Uint8Array): void;
  mapDelete(map: string, key: Uint8Array): boolean;
  /** Every key of a hash map (snapshot). */
  mapKeys(map: string): Uint8Array[];
  /** Size in bytes of the .rodata section, so callers can build `rodata`. */
  readonly rodataSize: number;
  readonly closed: boolean;
  /** Detaches every link and closes every fd synchronously. Idempotent. */
  close(): void;
  /** Same as close(), but the slow kernel work (link detach waits for an RCU grace period) runs on
   * the libuv thread pool; `done` runs on the JS thread afterwards. Idempotent. */
  closeAsync(done: () => void): void;
}

export interface EventReaderOptions {
  /** 'ringbuf' for BPF_MAP_TYPE_RINGBUF, 'perf' for BPF_MAP_TYPE_PERF_EVENT_ARRAY. */
  kind: 'ringbuf' | 'perf';
  /** perf buffer pages per CPU (power of two); ignored for ringbuf. */
  perfPages?: number;
  /** most records copied into one batch. */
  maxBatchRecords: number;
  /** most bytes one batch buffer may hold. */
  maxBatchBytes: number;
}

/**
 * A batch: records framed as [u32 length][payload][pad to 8] in `data`.
 * `lost` counts records the perf buffer reported lost since the previous batch (0 for ringbuf).
 */
export type BatchCallback = (data: ArrayBuffer, records: number, lost: number) => void;
/**
 * Receives what onBatch threw, and libbpf's consume errors. If it throws in turn, that exception
 * escapes: out of flush() to its caller, or from the event loop to process 'uncaughtException'.
 */
export type ReaderErrorCallback = (error: Error) => void;

export interface NativeEventReader {
  /** Starts polling (uv_poll on the environment's own loop). */
  start(): void;
  /** Stops draining: records stay in the kernel ring (backpressure). */
  pause(): void;
  resume(): void;
  /** Drains whatever is in the ring right now, synchronously, delivering batches. */
  flush(): void;
  ref(): void;
  unref(): void;
  readonly closed: boolean;
  /** Stops polling and frees the libbpf buffer. Idempotent; the map fd belongs to the object. */
  close(): void;
}

export interface Native {
  /** libbpf's version, e.g. "1.5". */
  libbpfVersion(): string;
  /** Names of the pre-compiled BPF objects the addon embeds. */
  embeddedObjects(): string[];
  /** sizeof/offsetof of the C structs shared with the BPF programs, by struct then field. */
  layouts(): Record<string, Record<string, number>>;
  BpfObject: new (options: ObjectOpenOptions) => NativeBpfObject;
  EventReader: new (
    mapFd: number,
    options: EventReaderOptions,
    onBatch: BatchCallback,
    onError: ReaderErrorCallback,
  ) => NativeEventReader;
}
