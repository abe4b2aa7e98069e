import { invalidOption } from '../errors.js';

export type PredicateOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** `ret < 0`, `dfd == -100`, `flags != 0x200`: one integer comparison on the return value or a parameter. */
export interface Predicate {
  operand: string;
  op: PredicateOp;
  value: bigint;
}

/** Values of targ_pred_op (native/bpf/trace.h). */
export const predicateOpCodes: Record<PredicateOp, number> = { '==': 1, '!=': 2, '<': 3, '<=': 4, '>': 5, '>=': 6 };

const SYNTAX = /^\s*([A-Za-z_]\w*)\s*(==|!=|<=|>=|<|>)\s*(-?(?:0x[0-9a-fA-F]+|\d+))\s*$/;
const S64_MIN = -(1n << 63n);
const U64_MAX = (1n << 64n) - 1n;

export function parsePredicate(value: unknown, option: string): Predicate | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidOption(option, "must be a string like 'ret < 0' or 'dfd == -100'", 'type');
  const match = SYNTAX.exec(value);
  if (!match) throw invalidOption(option, `'${value}' is not '<ret or parameter> <op> <integer>' (ops: == != < <= > >=)`);
  const text = match[3]!;
  const number = text.startsWith('-') ? -BigInt(text.slice(1)) : BigInt(text);
  if (number < S64_MIN || number > U64_MAX) throw invalidOption(option, `${text} does not fit in 64 bits`);
  return { operand: match[1]!, op: match[2] as PredicateOp, value: number };
}
