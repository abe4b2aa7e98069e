import type { NativeErrorFields } from '../types/native.js';
import { privilegeExplanation } from './privilege.js';

/** Codes bpfkit itself raises; kernel and libbpf failures use the errno name ("EPERM"). */
export type BpfkitCode =
  | 'BPFKIT_CLOSED'
  | 'BPFKIT_INVALID_ARG'
  | 'BPFKIT_INVALID_OPTION'
  | 'BPFKIT_NOT_FOUND'
  | 'BPFKIT_MODE_UNAVAILABLE'
  | 'BPFKIT_NO_MODE'
  | 'BPFKIT_DECODE'
  | 'BPFKIT_UNTRACEABLE';

/**
 * Every failure that comes from the kernel, libbpf or bpfkit's own checks. `code` is an errno name
 * or a BPFKIT_* code; `op` names the libbpf operation; `log` holds what libbpf and the verifier said.
 */
export class BpfError extends Error {
  readonly code: string;
  readonly errno?: number;
  readonly op?: string;
  readonly log?: string;

  constructor(message: string, fields: NativeErrorFields, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BpfError';
    this.code = fields.code;
    if (fields.errno !== undefined) this.errno = fields.errno;
    if (fields.op !== undefined) this.op = fields.op;
    if (fields.log) this.log = fields.log;
  }
}

/** A TypeError or RangeError that names the offending option; thrown before any kernel object exists. */
export function invalidOption(option: string, problem: string, kind: 'type' | 'range' = 'range'): Error {
  const message = `${option}: ${problem}`;
  const error = kind === 'type' ? new TypeError(message) : new RangeError(message);
  return Object.assign(error, { code: 'BPFKIT_INVALID_OPTION', option });
}

function isNativeError(error: unknown): error is Error & NativeErrorFields {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string';
}

/** Runs a native call and turns its errors into BpfError (argument TypeErrors stay TypeErrors). */
export function nativeCall<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw toBpfError(error);
  }
}

export function toBpfError(error: unknown): unknown {
  if (error instanceof BpfError || error instanceof TypeError || error instanceof RangeError) return error;
  if (!isNativeError(error)) return error;
  const privilege = privilegeExplanation(error.code);
  return new BpfError(privilege ? `${error.message}: ${privilege}` : error.message, error, { cause: error });
}

/** errno name of a BpfError-like value, if any. */
export function errnoName(error: unknown): string | undefined {
  return isNativeError(error) && /^E[A-Z0-9]+$/.test(error.code) ? error.code : undefined;
}
