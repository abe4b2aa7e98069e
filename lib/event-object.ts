import { KernelObject, type RodataValue } from './kernel-object.js';
import { probe } from './probe.js';
import type { AttachSpec } from '../types/native.js';
import type { BufferKind, StreamOptions } from './stream-options.js';

export interface EventObjectSpec {
  object: string;
  /** programs to load and attach, with how to attach each (default: by their SEC()). */
  programs: Record<string, AttachSpec | undefined>;
  rodata?: Record<string, RodataValue>;
  attachTargets?: Record<string, { function: string; programFd?: number }>;
  /** maps taken from another object by fd (see ObjectOpenOptions.reuseMaps). */
  reuseMaps?: Record<string, number>;
  mapSizes?: Record<string, number>;
}

/** The ring buffer where the kernel has one, else the perf buffer (kernels before 5.8). */
async function chooseBuffer(options: StreamOptions): Promise<BufferKind> {
  if (options.buffer !== 'auto') return options.buffer;
  return (await probe()).buffers.ringbuf.available ? 'ringbuf' : 'perf';
}

/**
 * Opens, loads and attaches an object built on event_buffer.bpf.h, with the stream's buffer kind,
 * size and wakeup policy applied. On any failure everything opened so far is released.
 */
export async function openEventObject(spec: EventObjectSpec, options: StreamOptions): Promise<{ object: KernelObject; buffer: BufferKind }> {
  const buffer = await chooseBuffer(options);
  const object = KernelObject.open({
    object: spec.object,
    programs: Object.keys(spec.programs),
    rodata: {
      ...spec.rodata,
      targ_use_perf: buffer === 'perf',
      targ_wakeup_every: buffer === 'ringbuf' ? options.wakeupEvery : 0,
    },
    mapSizes: { ...spec.mapSizes, ...(buffer === 'ringbuf' ? { events: options.ringSize } : {}) },
    skipMaps: [buffer === 'ringbuf' ? 'events_perf' : 'events'],
    ...(spec.attachTargets ? { attachTargets: spec.attachTargets } : {}),
    ...(spec.reuseMaps ? { reuseMaps: spec.reuseMaps } : {}),
  });
  try {
    object.load();
    for (const [program, attach] of Object.entries(spec.programs)) object.attach(program, attach);
    return { object, buffer };
  } catch (error) {
    object.closeNow();
    throw error;
  }
}
