#!/usr/bin/env node
// glibc-floor.mjs FILE.node [--max 2.28] [--json]
//
// Reports the symbol versions a shared object needs from each library (GLIBC_, GLIBCXX_, CXXABI_,
// GCC_), read straight from the ELF's version-needed section, and names the symbols that need the
// highest GLIBC_ version: the oldest glibc the file can load on is that version. With --max it
// exits 1 when the file needs a newer GLIBC_ than allowed, so a build can enforce its floor.
// Reads the file itself (no binutils), so it runs wherever node does.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SHT_DYNSYM = 11;
const SHT_GNU_VERNEED = 0x6ffffffe;
const SHT_GNU_VERSYM = 0x6fffffff;

function sections(buf) {
  if (buf.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
  if (buf[4] !== 2 || buf[5] !== 1) throw new Error('only 64-bit little-endian ELF files are supported');
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a);
  const shnum = buf.readUInt16LE(0x3c);
  const list = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    list.push({
      type: buf.readUInt32LE(at + 4),
      offset: Number(buf.readBigUInt64LE(at + 0x18)),
      size: Number(buf.readBigUInt64LE(at + 0x20)),
      link: buf.readUInt32LE(at + 0x28),
      info: buf.readUInt32LE(at + 0x2c),
    });
  }
  return list;
}

function cString(buf, at) {
  return buf.toString('latin1', at, buf.indexOf(0, at));
}

/** Versions needed per library, and the undefined dynamic symbols bound to each version. */
export function versionNeeds(file) {
  const buf = readFileSync(file);
  const all = sections(buf);
  const verneed = all.find((s) => s.type === SHT_GNU_VERNEED);
  const needs = []; // { library, version, index, symbols: [] }
  if (!verneed) return needs;
  const strings = all[verneed.link].offset;
  let entry = verneed.offset;
  for (let n = 0; n < verneed.info; n++) {
    const library = cString(buf, strings + buf.readUInt32LE(entry + 4));
    let aux = entry + buf.readUInt32LE(entry + 8);
    for (let k = 0; k < buf.readUInt16LE(entry + 2); k++) {
      needs.push({
        library,
        index: buf.readUInt16LE(aux + 6) & 0x7fff,
        version: cString(buf, strings + buf.readUInt32LE(aux + 8)),
        symbols: [],
      });
      aux += buf.readUInt32LE(aux + 12);
    }
    entry += buf.readUInt32LE(entry + 12);
  }
  const dynsym = all.find((s) => s.type === SHT_DYNSYM);
  const versym = all.find((s) => s.type === SHT_GNU_VERSYM);
  if (dynsym && versym) {
    const names = all[dynsym.link].offset;
    for (let i = 0; i < dynsym.size / 24; i++) {
      const sym = dynsym.offset + i * 24;
      const index = buf.readUInt16LE(versym.offset + i * 2) & 0x7fff;
      const need = needs.find((v) => v.index === index);
      if (need && buf.readUInt16LE(sym + 6) === 0) need.symbols.push(cString(buf, names + buf.readUInt32LE(sym)));
    }
  }
  return needs;
}

function compareVersions(a, b) {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Highest version per prefix (GLIBC, GLIBCXX, CXXABI, GCC), with the symbols that need it. */
export function floors(file) {
  const highest = {};
  for (const need of versionNeeds(file)) {
    const match = /^([A-Z]+)_([0-9.]+)$/.exec(need.version);
    if (!match) continue;
    const [, prefix, version] = match;
    const current = highest[prefix];
    const order = current ? compareVersions(version, current.version) : 1;
    if (order > 0) highest[prefix] = { version, symbols: [...need.symbols] };
    else if (order === 0) current.symbols.push(...need.symbols);
  }
  return highest;
}

function main(argv) {
  const file = argv.find((a) => !a.startsWith('--') && argv[argv.indexOf(a) - 1] !== '--max');
  const maxAt = argv.indexOf('--max');
  const max = maxAt >= 0 ? argv[maxAt + 1] : undefined;
  if (!file || (maxAt >= 0 && !/^\d+\.\d+(\.\d+)?$/.test(max ?? ''))) {
    console.error('usage: glibc-floor.mjs FILE.node [--max 2.28] [--json]');
    return 2;
  }
  const result = floors(file);
  if (argv.includes('--json')) console.log(JSON.stringify(result));
  else {
    for (const [prefix, { version, symbols }] of Object.entries(result)) {
      const shown = symbols.sort().slice(0, 4).join(', ');
      const more = symbols.length > 4 ? `, +${symbols.length - 4} more` : '';
      console.log(`${prefix}_${version}${symbols.length ? `  (${shown}${more})` : ''}`);
    }
  }
  const glibc = result.GLIBC?.version;
  if (max && glibc && compareVersions(glibc, max) > 0) {
    console.error(`${file} needs GLIBC_${glibc}, above the allowed floor ${max}`);
    return 1;
  }
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
