import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface Command {
  summary: string;
  run(args: string[]): Promise<number>;
}

/** parseArgs with --help handled: returns undefined after printing help. */
export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parse(args: string[], options: NonNullable<ParseArgsConfig['options']>, help: string): Parsed | undefined {
  const parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  const values = parsed.values as Parsed['values'];
  if (values.help) {
    console.log(help);
    return undefined;
  }
  return { values, positionals: parsed.positionals };
}

export function stringOption(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function numberOption(value: string | boolean | undefined, name: string): number | undefined {
  if (typeof value !== 'string') return undefined;
  const number = Number(value);
  if (!Number.isFinite(number)) throw new RangeError(`${name}: not a number: '${value}'`);
  return number;
}

/** An AbortSignal that fires after `seconds` (if given) or on Ctrl-C / SIGTERM. The CLI owns the process, the library never does this. */
export function runSignal(seconds: number | undefined): AbortSignal {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (seconds !== undefined) setTimeout(stop, seconds * 1000).unref();
  return controller.signal;
}
