import type { Command } from './command.js';
import { probeCommand } from './probe-command.js';
import { deletesCommand } from './deletes-command.js';
import { netlinkCommand } from './netlink-command.js';
import { tcprttCommand } from './tcprtt-command.js';
import { funcsCommand } from './funcs-command.js';
import { traceCommand } from './trace-command.js';

export const commands: Record<string, Command> = {
  probe: probeCommand,
  deletes: deletesCommand,
  'netlink-errors': netlinkCommand,
  tcprtt: tcprttCommand,
  funcs: funcsCommand,
  trace: traceCommand,
};
