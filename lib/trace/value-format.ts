import { Btf, Kind } from '../btf/btf.js';

/** How a captured value is turned into JS, decided from its BTF type. */
export type ValueFormat =
  | { kind: 'void' }
  | { kind: 'int'; size: number; signed: boolean }
  | { kind: 'bool' }
  | { kind: 'enum'; size: number; signed: boolean; names: Map<bigint, string> }
  | { kind: 'pointer' }
  | { kind: 'string' }
  | { kind: 'ipv4' }
  | { kind: 'ipv6' }
  | { kind: 'be16' }
  | { kind: 'bytes'; size: number };

export type TraceValue = number | bigint | boolean | string | null;

/** Typedef names that say how to print a value better than its integer type does. */
const NETWORK_TYPEDEFS: Record<string, ValueFormat> = {
  __be32: { kind: 'ipv4' },
  __be16: { kind: 'be16' },
};

function typedefFormat(btf: Btf, id: number): ValueFormat | undefined {
  for (let depth = 0; depth < 32; depth++) {
    const kind = btf.kind(id);
    if (kind === Kind.Typedef) {
      const format = NETWORK_TYPEDEFS[btf.name(id)];
      if (format) return format;
    } else if (kind !== Kind.Const && kind !== Kind.Volatile && kind !== Kind.Restrict && kind !== Kind.TypeTag) {
      return undefined;
    }
    id = btf.target(id);
  }
  return undefined;
}

function isCharType(btf: Btf, id: number): boolean {
  const resolved = btf.resolve(id);
  if (btf.kind(resolved) !== Kind.Int) return false;
  const encoding = btf.intEncoding(resolved);
  return encoding.bits === 8 && (encoding.char || btf.name(resolved) === 'char');
}

/** Whether `id` is a pointer to char (const or not): read as a string. */
export function isCharPointer(btf: Btf, id: number): boolean {
  const resolved = btf.resolve(id);
  return btf.kind(resolved) === Kind.Ptr && isCharType(btf, btf.target(resolved));
}

export function formatOf(btf: Btf, id: number): ValueFormat {
  const special = typedefFormat(btf, id);
  if (special) return special;
  const resolved = btf.resolve(id);
  switch (btf.kind(resolved)) {
    case Kind.Void: return { kind: 'void' };
    case Kind.Int: {
      const encoding = btf.intEncoding(resolved);
      if (encoding.bool) return { kind: 'bool' };
      return { kind: 'int', size: btf.size(resolved), signed: encoding.signed };
    }
    case Kind.Enum: case Kind.Enum64: {
      const names = new Map<bigint, string>();
      for (const { name, value } of btf.enumerators(resolved)) if (!names.has(value)) names.set(value, name);
      return { kind: 'enum', size: btf.size(resolved), signed: btf.enumSigned(resolved), names };
    }
    case Kind.Ptr: return isCharType(btf, btf.target(resolved)) ? { kind: 'string' } : { kind: 'pointer' };
    case Kind.Struct: case Kind.Union:
      if (btf.name(resolved) === 'in6_addr') return { kind: 'ipv6' };
      return { kind: 'bytes', size: btf.size(resolved) };
    case Kind.Array: {
      const { element } = btf.array(resolved);
      if (isCharType(btf, element)) return { kind: 'string' };
      return { kind: 'bytes', size: btf.size(resolved) };
    }
    default: return { kind: 'bytes', size: btf.size(resolved) };
  }
}

/** Whether a predicate can compare this value as an integer. */
export function isIntegral(format: ValueFormat): format is Extract<ValueFormat, { kind: 'int' | 'enum' }> | { kind: 'bool' } | { kind: 'pointer' } {
  return format.kind === 'int' || format.kind === 'enum' || format.kind === 'bool' || format.kind === 'pointer';
}

function truncate(raw: bigint, size: number, signed: boolean): bigint {
  const bits = Math.min(8, Math.max(1, size)) * 8;
  return signed ? BigInt.asIntN(bits, raw) : BigInt.asUintN(bits, raw);
}

function integer(value: bigint, size: number): number | bigint {
  return size <= 4 ? Number(value) : value;
}

export function hex(raw: bigint): string {
  return `0x${raw.toString(16)}`;
}

/** A register-sized value (argument or return register) as JS. Strings are never in registers. */
export function decodeRegister(raw: bigint, format: ValueFormat): TraceValue {
  switch (format.kind) {
    case 'int': return integer(truncate(raw, format.size, format.signed), format.size);
    case 'bool': return (raw & 0xffn) !== 0n;
    case 'enum': {
      const value = truncate(raw, format.size, format.signed);
      return format.names.get(value) ?? integer(value, format.size);
    }
    case 'ipv4': return ipv4(Number(raw & 0xffffffffn));
    case 'be16': return swap16(Number(raw & 0xffffn));
    case 'void': return null;
    default: return raw === 0n ? null : hex(raw);
  }
}

function swap16(value: number): number {
  return ((value & 0xff) << 8) | (value >> 8);
}

/** A little-endian u32 holding a network-order address, as dotted quad. */
function ipv4(value: number): string {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24].join('.');
}

function ipv6(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

const utf8 = new TextDecoder('utf-8');

/** A value read from kernel memory into `bytes` (the read's buffer, exactly as the BPF side left it). */
export function decodeMemory(bytes: Uint8Array, format: ValueFormat): TraceValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (format.kind) {
    case 'string': {
      const end = bytes.indexOf(0);
      return utf8.decode(end < 0 ? bytes : bytes.subarray(0, end));
    }
    case 'ipv4': return ipv4(view.getUint32(0, true));
    case 'ipv6': return ipv6(bytes.subarray(0, 16));
    case 'be16': return view.getUint16(0, false);
    case 'bytes': return Buffer.from(bytes.subarray(0, Math.min(format.size, bytes.length))).toString('hex');
    default: {
      const size = format.kind === 'int' || format.kind === 'enum' ? format.size : format.kind === 'bool' ? 1 : 8;
      let raw = 0n;
      for (let i = Math.min(size, 8) - 1; i >= 0; i--) raw = (raw << 8n) | BigInt(bytes[i]!);
      return decodeRegister(raw, format);
    }
  }
}

/** Bytes of memory a read of this format needs (strings: the whole buffer). */
export function memorySize(format: ValueFormat, max: number): number {
  switch (format.kind) {
    case 'int': case 'enum': return format.size;
    case 'bool': return 1;
    case 'pointer': return 8;
    case 'ipv4': return 4;
    case 'be16': return 2;
    case 'ipv6': return 16;
    case 'bytes': return Math.min(format.size, max);
    default: return max;
  }
}
