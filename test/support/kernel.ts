import type { TestFunction } from 'vitest';
import { probe } from '../../lib/index.js';
import { itUnless } from './skip.js';

type ProbeReport = Awaited<ReturnType<typeof probe>>;
type Availability = ProbeReport['modes'][keyof ProbeReport['modes']];
export type KernelFeature = keyof ProbeReport['modes'] | keyof ProbeReport['buffers'];

export interface KernelSupport {
  readonly report: ProbeReport;
  /** '' when every feature works on this kernel, else "this kernel lacks fentry: <reason>; ...". */
  missing(features: readonly KernelFeature[]): string;
  /** `it` when every feature works on this kernel, else a loud `it.skip` naming what is missing. */
  itRequires(features: readonly KernelFeature[], title: string, fn: TestFunction, timeout?: number): void;
}

let probed: Promise<KernelSupport> | undefined;

/** What the running kernel supports, probed once per test file by loading and attaching for real. */
export function kernelSupport(): Promise<KernelSupport> {
  return (probed ??= probe().then(supportFrom));
}

export function supportFrom(report: ProbeReport): KernelSupport {
  const features: Record<string, Availability> = { ...report.modes, ...report.buffers };
  const missing = (wanted: readonly KernelFeature[]): string => {
    const lacking = wanted.flatMap((name) => {
      const feature = features[name];
      // A name the probe does not know would otherwise skip for ever without anyone noticing.
      if (!feature) throw new Error(`kernelSupport: the probe reports no feature named '${name}'`);
      return feature.available ? [] : [`${name}: ${describeAbsence(feature)}`];
    });
    return lacking.length ? `this kernel lacks ${lacking.join('; ')}` : '';
  };
  return {
    report,
    missing,
    itRequires: (wanted, title, fn, timeout) => itUnless(missing(wanted), title, fn, timeout),
  };
}

function describeAbsence({ reason, errno }: Availability): string {
  if (reason && errno && !reason.includes(errno)) return `${reason} (${errno})`;
  return reason || errno || 'unavailable (no reason given by the probe)';
}
