// Starting and stopping a built-in tool through bpfkit's public API.
//
//   node bpfkit-attach.mjs time TOOL REPS   prints {"mode","recipe":[...],"openMs":[...],"closeMs":[...]}
//   node bpfkit-attach.mjs hold TOOL        prints {"ready":true,"mode"}, stops on "done" (stdin)
//
// time: one untimed warm-up start (bpfkit caches its kernel probes per process, as the C side
// needs none), then REPS timed ones: open = tool(options) until `ready` resolves, close = close().
// The recipe is what the tool asked of the addon (objects, programs, .rodata, map sizes, ring
// readers), recorded on the warm-up so bench/c/attach.c can replay exactly that from C.
import { createInterface } from 'node:readline';
import * as bpfkit from '../dist/lib/index.js';
import { native } from '../dist/lib/binding.js';
import { benchTools } from './tools.mjs';

const [command, toolName, repsArg] = process.argv.slice(2);
const tool = benchTools.find((candidate) => candidate.name === toolName);
const start = () => bpfkit[tool.exportName](tool.options);

/** Records each BpfObject a tool loads successfully, and which of them get an EventReader. */
function recordRecipe() {
  const recipe = [];
  const { BpfObject, EventReader } = native;
  native.BpfObject = new Proxy(BpfObject, {
    construct(target, args) {
      const handle = Reflect.construct(target, args);
      const options = args[0];
      const entry = {
        object: options.object,
        programs: options.programs ?? [],
        rodataHex: options.rodata ? Buffer.from(options.rodata).toString('hex') : '',
        mapSizes: options.mapSizes ?? {},
        skipMaps: options.skipMaps ?? [],
        ring: false,
      };
      const load = handle.load;
      handle.load = function () {
        const result = load.call(this);
        // bpfkit's kernel probes run once per process: not part of starting a tool
        if (entry.object !== 'probe') recipe.push(entry);
        return result;
      };
      const mapFd = handle.mapFd;
      handle.mapFd = function (name) {
        const fd = mapFd.call(this, name);
        entry.fds = { ...entry.fds, [fd]: name };
        return fd;
      };
      return handle;
    },
  });
  native.EventReader = new Proxy(EventReader, {
    construct(target, args) {
      const owner = recipe.find((entry) => entry.fds?.[args[0]] === 'events');
      if (owner) owner.ring = true;
      return Reflect.construct(target, args);
    },
  });
  return () => {
    native.BpfObject = BpfObject;
    native.EventReader = EventReader;
    return recipe.map(({ fds, ...entry }) => entry);
  };
}

if (command === 'time') {
  const stopRecording = recordRecipe();
  const warmUp = start();
  const info = await warmUp.ready;
  await warmUp.close();
  const recipe = stopRecording();
  const openMs = [];
  const closeMs = [];
  for (let rep = 0; rep < Number(repsArg); rep++) {
    const t0 = performance.now();
    const running = start();
    await running.ready;
    const t1 = performance.now();
    await running.close();
    openMs.push(t1 - t0);
    closeMs.push(performance.now() - t1);
  }
  console.log(JSON.stringify({ mode: info.mode, recipe, openMs, closeMs }));
} else if (command === 'hold') {
  const running = start();
  const info = await running.ready;
  console.log(JSON.stringify({ ready: true, mode: info.mode }));
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'done') break;
  }
  await running.close();
  console.log(JSON.stringify({ closed: true }));
  // stdin stays open (the runner's pipe) and would keep the process alive
  process.exit(0);
}
