import { isIPv4, isIPv6 } from 'node:net';
import { invalidOption } from '../errors.js';

export type IpFamily = 'ipv4' | 'ipv6';

export interface IpAddress {
  family: IpFamily;
  /** network byte order: 4 bytes for IPv4, 16 for IPv6. */
  bytes: Uint8Array;
}

/**
 * Parses a textual IPv4 (dotted quad) or IPv6 address; anything else, including zone ids and the
 * forms inet_aton tolerates ("127.1", "0x7f.0.0.1"), is a RangeError naming the option.
 */
export function parseIpAddress(value: unknown, option: string): IpAddress {
  if (typeof value !== 'string') throw invalidOption(option, 'must be a string (an IPv4 or IPv6 address)', 'type');
  if (isIPv4(value)) return { family: 'ipv4', bytes: Uint8Array.from(value.split('.'), Number) };
  if (isIPv6(value) && !value.includes('%')) return { family: 'ipv6', bytes: ipv6Bytes(value) };
  throw invalidOption(option, `is not an IPv4 or IPv6 address: '${value}'`);
}

function ipv6Bytes(text: string): Uint8Array {
  const bytes = new Uint8Array(16);
  let groups = text;
  // A trailing dotted quad fills the last 4 bytes (::ffff:1.2.3.4).
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (quad) {
    bytes.set(quad.split('.').map(Number), 12);
    groups = `${text.slice(0, -quad.length)}0:0`;
  }
  const [head, tail] = groups.split('::') as [string, string | undefined];
  const words = (part: string | undefined) => (part ? part.split(':').map((word) => parseInt(word, 16)) : []);
  const front = words(head);
  const back = words(tail);
  const all = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  all.forEach((word, i) => {
    if (quad && i >= 6) return;
    bytes[2 * i] = word >> 8;
    bytes[2 * i + 1] = word & 0xff;
  });
  return bytes;
}

/** The usual text of an address: dotted quad, or RFC 5952 IPv6 (longest zero run as ::). */
export function formatIpAddress(family: IpFamily, bytes: Uint8Array): string {
  if (family === 'ipv4') return Array.from(bytes.subarray(0, 4)).join('.');
  const words = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return `::ffff:${Array.from(bytes.subarray(12, 16)).join('.')}`;
  }
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) { i++; continue; }
    let end = i;
    while (end < 8 && words[end] === 0) end++;
    if (end - i > best.length) best = { start: i, length: end - i };
    i = end;
  }
  const hex = (list: number[]) => list.map((w) => w.toString(16)).join(':');
  if (best.length < 2) return hex(words);
  return `${hex(words.slice(0, best.start))}::${hex(words.slice(best.start + best.length))}`;
}
