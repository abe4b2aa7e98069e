import { native } from './binding.js';
import { BpfError } from './errors.js';

export type Layout = Readonly<Record<string, number>> & { readonly __size: number };

let layouts: Record<string, Record<string, number>> | undefined;

/** Offsets of a C struct shared with the BPF programs, as the compiler laid it out (from the addon). */
export function layout(struct: string, fields: readonly string[]): Layout {
  layouts ??= native.layouts();
  const found = layouts[struct];
  if (!found || found.__size === undefined) {
    throw new BpfError(`the addon exports no layout for struct ${struct}`, { code: 'BPFKIT_NOT_FOUND' });
  }
  for (const field of fields) {
    if (found[field] === undefined) {
      throw new BpfError(`struct ${struct} has no field ${field}`, { code: 'BPFKIT_NOT_FOUND' });
    }
  }
  return found as Layout;
}

/** Throws a typed decode error unless a record of `length` bytes holds the whole struct. */
export function checkRecord(struct: string, size: number, view: DataView, offset: number, length: number): void {
  if (length < size || offset < 0 || offset + length > view.byteLength) {
    throw new BpfError(`truncated ${struct} record: ${length} bytes at ${offset}, need ${size}`, { code: 'BPFKIT_DECODE' });
  }
}

const utf8 = new TextDecoder('utf-8');

/** A NUL-terminated string in a fixed-size char array (never reads past `max`). */
export function cString(view: DataView, offset: number, max: number): string {
  const bytes = new Uint8Array(view.buffer, view.byteOffset + offset, max);
  const end = bytes.indexOf(0);
  return utf8.decode(end < 0 ? bytes : bytes.subarray(0, end));
}
