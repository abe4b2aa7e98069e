import { release } from 'node:os';
import { expect } from 'vitest';
import { inGuest } from '../support/guest.js';
import { itUnless } from '../support/skip.js';

const notInGuest = inGuest() ? '' : 'runs only inside a QEMU guest (npm run test:kernels)';

itUnless(notInGuest, 'runs on the kernel the runner booted, not on the host kernel', () => {
  const hostRelease = process.env.BPFKIT_HOST_KERNEL_RELEASE;
  expect(hostRelease).toBeTruthy();
  expect(release()).not.toBe(hostRelease);
  // run-in-kernel.sh names the kernel it unpacked and booted
  expect(release()).toBe(process.env.RIK_KERNEL_RELEASE);
  const series = process.env.BPFKIT_GUEST_KERNEL_SERIES;
  if (series) expect(release().slice(0, series.length + 1)).toBe(`${series}.`);
});
