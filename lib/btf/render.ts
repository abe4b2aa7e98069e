import { Btf, Kind } from './btf.js';

const MAX_DEPTH = 32;

/**
 * A type as C would spell it in a declaration without a name: 'int', 'const char *',
 * 'struct filename *', 'void (*)(struct sock *)', 'u8 [16]'. Typedef names are kept (as bpftool
 * and bpftrace show them); BTF type tags such as __user are left out, as C compilers print them.
 */
export function renderType(btf: Btf, id: number): string {
  return render(btf, id, 0);
}

function named(btf: Btf, id: number, keyword: string): string {
  const name = btf.name(id);
  return `${keyword}${keyword ? ' ' : ''}${name || '(anon)'}`;
}

function render(btf: Btf, id: number, depth: number): string {
  if (depth > MAX_DEPTH) return '...';
  switch (btf.kind(id)) {
    case Kind.Void: return 'void';
    case Kind.Int: case Kind.Float: case Kind.Typedef: return named(btf, id, '');
    case Kind.Struct: return named(btf, id, 'struct');
    case Kind.Union: return named(btf, id, 'union');
    case Kind.Enum: case Kind.Enum64: return named(btf, id, 'enum');
    case Kind.Fwd: return named(btf, id, 'struct');
    case Kind.TypeTag: case Kind.Restrict: return render(btf, btf.target(id), depth + 1);
    case Kind.Const: case Kind.Volatile: {
      const qualifier = btf.kind(id) === Kind.Const ? 'const' : 'volatile';
      const inner = btf.target(id);
      // A qualified pointer puts the qualifier after the '*': char * const.
      if (btf.kind(btf.resolve(inner)) === Kind.Ptr && btf.kind(inner) !== Kind.Typedef) return `${render(btf, inner, depth + 1)} ${qualifier}`;
      return `${qualifier} ${render(btf, inner, depth + 1)}`;
    }
    case Kind.Ptr: {
      const inner = skipTags(btf, btf.target(id));
      if (btf.kind(inner) === Kind.FuncProto) return functionPointer(btf, inner, depth);
      const base = render(btf, inner, depth + 1);
      return base.endsWith('*') ? `${base}*` : `${base} *`;
    }
    case Kind.Array: {
      const { element, count } = btf.array(id);
      return `${render(btf, element, depth + 1)} [${count}]`;
    }
    case Kind.FuncProto: return functionPointer(btf, id, depth).replace('(*)', '');
    case Kind.Func: return render(btf, btf.target(id), depth + 1);
    default: return named(btf, id, '');
  }
}

function skipTags(btf: Btf, id: number): number {
  while (btf.kind(id) === Kind.TypeTag) id = btf.target(id);
  return id;
}

function functionPointer(btf: Btf, proto: number, depth: number): string {
  const params = btf.params(proto).map((param) => (param.type === 0 ? '...' : render(btf, param.type, depth + 1)));
  return `${render(btf, btf.target(proto), depth + 1)} (*)(${params.join(', ') || 'void'})`;
}
