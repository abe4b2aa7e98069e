import { invalidOption } from '../errors.js';
import type { FunctionRef } from '../btf/functions.js';
import { formatOf, isCharPointer, isIntegral, type ValueFormat } from './value-format.js';
import { baseParam, paramSlots, planFieldPath, planStringParam, type ParamSlot, type PlanLimits, type ReadPlan } from './read-plan.js';
import type { Predicate } from './predicate.js';

/** Everything needed to trace one function and decode its calls, resolved from BTF. */
export interface TracedFunction {
  name: string;
  module?: string;
  slots: (ParamSlot & { format: ValueFormat })[];
  returnFormat: ValueFormat;
  reads: ReadPlan[];
  /** register index of the predicate's operand, 'ret', or undefined for no predicate here. */
  predicate?: { operand: number | 'ret'; size: number; signed: boolean };
}

function predicateOperand(format: ValueFormat): { size: number; signed: boolean } | undefined {
  if (!isIntegral(format)) return undefined;
  if (format.kind === 'int' || format.kind === 'enum') return { size: format.size, signed: format.signed };
  return { size: format.kind === 'bool' ? 1 : 8, signed: false };
}

/**
 * Plans the reads and the predicate for one function: the caller's field paths that start at one
 * of its parameters first, then a string read for each char * parameter while read slots last.
 */
export function planFunction(ref: FunctionRef, fieldPaths: string[], predicate: Predicate | undefined, limits: PlanLimits): TracedFunction {
  const { btf, protoId } = ref;
  const slots = paramSlots(btf, protoId, limits.maxArgs).map((slot) => ({ ...slot, format: formatOf(btf, slot.typeId) }));
  const returnFormat = formatOf(btf, btf.target(protoId));
  const name = btf.name(ref.funcId);
  const reads: ReadPlan[] = [];
  for (const path of fieldPaths) {
    if (!slots.some((slot) => slot.name === baseParam(path))) continue;
    reads.push(planFieldPath(btf, slots, path, 'args', limits));
  }
  if (reads.length > limits.maxReads) {
    throw invalidOption('args', `${name}: ${reads.length} field paths, at most ${limits.maxReads} per function`);
  }
  for (const slot of slots) {
    if (reads.length >= limits.maxReads) break;
    if (slot.register !== undefined && isCharPointer(btf, slot.typeId)) reads.push(planStringParam(slot, limits.readMax));
  }
  const traced: TracedFunction = { name, ...(ref.module ? { module: ref.module } : {}), slots, returnFormat, reads };
  if (!predicate) return traced;
  if (predicate.operand === 'ret') {
    const operand = predicateOperand(returnFormat);
    if (!operand) throw invalidOption('where', `${name} returns ${returnFormat.kind === 'void' ? 'void' : 'a value that is not an integer'}: 'ret' cannot be compared`);
    return { ...traced, predicate: { operand: 'ret', ...operand } };
  }
  const slot = slots.find((s) => s.name === predicate.operand);
  if (!slot) throw invalidOption('where', `${name} has no parameter '${predicate.operand}' (parameters: ${slots.map((s) => s.name).join(', ') || 'none'})`);
  const operand = predicateOperand(slot.format);
  if (!operand || slot.register === undefined) throw invalidOption('where', `${name}: parameter '${slot.name}' is not an integer in a register`);
  return { ...traced, predicate: { operand: slot.register, ...operand } };
}
