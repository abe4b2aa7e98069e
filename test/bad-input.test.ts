import { describe, expect, it } from 'vitest';
import { fileDeletes, listFunctions, netlinkErrors, tcpRtt, traceFunction, traceProgram } from '../lib/index.js';
import { ownBpfObjects } from './support/own-bpf.js';
import { countOpenFds } from './support/fds.js';

// Every public option, abused: each call throws synchronously a TypeError or RangeError whose
// message names the option, and the kernel never sees a thing.

type Case = [label: string, options: unknown, option: string, kind: typeof TypeError | typeof RangeError];

const streamCases: Case[] = [
  ['ringSize not a power of two', { ringSize: 5000 }, 'ringSize', RangeError],
  ['ringSize too small', { ringSize: 1024 }, 'ringSize', RangeError],
  ['ringSize huge', { ringSize: 2 ** 40 }, 'ringSize', RangeError],
  ['ringSize NaN', { ringSize: NaN }, 'ringSize', TypeError],
  ['ringSize string', { ringSize: '1M' }, 'ringSize', TypeError],
  ['buffer unknown', { buffer: 'shm' }, 'buffer', RangeError],
  ['perfPages not a power of two', { perfPages: 3 }, 'perfPages', RangeError],
  ['wakeup unknown', { wakeup: 'never' }, 'wakeup', RangeError],
  ['wakeupEvery zero', { wakeupEvery: 0 }, 'wakeupEvery', RangeError],
  ['maxDelayMs negative', { maxDelayMs: -1 }, 'maxDelayMs', RangeError],
  ['maxDelayMs Infinity', { maxDelayMs: Infinity }, 'maxDelayMs', RangeError],
  ['highWaterMark fractional', { highWaterMark: 1.5 }, 'highWaterMark', RangeError],
  ['highWaterMark huge', { highWaterMark: 2 ** 31 }, 'highWaterMark', RangeError],
  ['signal not a signal', { signal: {} }, 'signal', TypeError],
];

const deleteCases: Case[] = [
  ['options not an object', 'fentry', 'options', TypeError],
  ['options an array', [], 'options', TypeError],
  ['unknown option', { pids: 1 }, 'options.pids', TypeError],
  ['attach unknown', { attach: 'uprobe' }, 'attach', RangeError],
  ['attach not a string', { attach: 1 }, 'attach', TypeError],
  ['pid zero', { pid: 0 }, 'pid', RangeError],
  ['pid negative', { pid: -5 }, 'pid', RangeError],
  ['pid NaN', { pid: NaN }, 'pid', TypeError],
  ['pid string', { pid: '42' }, 'pid', TypeError],
  ['pid too big', { pid: 2 ** 32 }, 'pid', RangeError],
  ['uid negative', { uid: -1 }, 'uid', RangeError],
  ['uid fractional', { uid: 0.5 }, 'uid', RangeError],
  ['comm too long', { comm: 'abcdefghijklmnop' }, 'comm', RangeError],
  ['comm with NUL', { comm: 'rm\0x' }, 'comm', RangeError],
  ['comm empty', { comm: '' }, 'comm', RangeError],
  ['comm not a string', { comm: 7 }, 'comm', TypeError],
  ['prefix empty', { prefix: '' }, 'prefix', RangeError],
  ['prefix too long', { prefix: '/'.repeat(64) }, 'prefix', RangeError],
  ['prefix with NUL', { prefix: '/tmp\0' }, 'prefix', RangeError],
  ...streamCases,
];

// A case may call the tool however it needs (positional arguments, async functions): what it
// throws or rejects with must name the option, and the kernel must not have been touched.

type CallCase = [label: string, call: () => unknown, option: string, kind: typeof TypeError | typeof RangeError];

async function rejection(call: () => unknown): Promise<unknown> {
  try {
    const result = call();
    // a stream that slipped through would hold kernel objects: close it before failing
    if (result && typeof (result as { close?: unknown }).close === 'function') await (result as { close(): Promise<void> }).close();
    else await result;
  } catch (error) {
    return error;
  }
  return undefined;
}

function checkCases(title: string, cases: CallCase[]): void {
  describe(title, () => {
    it.each(cases)('%s', async (_label, call, option, kind) => {
      const fds = countOpenFds();
      const before = ownBpfObjects();
      const thrown = await rejection(call);
      expect(thrown).toBeInstanceOf(kind);
      expect((thrown as Error).message.startsWith(`${option}:`), (thrown as Error).message).toBe(true);
      expect(thrown).toMatchObject({ code: 'BPFKIT_INVALID_OPTION', option });
      expect(ownBpfObjects()).toEqual(before);
      expect(countOpenFds()).toBe(fds);
    });
  });
}

const withOptions = (tool: (options: never) => unknown, cases: Case[]): CallCase[] =>
  cases.map(([label, options, option, kind]) => [label, () => tool(options as never), option, kind]);

checkCases('fileDeletes() rejects bad options before touching the kernel', withOptions(fileDeletes, deleteCases));

