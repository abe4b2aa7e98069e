import { native } from '../binding.js';
import { layout } from '../decode.js';
import type { TracedFunction } from './traced-function.js';

const constants = () => native.layouts().constants!;

/** The .rodata image of targ_funcs (an array of struct trace_func), one entry per traced function. */
export function functionTable(functions: TracedFunction[], entries: number): Uint8Array {
  const func = layout('trace_func', ['reads', 'pred_arg', 'pred_size', 'pred_signed']);
  const read = layout('trace_read', ['offsets', 'arg', 'kind', 'depth', 'size']);
  const c = constants();
  const bytes = new Uint8Array(func.__size * entries);
  const view = new DataView(bytes.buffer);
  functions.forEach((fn, index) => {
    const base = index * func.__size;
    fn.reads.forEach((plan, i) => {
      const at = base + func.reads + i * read.__size;
      plan.offsets.forEach((offset, j) => view.setUint32(at + read.offsets + 4 * j, offset, true));
      view.setUint8(at + read.arg, plan.arg);
      view.setUint8(at + read.kind, plan.kind === 'string' ? c.TRACE_READ_STRING! : c.TRACE_READ_BYTES!);
      view.setUint8(at + read.depth, plan.offsets.length);
      view.setUint8(at + read.size, plan.size);
    });
    const predicate = fn.predicate;
    view.setUint8(base + func.pred_arg, predicate === undefined ? c.TRACE_PRED_NONE!
      : predicate.operand === 'ret' ? c.TRACE_PRED_RET! : predicate.operand);
    view.setUint8(base + func.pred_size, predicate?.size ?? 8);
    view.setUint8(base + func.pred_signed, predicate?.signed ? 1 : 0);
  });
  return bytes;
}

/** targ_func_ips: function start addresses in ascending order, as the BPF binary search expects. */
export function addressTable(addresses: bigint[], entries: number): Uint8Array {
  const bytes = new Uint8Array(8 * entries);
  const view = new DataView(bytes.buffer);
  addresses.forEach((address, i) => view.setBigUint64(8 * i, address, true));
  return bytes;
}
