import { defineConfig } from 'vitest/config';

// Inside a QEMU guest (software emulation) JavaScript runs 3–6× slower and process start-up ~37×,
// so the same tests get far more time there than on the host.
const inGuest = process.env.BPFKIT_IN_GUEST === '1';
const timeout = inGuest ? 180_000 : 30_000;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Forked workers keep each file's native addon, fds and BPF objects in its own process.
    pool: 'forks',
    // One file at a time: BPF tests measure timing and count kernel objects on a 2-core machine.
    fileParallelism: false,
    testTimeout: timeout,
    hookTimeout: timeout,
    teardownTimeout: timeout,
  },
});
