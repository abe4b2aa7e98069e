import { BpfError } from '../errors.js';

/** BTF kinds (include/uapi/linux/btf.h). */
export enum Kind {
  Void = 0, Int = 1, Ptr = 2, Array = 3, Struct = 4, Union = 5, Enum = 6, Fwd = 7, Typedef = 8,
  Volatile = 9, Const = 10, Restrict = 11, Func = 12, FuncProto = 13, Var = 14, Datasec = 15,
  Float = 16, DeclTag = 17, TypeTag = 18, Enum64 = 19,
}

const MAGIC = 0xeb9f;
const HEADER_MIN = 24;
const TYPE_HEADER = 12;
const INT_SIGNED = 1;
const INT_CHAR = 2;
const INT_BOOL = 4;

export interface Member {
  name: string;
  type: number;
  /** offset from the start of the struct in bits. */
  bitOffset: number;
  /** width of a bitfield member, 0 for ordinary members. */
  bitSize: number;
}

export interface Param {
  name: string;
  type: number;
}

export interface Enumerator {
  name: string;
  value: bigint;
}

export interface IntEncoding {
  signed: boolean;
  char: boolean;
  bool: boolean;
  bits: number;
}

function decodeError(source: string, problem: string): BpfError {
  return new BpfError(`${source}: malformed BTF: ${problem}`, { code: 'BPFKIT_DECODE' });
}

/**
 * One BTF blob (vmlinux, or a module's split BTF on top of vmlinux), indexed once: each type's
 * offset is recorded and its details are decoded only when asked for. Type ids of a split blob
 * continue after its base's, and its string offsets continue after the base's string section.
 */
export class Btf {
  readonly source: string;
  readonly base?: Btf;
  /** the first type id this blob defines (1 for vmlinux). */
  readonly firstId: number;
  private readonly view: DataView;
  private readonly bytes: Uint8Array;
  private readonly typesStart: number;
  private readonly stringsStart: number;
  private readonly stringsLength: number;
  private readonly offsets: Uint32Array;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(data: Uint8Array, source: string, base?: Btf) {
    this.source = source;
    this.base = base;
    this.bytes = data;
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (data.byteLength < HEADER_MIN) throw decodeError(source, `${data.byteLength} bytes is shorter than the header`);
    if (this.view.getUint16(0, true) !== MAGIC) throw decodeError(source, 'bad magic (not little-endian BTF)');
    const headerLength = this.view.getUint32(4, true);
    const typeOff = this.view.getUint32(8, true);
    const typeLen = this.view.getUint32(12, true);
    const strOff = this.view.getUint32(16, true);
    const strLen = this.view.getUint32(20, true);
    this.typesStart = headerLength + typeOff;
    this.stringsStart = headerLength + strOff;
    this.stringsLength = strLen;
    if (headerLength < HEADER_MIN || this.typesStart + typeLen > data.byteLength || this.stringsStart + strLen > data.byteLength) {
      throw decodeError(source, 'sections extend past the end of the data');
    }
    this.firstId = base ? base.firstId + base.count : 1;
    this.offsets = this.index(this.typesStart, this.typesStart + typeLen);
  }

  /** how many types this blob itself defines. */
  get count(): number {
    return this.offsets.length;
  }

  /** one past the largest valid type id. */
  get endId(): number {
    return this.firstId + this.count;
  }

  private index(start: number, end: number): Uint32Array {
    let offsets = new Uint32Array(1024);
    let n = 0;
    let at = start;
    while (at < end) {
      if (at + TYPE_HEADER > end) throw decodeError(this.source, `type ${n} header crosses the section end`);
      if (n === offsets.length) {
        const bigger = new Uint32Array(offsets.length * 2);
        bigger.set(offsets);
        offsets = bigger;
      }
      offsets[n++] = at;
      at += TYPE_HEADER + this.extraBytes(at);
    }
    if (at !== end) throw decodeError(this.source, 'the last type crosses the section end');
    return offsets.slice(0, n);
  }

