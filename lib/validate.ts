import { invalidOption } from './errors.js';

// Option checks shared by every tool. Each throws a TypeError/RangeError naming the option before
// any kernel object is created.

export function optionsObject<T extends object>(value: unknown, name = 'options'): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidOption(name, 'must be an object', 'type');
  }
  return value as Partial<T>;
}

/** Rejects properties the tool does not know, so typos don't silently disable a filter. */
export function knownKeys(options: object, allowed: readonly string[], name = 'options'): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw invalidOption(`${name}.${key}`, `unknown option (known: ${allowed.join(', ')})`, 'type');
    }
  }
}

export function integer(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw invalidOption(name, 'must be a number', 'type');
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidOption(name, `must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

export function optionalInteger(value: unknown, name: string, min: number, max: number): number | undefined {
  return value === undefined ? undefined : integer(value, name, min, max);
}

export function boolean(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidOption(name, 'must be a boolean', 'type');
  return value;
}

export function oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw invalidOption(name, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`,
      typeof value === 'string' ? 'range' : 'type');
  }
  return value as T;
}

/** A string the kernel will see: no NUL bytes, at most maxBytes of UTF-8. */
export function kernelString(value: unknown, name: string, maxBytes: number, allowEmpty = false): string {
  if (typeof value !== 'string') throw invalidOption(name, 'must be a string', 'type');
  if (!allowEmpty && value.length === 0) throw invalidOption(name, 'must not be empty');
  if (value.includes('\0')) throw invalidOption(name, 'must not contain NUL bytes');
  const bytes = Buffer.byteLength(value);
  if (bytes > maxBytes) throw invalidOption(name, `must be at most ${maxBytes} bytes, got ${bytes}`);
  return value;
}

/** A kernel symbol name: C identifier characters plus '.' (for suffixes like .isra.0). */
export function symbolName(value: unknown, name: string): string {
  const symbol = kernelString(value, name, 127);
  if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(symbol)) throw invalidOption(name, `is not a kernel symbol name: '${symbol}'`);
  return symbol;
}

export function abortSignal(value: unknown, name: string): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) throw invalidOption(name, 'must be an AbortSignal', 'type');
  return value;
}

/** A buffer size in bytes: a power of two within [min, max]. */
export function powerOfTwo(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const size = integer(value, name, min, max);
  if ((size & (size - 1)) !== 0) throw invalidOption(name, `must be a power of two, got ${size}`);
  return size;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}
