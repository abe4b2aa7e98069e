#!/usr/bin/env node
import { commands } from './commands.js';

const usage = `usage: bpfkit <command> [options]

commands:
${Object.entries(commands).map(([name, command]) => `  ${name.padEnd(16)}${command.summary}`).join('\n')}

Run 'bpfkit <command> --help' for a command's options.`;

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(usage);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    console.error(`bpfkit: unknown command '${name}'\n\n${usage}`);
    return 2;
  }
  return command.run(args);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: Error & { code?: string; log?: string }) => {
    console.error(`bpfkit: ${error.message}${error.code ? ` [${error.code}]` : ''}`);
    if (error.log && process.env.BPFKIT_VERBOSE) console.error(error.log);
    process.exitCode = 1;
  },
);