  private extraBytes(at: number): number {
    const info = this.view.getUint32(at + 4, true);
    const vlen = info & 0xffff;
    switch ((info >>> 24) & 0x1f) {
      case Kind.Int: case Kind.Var: case Kind.DeclTag: return 4;
      case Kind.Array: return 12;
      case Kind.Struct: case Kind.Union: case Kind.Datasec: case Kind.Enum64: return 12 * vlen;
      case Kind.Enum: case Kind.FuncProto: return 8 * vlen;
      case Kind.Ptr: case Kind.Fwd: case Kind.Typedef: case Kind.Volatile: case Kind.Const:
      case Kind.Restrict: case Kind.Func: case Kind.Float: case Kind.TypeTag: return 0;
      default: throw decodeError(this.source, `unknown kind ${(info >>> 24) & 0x1f} at byte ${at}`);
    }
  }

  /** The blob that defines `id` (this one or a base). */
  private owner(id: number): Btf {
    if (id >= this.firstId) {
      if (id >= this.endId) throw decodeError(this.source, `type id ${id} out of range`);
      return this;
    }
    if (!this.base) throw decodeError(this.source, `type id ${id} out of range`);
    return this.base.owner(id);
  }

  private at(id: number): number {
    return this.offsets[id - this.firstId]!;
  }

  string(offset: number): string {
    if (offset === 0) return '';
    if (this.base) {
      const baseLength = this.base.totalStrings;
      if (offset < baseLength) return this.base.string(offset);
      offset -= baseLength;
    }
    if (offset >= this.stringsLength) throw decodeError(this.source, `string offset ${offset} out of range`);
    const start = this.stringsStart + offset;
    let end = start;
    const limit = this.stringsStart + this.stringsLength;
    while (end < limit && this.bytes[end] !== 0) end++;
    return this.decoder.decode(this.bytes.subarray(start, end));
  }

  /** length of the combined string section up to and including this blob. */
  private get totalStrings(): number {
    return (this.base?.totalStrings ?? 0) + this.stringsLength;
  }

  kind(id: number): Kind {
    if (id === 0) return Kind.Void;
    const owner = this.owner(id);
    return ((owner.view.getUint32(owner.at(id) + 4, true) >>> 24) & 0x1f) as Kind;
  }

  name(id: number): string {
    if (id === 0) return 'void';
    const owner = this.owner(id);
    return this.string(owner.view.getUint32(owner.at(id), true));
  }

  private vlen(id: number): number {
    const owner = this.owner(id);
    return owner.view.getUint32(owner.at(id) + 4, true) & 0xffff;
  }

  private kindFlag(id: number): boolean {
    const owner = this.owner(id);
    return (owner.view.getUint32(owner.at(id) + 4, true) >>> 31) === 1;
  }

  /** The size/type word: a size for ints, structs, unions, enums; a type id for the rest. */
  private sizeOrType(id: number): number {
    const owner = this.owner(id);
    return owner.view.getUint32(owner.at(id) + 8, true);
  }

  /** The referenced type of a pointer, typedef, qualifier, func, var or tag. */
  target(id: number): number {
    return this.sizeOrType(id);
  }

  intEncoding(id: number): IntEncoding {
    this.expectKind(id, [Kind.Int], 'an int');
    const owner = this.owner(id);
    const word = owner.view.getUint32(owner.at(id) + TYPE_HEADER, true);
    const encoding = (word >>> 24) & 0x0f;
    return { signed: (encoding & INT_SIGNED) !== 0, char: (encoding & INT_CHAR) !== 0, bool: (encoding & INT_BOOL) !== 0, bits: word & 0xff };
  }

  /** Size in bytes of a type, following typedefs and qualifiers; pointers are 8 bytes. */
  size(id: number): number {
    for (let depth = 0; depth < 64; depth++) {
      switch (this.kind(id)) {
        case Kind.Int: case Kind.Struct: case Kind.Union: case Kind.Enum: case Kind.Enum64: case Kind.Float:
          return this.sizeOrType(id);
        case Kind.Ptr: return 8;
        case Kind.Array: {
          const array = this.array(id);
          return array.count * this.size(array.element);
        }
        case Kind.Typedef: case Kind.Volatile: case Kind.Const: case Kind.Restrict: case Kind.TypeTag:
          id = this.target(id);
          continue;
        default:
          return 0;
      }
    }
    throw decodeError(this.source, `type ${id}: typedef chain too deep`);
  }

