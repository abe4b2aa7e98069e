// Decoding bench.bpf.c's records (struct bench_header in bench/bpf/bench.h: ts_ns u64 @0,
// seq u64 @8, pid u32 @16, cpu u32 @20), the way a tool's decoder turns a record into an object.
const TWO_32 = 2 ** 32;

export function decodeBenchEvent(view, offset) {
  return {
    timestampNs: view.getBigUint64(offset, true),
    seq: view.getUint32(offset + 8, true) + view.getUint32(offset + 12, true) * TWO_32,
    pid: view.getUint32(offset + 16, true),
    cpu: view.getUint32(offset + 20, true),
  };
}

/** The bench object's programs that run from BPF_PROG_TEST_RUN rather than being attached. */
export function isSynthetic(program) {
  return program.startsWith('synth_');
}
