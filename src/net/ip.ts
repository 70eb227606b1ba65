/**
 * IP addresses as text and as 16 bytes, and a matcher for lists of addresses and CIDR blocks:
 * what the PROXY protocol listener and the HTTP layer's `trustProxy` decide trust with. Pure: no
 * `node:` imports, so the parsers that use it stay testable alone.
 *
 * Every address is held as 16 bytes; an IPv4 address is its IPv4-mapped IPv6 form
 * (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2), so `127.0.0.1` and `::ffff:127.0.0.1` are the same
 * address to the matcher, as they are to a dual-stack socket.
 */

/** An address as bytes and as Node names its family. */
export interface IpAddress {
  readonly bytes: Uint8Array;
  readonly family: 'IPv4' | 'IPv6';
}

const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/**
 * `a.b.c.d`, each a decimal in 0..255 without leading zeros (RFC 6943 §3.1.1: no octal or hex
 * guessing). Writes the 4 bytes at `into[at..at+4]`; returns false if `text` is not exactly that.
 */
function parseIpv4Into(text: string, into: Uint8Array, at: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || part > 3) return false;
      into[at + part] = value;
      part++;
      value = 0;
      digits = 0;
    } else if (c >= DIGIT_0 && c <= DIGIT_9) {
      if (digits > 0 && value === 0) return false; // a leading zero
      value = value * 10 + (c - DIGIT_0);
      digits++;
      if (value > 255) return false;
    } else return false;
  }
  return part === 4;
}

