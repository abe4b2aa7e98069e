import { fileDeletes, deleteModes } from '../tools/deletes.js';
import { numberOption, parse, stringOption, runSignal, type Command } from './command.js';

const help = `usage: bpfkit deletes [options]
Prints one line per file deletion (unlink, unlinkat, rmdir) until Ctrl-C.
  -a, --attach MODE   auto (default), ${deleteModes.join(', ')}
  -p, --pid PID       only this process
  -u, --uid UID       only this user
  -c, --comm NAME     only this command name
      --prefix PATH   only paths starting with PATH
  -d, --duration SEC  stop after SEC seconds`;

export const deletesCommand: Command = {
  summary: 'file deletions with pid, comm, path and return value',
  async run(args) {
    const parsed = parse(args, {
      attach: { type: 'string', short: 'a' },
      pid: { type: 'string', short: 'p' },
      uid: { type: 'string', short: 'u' },
      comm: { type: 'string', short: 'c' },
      prefix: { type: 'string' },
      duration: { type: 'string', short: 'd' },
    }, help);
    if (!parsed) return 0;
    const { values } = parsed;
    const stream = fileDeletes({
      attach: stringOption(values.attach) as 'auto' | undefined,
      pid: numberOption(values.pid, 'pid'),
      uid: numberOption(values.uid, 'uid'),
      comm: stringOption(values.comm),
      prefix: stringOption(values.prefix),
      signal: runSignal(numberOption(values.duration, 'duration')),
    });
    const info = await stream.ready;
    console.error(`tracing deletions with ${info.mode}${info.rejected.map((r) => `; ${r.mode} rejected: ${r.reason}`).join('')}`);
    console.log(`${'PID'.padEnd(8)}${'COMM'.padEnd(17)}${'RET'.padEnd(6)}${'CALL'.padEnd(12)}PATH`);
    for await (const event of stream) {
      console.log(`${String(event.pid).padEnd(8)}${event.comm.padEnd(17)}${String(event.ret).padEnd(6)}${event.call.padEnd(12)}${event.filename}`);
    }
    const { dropped } = stream.stats;
    if (dropped > 0) console.error(`${dropped} events dropped (the consumer fell behind)`);
    return 0;
  },
};