checkCases('tcpRtt() rejects bad options before touching the kernel', withOptions(tcpRtt, [
  ['options not an object', 'us', 'options', TypeError],
  ['options null', null, 'options', TypeError],
  ['unknown option', { port: 80 }, 'options.port', TypeError],
  ['stream-only option', { ringSize: 4096 }, 'options.ringSize', TypeError],
  ['attach unknown', { attach: 'uprobe' }, 'attach', RangeError],
  ['attach not a string', { attach: 3 }, 'attach', TypeError],
  ['interval zero', { interval: 0 }, 'interval', RangeError],
  ['interval negative', { interval: -10 }, 'interval', RangeError],
  ['interval NaN', { interval: NaN }, 'interval', TypeError],
  ['interval Infinity', { interval: Infinity }, 'interval', RangeError],
  ['interval beyond setTimeout', { interval: 2 ** 31 }, 'interval', RangeError],
  ['interval fractional', { interval: 1.5 }, 'interval', RangeError],
  ['interval string', { interval: '1s' }, 'interval', TypeError],
  ['duration zero', { duration: 0 }, 'duration', RangeError],
  ['duration NaN', { duration: NaN }, 'duration', TypeError],
  ['duration huge', { duration: 1e300 }, 'duration', RangeError],
  ['localPort 65536', { localPort: 65536 }, 'localPort', RangeError],
  ['localPort negative', { localPort: -1 }, 'localPort', RangeError],
  ['localPort fractional', { localPort: 80.5 }, 'localPort', RangeError],
  ['localPort string', { localPort: '80' }, 'localPort', TypeError],
  ['localPort NaN', { localPort: NaN }, 'localPort', TypeError],
  ['remotePort out of range', { remotePort: 70000 }, 'remotePort', RangeError],
  ['localAddress octet > 255', { localAddress: '256.1.1.1' }, 'localAddress', RangeError],
  ['localAddress inet_aton short form', { localAddress: '127.1' }, 'localAddress', RangeError],
  ['localAddress hex form', { localAddress: '0x7f.0.0.1' }, 'localAddress', RangeError],
  ['localAddress with zone id', { localAddress: 'fe80::1%eth0' }, 'localAddress', RangeError],
  ['localAddress empty', { localAddress: '' }, 'localAddress', RangeError],
  ['localAddress with NUL', { localAddress: '10.0.0.1\0' }, 'localAddress', RangeError],
  ['localAddress not a string', { localAddress: 0x7f000001 }, 'localAddress', TypeError],
  ['localAddress unspecified IPv4', { localAddress: '0.0.0.0' }, 'localAddress', RangeError],
  ['remoteAddress unspecified IPv6', { remoteAddress: '::' }, 'remoteAddress', RangeError],
  ['remoteAddress malformed IPv6', { remoteAddress: '1:2:3:4:5:6:7:8:9' }, 'remoteAddress', RangeError],
  ['remoteAddress hostname', { remoteAddress: 'localhost' }, 'remoteAddress', RangeError],
  ['mixed-family addresses', { localAddress: '10.0.0.1', remoteAddress: '::1' }, 'remoteAddress', RangeError],
  ['address of the other family', { family: 'ipv6', localAddress: '10.0.0.1' }, 'localAddress', RangeError],
  ['family unknown', { family: 'ipv5' }, 'family', RangeError],
  ['family not a string', { family: 4 }, 'family', TypeError],
  ['perAddress unknown', { perAddress: 'both' }, 'perAddress', RangeError],
  ['unit unknown', { unit: 's' }, 'unit', RangeError],
  ['cumulative not a boolean', { cumulative: 'yes' }, 'cumulative', TypeError],
  ['signal not a signal', { signal: new AbortController() }, 'signal', TypeError],
]));

checkCases('netlinkErrors() rejects bad options before touching the kernel', withOptions(netlinkErrors, [
  ['options not an object', 42, 'options', TypeError],
  ['unknown option', { source: 'fentry' }, 'options.source', TypeError],
  ['sources a single name', { sources: 'tracepoint' }, 'sources', TypeError],
  ['sources empty', { sources: [] }, 'sources', RangeError],
  ['sources unknown', { sources: ['kprobe'] }, 'sources[0]', RangeError],
  ['sources not strings', { sources: ['tracepoint', 1] }, 'sources[1]', TypeError],
  ['sources repeated', { sources: ['fentry', 'fentry'] }, 'sources[1]', RangeError],
  ...streamCases,
]));

const traceOptions = (options: unknown) => () => traceFunction('do_unlinkat', options as never);

