import { native } from './binding.js';
import { BpfError, nativeCall } from './errors.js';
import type { AttachSpec, NativeBpfObject, ObjectOpenOptions } from '../types/native.js';

export type RodataValue = number | bigint | boolean | string | Uint8Array;

/**
 * The .rodata image of an embedded object, built from named `targ_*` values at the offsets and
 * sizes the C compiler chose (exported by the addon as layouts()['<object>.rodata']).
 */
function buildRodata(object: string, size: number, values: Record<string, RodataValue>): Uint8Array {
  const layout = native.layouts()[`${object}.rodata`];
  if (!layout) throw new BpfError(`no rodata layout for object '${object}'`, { code: 'BPFKIT_NOT_FOUND' });
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  for (const [name, value] of Object.entries(values)) {
    const offset = layout[name];
    const width = layout[`${name}.size`];
    if (offset === undefined || width === undefined) {
      throw new BpfError(`object '${object}' has no rodata variable '${name}'`, { code: 'BPFKIT_NOT_FOUND' });
    }
    writeValue(view, bytes, offset, width, value, name);
  }
  return bytes;
}

function writeValue(view: DataView, bytes: Uint8Array, offset: number, width: number, value: RodataValue, name: string) {
  if (typeof value === 'string') value = new TextEncoder().encode(value);
  if (value instanceof Uint8Array) {
    if (value.length > width) throw new RangeError(`rodata ${name}: ${value.length} bytes do not fit in ${width}`);
    bytes.set(value, offset);
    return;
  }
  const number = typeof value === 'boolean' ? (value ? 1n : 0n) : BigInt.asUintN(width * 8, BigInt(value));
  for (let i = 0; i < width; i++) view.setUint8(offset + i, Number((number >> BigInt(8 * i)) & 0xffn));
}

const rodataSizes = new Map<string, number>();

/** Size of an object's .rodata image, learned once by opening (not loading) the object. */
function rodataSize(object: string): number {
  let size = rodataSizes.get(object);
  if (size === undefined) {
    const probe = nativeCall(() => new native.BpfObject({ object, programs: [] }));
    size = probe.rodataSize;
    probe.close();
    rodataSizes.set(object, size);
  }
  return size;
}

/** One opened BPF object: its programs, links and maps, released together by close(). */
export class KernelObject {
  readonly name: string;
  private readonly handle: NativeBpfObject;
  private closing?: Promise<void>;
  private readonly closeHooks = new Set<() => unknown>();

  private constructor(name: string, handle: NativeBpfObject) {
    this.name = name;
    this.handle = handle;
  }

  /** Opens an embedded object; `rodata` values are laid out by buildRodata. */
  static open(options: Omit<ObjectOpenOptions, 'rodata'> & { rodata?: Record<string, RodataValue> }): KernelObject {
    const { rodata, ...rest } = options;
    if (!rodata) return new KernelObject(options.object, nativeCall(() => new native.BpfObject(rest)));
    const image = buildRodata(options.object, rodataSize(options.object), rodata);
    return new KernelObject(options.object, nativeCall(() => new native.BpfObject({ ...rest, rodata: image })));
  }

  get closed(): boolean {
    return this.handle.closed;
  }

  load(): void {
    nativeCall(() => this.handle.load());
  }

  attach(program: string, spec: AttachSpec = { kind: 'auto' }): number {
    return nativeCall(() => this.handle.attach(program, spec));
  }

  detach(link: number): void {
    nativeCall(() => this.handle.detach(link));
  }

  programFd(program: string): number {
    return nativeCall(() => this.handle.programFd(program));
  }

  programId(program: string): number {
    return nativeCall(() => this.handle.programId(program));
  }

  mapFd(map: string): number {
    return nativeCall(() => this.handle.mapFd(map));
  }

  lookup(map: string, key: Uint8Array): Uint8Array | null {
    return nativeCall(() => this.handle.mapLookup(map, key));
  }

  keys(map: string): Uint8Array[] {
    return nativeCall(() => this.handle.mapKeys(map));
  }

  /** Sum over CPUs of a per-CPU array's u64 at `index`. */
  perCpuSum(map: string, index = 0): bigint {
    const key = new Uint8Array(4);
    new DataView(key.buffer).setUint32(0, index, true);
    const value = this.lookup(map, key);
    if (!value) return 0n;
    const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
    const stride = value.byteLength / nativeCall(() => this.handle.mapInfo(map)).possibleCpus;
    let sum = 0n;
    for (let offset = 0; offset < value.byteLength; offset += stride) sum += view.getBigUint64(offset, true);
    return sum;
  }

  /** Detaches every link and frees every fd; the kernel work runs off the JS thread. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.runCloseHooks().then(() => new Promise((resolve) => this.handle.closeAsync(resolve)));
    return this.closing;
  }

  /** Synchronous close for paths that cannot wait (failed opens, process exit). */
  closeNow(): void {
    void this.runCloseHooks();
    this.handle.close();
  }

  /**
   * Runs `hook` (awaited by close()) before this object's programs are released: a tracer attached
   * to one of them must go first, or its link keeps the program alive. Returns the unregister call.
   */
  onClose(hook: () => unknown): () => void {
    this.closeHooks.add(hook);
    return () => this.closeHooks.delete(hook);
  }

  private async runCloseHooks(): Promise<void> {
    const hooks = [...this.closeHooks];
    this.closeHooks.clear();
    await Promise.allSettled(hooks.map(async (hook) => hook()));
  }
}