function hexValue(c: number): number {
  if (c >= DIGIT_0 && c <= DIGIT_9) return c - DIGIT_0;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/**
 * RFC 4291 §2.2 text: eight groups of 1–4 hex digits, at most one `::`, optionally ending in a
 * dotted IPv4 address. No zone index (`%eth0`): a zone means nothing off the host that wrote it.
 */
function parseIpv6(text: string): Uint8Array | null {
  if (text.length < 2 || text.length > 45) return null;
  const groups: number[] = [];
  let gap = -1;
  let i = 0;
  if (text.startsWith('::')) {
    gap = 0;
    i = 2;
    if (i === text.length) return new Uint8Array(16);
  } else if (text.charCodeAt(0) === 0x3a) return null;
  const out = new Uint8Array(16);
  for (;;) {
    let value = 0;
    let digits = 0;
    const start = i;
    while (i < text.length && digits <= 4) {
      const h = hexValue(text.charCodeAt(i));
      if (h < 0) break;
      value = value * 16 + h;
      digits++;
      i++;
    }
    if (i < text.length && text.charCodeAt(i) === 0x2e) {
      // The last 32 bits as a dotted IPv4 address.
      if (groups.length > 6 || !parseIpv4Into(text.slice(start), out, 12)) return null;
      groups.push((out[12]! << 8) | out[13]!, (out[14]! << 8) | out[15]!);
      break;
    }
    if (digits === 0 || digits > 4) return null;
    groups.push(value);
    if (i === text.length) break;
    if (text.charCodeAt(i) !== 0x3a) return null;
    i++;
    if (i < text.length && text.charCodeAt(i) === 0x3a) {
      if (gap >= 0) return null; // a second "::"
      gap = groups.length;
      i++;
      if (i === text.length) break;
    } else if (i === text.length) return null; // a trailing single ":"
    if (groups.length >= 8) return null;
  }
  if (gap < 0 ? groups.length !== 8 : groups.length > 7) return null;
  const tail = gap < 0 ? 0 : groups.length - gap;
  for (let g = 0; g < groups.length; g++) {
    const slot = gap >= 0 && g >= gap ? 8 - tail + (g - gap) : g;
    out[slot * 2] = groups[g]! >> 8;
    out[slot * 2 + 1] = groups[g]! & 0xff;
  }
  if (gap >= 0) out.fill(0, gap * 2, (8 - tail) * 2);
  return out;
}

/** A textual IPv4 or IPv6 address, or null. IPv4 comes back as its IPv4-mapped 16 bytes. */
export function parseIp(text: string): IpAddress | null {
  if (text.includes(':')) {
    const bytes = parseIpv6(text);
    return bytes === null ? null : { bytes, family: 'IPv6' };
  }
  const bytes = new Uint8Array(16);
  bytes[10] = 0xff;
  bytes[11] = 0xff;
  return parseIpv4Into(text, bytes, 12) ? { bytes, family: 'IPv4' } : null;
}

/** Whether 16 bytes are an IPv4-mapped address, `::ffff:a.b.c.d`. */
export function isIpv4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/** Dotted decimal from 4 bytes at `at`. */
export function formatIpv4(bytes: Uint8Array, at = 0): string {
  return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
}

/**
 * RFC 5952 text, as Node prints socket addresses: lower case, no leading zeros, the longest run
 * of two or more zero groups (the first, on a tie) as `::`, IPv4-mapped as `::ffff:a.b.c.d`.
 */
export function formatIpv6(bytes: Uint8Array, at = 0): string {
  const view = bytes.subarray(at, at + 16);
  if (isIpv4Mapped(view)) return `::ffff:${formatIpv4(view, 12)}`;
  const groups: number[] = [];
  for (let g = 0; g < 8; g++) groups.push((view[g * 2]! << 8) | view[g * 2 + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let g = 0; g < 8; ) {
    if (groups[g] !== 0) {
      g++;
      continue;
    }
    let end = g;
    while (end < 8 && groups[end] === 0) end++;
    if (end - g > bestLength) {
      bestStart = g;
      bestLength = end - g;
    }
    g = end;
  }
  const hex = (from: number, to: number): string =>
    groups
      .slice(from, to)
      .map((group) => group.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

/** An address in the form Node gives socket addresses, family by how it was written. */
export function formatIp(address: IpAddress): string {
  return address.family === 'IPv4' ? formatIpv4(address.bytes, 12) : formatIpv6(address.bytes);
}

/** Named groups of addresses, as Express's `trust proxy` names them. */
const NAMED_RANGES: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

interface Block {
  readonly bytes: Uint8Array;
  /** Prefix length in bits over the 16-byte form (an IPv4 /n is /96+n). */
  readonly bits: number;
}

function parseBlock(entry: string): Block | null {
  const slash = entry.indexOf('/');
  const address = parseIp(slash < 0 ? entry : entry.slice(0, slash));
  if (address === null) return null;
  const width = address.family === 'IPv4' ? 32 : 128;
  let bits = width;
  if (slash >= 0) {
    const prefix = entry.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(prefix) || Number(prefix) > width) return null;
    bits = Number(prefix);
  }
  return { bytes: address.bytes, bits: bits + (128 - width) };
}

function inBlock(bytes: Uint8Array, block: Block): boolean {
  const whole = block.bits >> 3;
  for (let i = 0; i < whole; i++) if (bytes[i] !== block.bytes[i]) return false;
  const rest = block.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (bytes[whole]! & mask) === (block.bytes[whole]! & mask);
}

/**
 * Which addresses are trusted: a list of addresses (`'10.0.0.1'`, `'::1'`), CIDR blocks
 * (`'10.0.0.0/8'`, `'2001:db8::/32'`) and the names `'loopback'`, `'linklocal'`, `'uniquelocal'`.
 * A malformed entry throws a RangeError when the matcher is built: a typo in a trust list must
 * not quietly trust nothing (or everything).
 */
export class AddressMatcher {
  readonly #blocks: readonly Block[];

  constructor(entries: readonly string[]) {
    const blocks: Block[] = [];
    for (const raw of entries) {
      const entry = raw.trim();
      const named = NAMED_RANGES[entry.toLowerCase()];
      for (const item of named ?? [entry]) {
        const block = parseBlock(item);
        if (block === null) throw new RangeError(`not an IP address, CIDR block or range name: '${raw}'`);
        blocks.push(block);
      }
    }
    this.#blocks = blocks;
  }

  /** True when the list is empty: nothing can match. */
  get empty(): boolean {
    return this.#blocks.length === 0;
  }

  /** Whether `address` (text, as a socket or a header gives it) is in the list. */
  matches(address: string): boolean {
    if (this.#blocks.length === 0) return false;
    const parsed = parseIp(address);
    return parsed !== null && this.matchesBytes(parsed.bytes);
  }

  matchesBytes(bytes: Uint8Array): boolean {
    for (const block of this.#blocks) if (inBlock(bytes, block)) return true;
    return false;
  }
}
