import { Btf, Kind } from '../btf/btf.js';
import { invalidOption } from '../errors.js';
import { formatOf, isCharPointer, memorySize, type ValueFormat } from './value-format.js';

/** One memory read the BPF side does at function entry (struct trace_read), and how to decode it. */
export interface ReadPlan {
  /** the key the value gets in the event's args: the expression, or the parameter's name. */
  label: string;
  arg: number;
  kind: 'string' | 'bytes';
  /** address offsets; a pointer is loaded between consecutive ones. */
  offsets: number[];
  size: number;
  format: ValueFormat;
}

/** One parameter and the register slot its value arrives in. */
export interface ParamSlot {
  name: string;
  typeId: number;
  /** argument register index, or undefined past the sixth register / for stack-passed structs. */
  register?: number;
}

export interface PlanLimits {
  maxReads: number;
  maxDepth: number;
  readMax: number;
  maxArgs: number;
}

/**
 * Parameters in register order (x86_64 SysV): scalars and pointers take one register, structs of
 * up to 16 bytes passed by value take one or two, larger ones go on the stack and take none.
 */
export function paramSlots(btf: Btf, protoId: number, maxArgs: number): ParamSlot[] {
  let next = 0;
  return btf.params(protoId).filter((param) => param.type !== 0).map((param, index) => {
    const resolved = btf.resolve(param.type);
    const kind = btf.kind(resolved);
    const size = btf.size(resolved);
    const registers = kind === Kind.Struct || kind === Kind.Union ? (size > 16 ? 0 : Math.ceil(size / 8)) : 1;
    const register = registers > 0 && next < maxArgs ? next : undefined;
    next += registers;
    return { name: param.name || `arg${index}`, typeId: param.type, ...(register !== undefined ? { register } : {}) };
  });
}

/** Finds a member by name, looking into anonymous structs and unions as C does. Offsets in bits. */
function findMember(btf: Btf, structId: number, name: string, depth = 0): { type: number; bitOffset: number; bitSize: number } | undefined {
  if (depth > 8) return undefined;
  for (const member of btf.members(structId)) {
    if (member.name === name) return member;
    if (member.name === '') {
      const inner = btf.resolve(member.type);
      const kind = btf.kind(inner);
      if (kind !== Kind.Struct && kind !== Kind.Union) continue;
      const found = findMember(btf, inner, name, depth + 1);
      if (found) return { ...found, bitOffset: found.bitOffset + member.bitOffset };
    }
  }
  return undefined;
}

const EXPRESSION = /^([A-Za-z_]\w*)((?:(?:->|\.)[A-Za-z_]\w*)+)$/;

/** Whether `expression` names a field path ('name->name', 'sk->__sk_common.skc_daddr'). */
export function isFieldPath(expression: string): boolean {
  return EXPRESSION.test(expression);
}

export function baseParam(expression: string): string {
  return /^[A-Za-z_]\w*/.exec(expression)?.[0] ?? '';
}

/**
 * Resolves a field path against a function's parameters into offsets the BPF side follows with
 * bounded reads. Throws a RangeError naming `option` when a step does not exist or cannot be read.
 */
export function planFieldPath(btf: Btf, slots: ParamSlot[], expression: string, option: string, limits: PlanLimits): ReadPlan {
  const match = EXPRESSION.exec(expression);
  if (!match) throw invalidOption(option, `'${expression}' is not a field path like 'name->name' or 'sk->__sk_common.skc_daddr'`);
  const param = slots.find((slot) => slot.name === match[1]);
  if (!param) throw invalidOption(option, `'${expression}': no parameter named '${match[1]}' (parameters: ${slots.map((s) => s.name).join(', ')})`);
  if (param.register === undefined) throw invalidOption(option, `'${expression}': parameter '${param.name}' is not passed in one of the first ${limits.maxArgs} registers`);
  const offsets: number[] = [];
  let current = param.typeId;
  let pending: number | undefined;
  for (const [, op, field] of match[2]!.matchAll(/(->|\.)([A-Za-z_]\w*)/g)) {
    let container = btf.resolve(current);
    if (op === '->') {
      if (btf.kind(container) !== Kind.Ptr) throw invalidOption(option, `'${expression}': '->${field}' applied to a value that is not a pointer`);
      if (pending !== undefined) offsets.push(pending);
      container = btf.resolve(btf.target(container));
      pending = 0;
    } else if (pending === undefined) {
      throw invalidOption(option, `'${expression}': '.${field}' on a parameter passed by value is not supported`);
    }
    const kind = btf.kind(container);
    if (kind !== Kind.Struct && kind !== Kind.Union) {
      throw invalidOption(option, `'${expression}': '${op}${field}' applied to ${kind === Kind.Fwd ? 'a struct whose layout is not in BTF' : 'a value that is not a struct or union'}`);
    }
    const member = findMember(btf, container, field!);
    if (!member) throw invalidOption(option, `'${expression}': ${btf.name(container) || 'the struct'} has no member '${field}'`);
    if (member.bitSize !== 0 || member.bitOffset % 8 !== 0) throw invalidOption(option, `'${expression}': '${field}' is a bitfield`);
    pending! += member.bitOffset / 8;
    current = member.type;
  }
  const format = formatOf(btf, current);
  let kind: ReadPlan['kind'] = 'bytes';
  if (format.kind === 'string') {
    kind = 'string';
    if (isCharPointer(btf, current)) {
      offsets.push(pending!);
      pending = 0;
    }
  }
  offsets.push(pending!);
  if (offsets.length > limits.maxDepth) {
    throw invalidOption(option, `'${expression}': follows ${offsets.length - 1} pointers, at most ${limits.maxDepth - 1} are allowed`);
  }
  if (format.kind === 'bytes' && format.size > limits.readMax) {
    throw invalidOption(option, `'${expression}': the value is ${format.size} bytes, at most ${limits.readMax} can be read`);
  }
  return { label: expression, arg: param.register!, kind, offsets, size: kind === 'string' ? limits.readMax : memorySize(format, limits.readMax), format };
}

/** A string read of a char * parameter itself. */
export function planStringParam(slot: ParamSlot, readMax: number): ReadPlan {
  return { label: slot.name, arg: slot.register!, kind: 'string', offsets: [0], size: readMax, format: { kind: 'string' } };
}