checkCases('traceFunction() rejects bad functions and options before touching the kernel', [
  ['functions missing', () => traceFunction(undefined as never), 'functions', TypeError],
  ['functions empty array', () => traceFunction([]), 'functions', TypeError],
  ['functions not a string', () => traceFunction([7 as never]), 'functions[0]', TypeError],
  ['function name with a space', () => traceFunction('do unlinkat'), 'functions[0]', RangeError],
  ['function name with NUL', () => traceFunction('do_unlinkat\0'), 'functions[0]', RangeError],
  ['function name over 127 bytes', () => traceFunction('f'.repeat(128)), 'functions[0]', RangeError],
  ['function name empty', () => traceFunction(['do_unlinkat', '']), 'functions[1]', RangeError],
  ['options an array', () => traceFunction('do_unlinkat', [] as never), 'options', TypeError],
  ['unknown option', traceOptions({ filter: 'x' }), 'options.filter', TypeError],
  ['attach unknown', traceOptions({ attach: 'uprobe' }), 'attach', RangeError],
  ['module not a string', traceOptions({ module: 5 }), 'module', TypeError],
  ['module over 55 bytes', traceOptions({ module: 'm'.repeat(56) }), 'module', RangeError],
  ['module with NUL', traceOptions({ module: 'ext4\0' }), 'module', RangeError],
  ['pid zero', traceOptions({ pid: 0 }), 'pid', RangeError],
  ['pid NaN', traceOptions({ pid: NaN }), 'pid', TypeError],
  ['comm too long', traceOptions({ comm: 'c'.repeat(16) }), 'comm', RangeError],
  ['args not an array', traceOptions({ args: 'name->name' }), 'args', TypeError],
  ['args entry not a path', traceOptions({ args: ['name->'] }), 'args[0]', RangeError],
  ['args entry not a string', traceOptions({ args: [1] }), 'args[0]', RangeError],
  ['args path of no parameter', traceOptions({ args: ['nosuch->name'] }), 'args', RangeError],
  ['where not a string', traceOptions({ where: 1 }), 'where', TypeError],
  ['where malformed', traceOptions({ where: 'ret ~ 0' }), 'where', RangeError],
  ['where beyond 64 bits', traceOptions({ where: 'ret < 99999999999999999999999' }), 'where', RangeError],
  ['where on a missing parameter', traceOptions({ where: 'flags == 1' }), 'where', RangeError],
  ['maxFunctions zero', traceOptions({ maxFunctions: 0 }), 'maxFunctions', RangeError],
  ['maxFunctions huge', traceOptions({ maxFunctions: 1e6 }), 'maxFunctions', RangeError],
  ...streamCases.map(([label, options, option, kind]): CallCase => [label, traceOptions(options), option, kind]),
]);

checkCases('listFunctions() rejects bad patterns and options', [
  ['pattern not a string', () => listFunctions(5 as never), 'pattern', TypeError],
  ['pattern empty', () => listFunctions(''), 'pattern', RangeError],
  ['pattern with a slash', () => listFunctions('vfs/*'), 'pattern', RangeError],
  ['pattern with NUL', () => listFunctions('vfs_\0*'), 'pattern', RangeError],
  ['pattern over 127 bytes', () => listFunctions('v'.repeat(128)), 'pattern', RangeError],
  ['options not an object', () => listFunctions('vfs_read', 'x' as never), 'options', TypeError],
  ['unknown option', () => listFunctions('vfs_read', { probes: true } as never), 'options.probes', TypeError],
  ['module not a string', () => listFunctions('vfs_read', { module: 1 } as never), 'module', TypeError],
  ['probe not a boolean', () => listFunctions('vfs_read', { probe: 'yes' } as never), 'probe', TypeError],
  ['probe of too many functions', () => listFunctions('*', { probe: true }), 'probe', RangeError],
]);

const someProgram = { programFd: 0, function: 'handle_netlink_extack' };
const traceProgramOptions = (options: unknown) => () => traceProgram(someProgram, options as never);

checkCases('traceProgram() rejects bad targets and options before touching the kernel', [
  ['target missing', () => traceProgram(undefined as never), 'target', TypeError],
  ['target empty object', () => traceProgram({} as never), 'target', TypeError],
  ['target.stream not a stream', () => traceProgram({ stream: {}, program: 'p' } as never), 'target.stream', TypeError],
  ['target unknown key', () => traceProgram({ ...someProgram, pid: 1 } as never), 'target.pid', TypeError],
  ['target.programFd negative', () => traceProgram({ programFd: -1, function: 'f' }), 'target.programFd', RangeError],
  ['target.programFd NaN', () => traceProgram({ programFd: NaN, function: 'f' }), 'target.programFd', TypeError],
  ['target.function not a symbol', () => traceProgram({ programFd: 0, function: 'a-b' }), 'target.function', RangeError],
  ['target.function with NUL', () => traceProgram({ programFd: 0, function: 'f\0' }), 'target.function', RangeError],
  ['target.function over 127 bytes', () => traceProgram({ programFd: 0, function: 'f'.repeat(128) }), 'target.function', RangeError],
  ['options not an object', traceProgramOptions(true), 'options', TypeError],
  ['unknown option', traceProgramOptions({ call: 'entry' }), 'options.call', TypeError],
  ['calls unknown', traceProgramOptions({ calls: 'all' }), 'calls', RangeError],
  ['calls not a string', traceProgramOptions({ calls: 2 }), 'calls', TypeError],
  ...streamCases.map(([label, options, option, kind]): CallCase => [label, traceProgramOptions(options), option, kind]),
]);