  array(id: number): { element: number; index: number; count: number } {
    this.expectKind(id, [Kind.Array], 'an array');
    const owner = this.owner(id);
    const at = owner.at(id) + TYPE_HEADER;
    return { element: owner.view.getUint32(at, true), index: owner.view.getUint32(at + 4, true), count: owner.view.getUint32(at + 8, true) };
  }

  private expectKind(id: number, kinds: Kind[], what: string): void {
    if (!kinds.includes(this.kind(id))) throw decodeError(this.source, `type ${id} is not ${what}`);
  }

  members(id: number): Member[] {
    this.expectKind(id, [Kind.Struct, Kind.Union], 'a struct or union');
    const owner = this.owner(id);
    const bitfields = this.kindFlag(id);
    const start = owner.at(id) + TYPE_HEADER;
    const members: Member[] = [];
    for (let i = 0; i < this.vlen(id); i++) {
      const at = start + 12 * i;
      const offset = owner.view.getUint32(at + 8, true);
      members.push({
        name: owner.string(owner.view.getUint32(at, true)),
        type: owner.view.getUint32(at + 4, true),
        bitOffset: bitfields ? offset & 0xffffff : offset,
        bitSize: bitfields ? offset >>> 24 : 0,
      });
    }
    return members;
  }

  params(id: number): Param[] {
    this.expectKind(id, [Kind.FuncProto], 'a function prototype');
    const owner = this.owner(id);
    const start = owner.at(id) + TYPE_HEADER;
    const params: Param[] = [];
    for (let i = 0; i < this.vlen(id); i++) {
      const at = start + 8 * i;
      params.push({ name: owner.string(owner.view.getUint32(at, true)), type: owner.view.getUint32(at + 4, true) });
    }
    return params;
  }

  enumerators(id: number): Enumerator[] {
    this.expectKind(id, [Kind.Enum, Kind.Enum64], 'an enum');
    const owner = this.owner(id);
    const wide = this.kind(id) === Kind.Enum64;
    const signed = this.kindFlag(id);
    const start = owner.at(id) + TYPE_HEADER;
    const values: Enumerator[] = [];
    for (let i = 0; i < this.vlen(id); i++) {
      const at = start + (wide ? 12 : 8) * i;
      const name = owner.string(owner.view.getUint32(at, true));
      const low = owner.view.getUint32(at + 4, true);
      const value = wide ? (BigInt(owner.view.getUint32(at + 8, true)) << 32n) | BigInt(low)
        : signed ? BigInt(low | 0) : BigInt(low);
      values.push({ name, value });
    }
    return values;
  }

  /** Whether an enum's values are signed (BTF kind_flag, set by pahole 1.24+). */
  enumSigned(id: number): boolean {
    return this.kindFlag(id);
  }

  /** Follows typedefs, qualifiers and type tags to the type that gives the value its shape. */
  resolve(id: number): number {
    for (let depth = 0; depth < 64; depth++) {
      const kind = this.kind(id);
      if (kind !== Kind.Typedef && kind !== Kind.Volatile && kind !== Kind.Const && kind !== Kind.Restrict && kind !== Kind.TypeTag) return id;
      id = this.target(id);
    }
    throw decodeError(this.source, `type ${id}: typedef chain too deep`);
  }

  /** Ids of every FUNC this blob itself defines (not its base's). */
  *functions(): Generator<number> {
    for (let i = 0; i < this.offsets.length; i++) {
      const info = this.view.getUint32(this.offsets[i]! + 4, true);
      if (((info >>> 24) & 0x1f) === Kind.Func) yield this.firstId + i;
    }
  }
}
