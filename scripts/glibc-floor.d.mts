// Types of glibc-floor.mjs, for the tests that import it.
export interface VersionNeed {
  library: string;
  version: string;
  index: number;
  symbols: string[];
}
export function versionNeeds(file: string): VersionNeed[];
export function floors(file: string): Record<string, { version: string; symbols: string[] }>;
