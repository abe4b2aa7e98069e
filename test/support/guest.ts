/** True inside a QEMU guest booted by scripts/run-tests.mjs (it sets BPFKIT_IN_GUEST=1 there). */
export function inGuest(): boolean {
  return process.env.BPFKIT_IN_GUEST === '1';
}
