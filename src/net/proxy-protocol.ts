/**
 * The PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and 2) that a load balancer
 * such as HAProxy or nginx's stream module puts before the first byte of a connection, naming the
 * client and server the balancer saw. An incremental push parser: it takes chunks split at any
 * byte, holds at most one small fixed buffer, and stops at the header's last byte so the caller
 * can hand the rest to the protocol that follows. Pure: no `node:` imports.
 *
 *   v1: "PROXY" SP ("TCP4" | "TCP6") SP src SP dst SP sport SP dport CRLF      (≤ 107 bytes)
 *       "PROXY" SP "UNKNOWN" [ SP anything ] CRLF
 *   v2: 12-byte signature, version+command, family+transport, 16-bit length, that many bytes
 *       (addresses, then TLVs, which are skipped)
 */
import { formatIpv4, formatIpv6, formatIp, parseIp } from './ip.js';
import { NET_ERROR_CODES, NetError } from './errors.js';

/** One end of the proxied connection, as the header names it. */
export interface ProxyEndpoint {
  readonly address: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
}

export interface ProxyHeader {
  readonly version: 1 | 2;
  /**
   * 'proxy': relayed on behalf of a client. 'local': the proxy's own connection (a health check;
   * v2 LOCAL). A v1 `UNKNOWN` line is 'proxy' without addresses.
   */
  readonly command: 'proxy' | 'local';
  /**
   * The client the proxy saw, or null when the header names none the receiver can use (v1
   * UNKNOWN, v2 LOCAL, AF_UNSPEC, AF_UNIX, or a datagram transport): then the socket's own
   * addresses stand, as the specification asks.
   */
  readonly source: ProxyEndpoint | null;
  /** The address the client connected to at the proxy; null exactly when `source` is. */
  readonly destination: ProxyEndpoint | null;
  /** The header's length in bytes. */
  readonly length: number;
}

/** §2.1: "PROXY UNKNOWN" with two full IPv6 addresses and ports, CRLF included. */
export const MAX_V1_HEADER_BYTES = 107;
/**
 * The largest v2 address block (addresses and TLVs) accepted. Addresses take at most 216 bytes
 * (AF_UNIX); the rest is TLVs — ALPN, authority, TLS details, a cloud's endpoint id — which real
 * balancers keep to a few hundred bytes. 4 KiB leaves room without letting garbage that happens
 * to start with the signature hold the connection for 64 KiB.
 */
export const MAX_V2_ADDRESS_BYTES = 4096;

const V1_PREFIX = [0x50, 0x52, 0x4f, 0x58, 0x59, 0x20]; // "PROXY "
const V2_SIGNATURE = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
const V2_FIXED_BYTES = 16;
/** How many address bytes each family+transport byte needs (§2.2); absent keys are invalid. */
const V2_ADDRESS_BYTES: ReadonlyMap<number, number> = new Map([
  [0x00, 0], // UNSPEC
  [0x11, 12], // TCP over IPv4
  [0x12, 12], // UDP over IPv4
  [0x21, 36], // TCP over IPv6
  [0x22, 36], // UDP over IPv6
  [0x31, 216], // UNIX stream
  [0x32, 216], // UNIX datagram
]);

/** The 4 bytes after the signature and the largest address block we read (TCP over IPv6). */
const V2_KEPT_BYTES = 4 + 36;

const CR = 0x0d;
const LF = 0x0a;

// States, named for the place in the header.
const START = 0;
const V1_PREFIX_BYTES = 1;
const V1_LINE = 2;
const V1_LINE_ALMOST_DONE = 3;
const V2_SIGNATURE_BYTES = 4;
const V2_FIXED = 5;
const V2_ADDRESSES = 6;
const DONE = 7;
const FAILED = 8;

/**
 * Feed it the connection's first bytes with `execute(buf, start, end)`; it returns how many it
 * consumed, and stops at the header's end (`header` is then set) or at the first byte that does
 * not fit (`error` is then set, and stays). Incomplete input is neither: feed more, or call
 * `finish()` at end of input.
 */
export class ProxyHeaderParser {
  header: ProxyHeader | null = null;
  error: NetError | null = null;

  #state = START;
  /** Bytes of the header seen so far: also the index into a signature being matched. */
  #seen = 0;
  /** The v1 line after "PROXY ", or the v2 fixed part and the addresses we keep. */
  readonly #kept = new Uint8Array(MAX_V1_HEADER_BYTES);
  #keptLength = 0;
  /** v2: the total header length once the fixed part is read. */
  #total = 0;

  get done(): boolean {
    return this.#state === DONE;
  }

  execute(buf: Uint8Array, start: number, end: number): number {
    let pos = start;
    for (; pos < end; pos++) {
      const byte = buf[pos]!;
      switch (this.#state) {
        case START:
          if (byte === V1_PREFIX[0]) this.#state = V1_PREFIX_BYTES;
          else if (byte === V2_SIGNATURE[0]) this.#state = V2_SIGNATURE_BYTES;
          else return this.#fail(pos - start, NET_ERROR_CODES.PROXY_HEADER_INVALID, 'no PROXY protocol signature');
          this.#seen = 1;
          break;
        case V1_PREFIX_BYTES:
          if (byte !== V1_PREFIX[this.#seen]) return this.#fail(pos - start, NET_ERROR_CODES.PROXY_HEADER_INVALID, 'no PROXY protocol signature');
          if (++this.#seen === V1_PREFIX.length) this.#state = V1_LINE;
          break;
        case V1_LINE:
          if (++this.#seen > MAX_V1_HEADER_BYTES - 1) {
            return this.#fail(pos - start, NET_ERROR_CODES.PROXY_HEADER_TOO_LARGE, `no CRLF within ${MAX_V1_HEADER_BYTES} bytes`);
          }
          if (byte === CR) this.#state = V1_LINE_ALMOST_DONE;
          else if (byte === LF) return this.#fail(pos - start, NET_ERROR_CODES.PROXY_HEADER_INVALID, 'bare LF in a v1 header');
          else this.#kept[this.#keptLength++] = byte;
          break;
        case V1_LINE_ALMOST_DONE:
          // §2.1: "must not tolerate a single CR or LF character to end the line".
          if (byte !== LF) return this.#fail(pos - start, NET_ERROR_CODES.PROXY_HEADER_INVALID, 'bare CR in a v1 header');
          this.#seen++;
          return this.#complete(pos + 1 - start, parseV1Line(this.#kept, this.#keptLength, this.#seen));
        case V2_SIGNATURE_BYTES:
          if (byte !== V2_SIGNATURE[this.#seen]) return this.#fail(pos - start, NET_ERROR_CODES.PROXY_HEADER_INVALID, 'no PROXY protocol signature');
          if (++this.#seen === V2_SIGNATURE.length) this.#state = V2_FIXED;
          break;
        case V2_FIXED:
          this.#kept[this.#keptLength++] = byte;
          this.#seen++;
          if (this.#seen === V2_FIXED_BYTES) {
            const problem = this.#checkV2Fixed();
            if (problem !== null) return this.#fail(pos - start, problem[0], problem[1]);
            if (this.#seen === this.#total) return this.#complete(pos + 1 - start, this.#v2Header());
            this.#state = V2_ADDRESSES;
          }
          break;
        case V2_ADDRESSES: {
          // Keep what the addresses need; skip the rest (TLVs) without looking at it.
          const take = Math.min(end - pos, this.#total - this.#seen);
          const keep = Math.min(V2_KEPT_BYTES - this.#keptLength, take);
          if (keep > 0) {
            this.#kept.set(buf.subarray(pos, pos + keep), this.#keptLength);
            this.#keptLength += keep;
          }
          this.#seen += take;
          pos += take - 1;
          if (this.#seen === this.#total) return this.#complete(pos + 1 - start, this.#v2Header());
          break;
        }
        default:
          return pos - start; // DONE or FAILED: nothing more is consumed.
      }
    }
    return pos - start;
  }

  /** At end of input: the error to report if the header never completed, else null. */
  finish(): NetError | null {
    if (this.#state === DONE || this.#state === FAILED) return this.error;
    this.#state = FAILED;
    this.error = new NetError(NET_ERROR_CODES.PROXY_HEADER_INCOMPLETE, `input ended ${this.#seen} bytes into a PROXY header`);
    return this.error;
  }

  #fail(consumed: number, code: (typeof NET_ERROR_CODES)[keyof typeof NET_ERROR_CODES], reason: string): number {
    this.#state = FAILED;
    this.error = new NetError(code, `${reason} (at byte ${this.#seen})`);
    return consumed;
  }

  #complete(consumed: number, header: ProxyHeader | string): number {
    if (typeof header === 'string') return this.#fail(consumed - 1, NET_ERROR_CODES.PROXY_HEADER_INVALID, header);
    this.#state = DONE;
    this.header = header;
    return consumed;
  }

  /** Version, command, family and length: a reason to refuse, or null. */
  #checkV2Fixed(): [typeof NET_ERROR_CODES.PROXY_HEADER_INVALID | typeof NET_ERROR_CODES.PROXY_HEADER_TOO_LARGE, string] | null {
    const versionCommand = this.#kept[0]!;
    if (versionCommand >> 4 !== 2) return [NET_ERROR_CODES.PROXY_HEADER_INVALID, 'unsupported PROXY protocol version'];
    // §2.2: other commands "are unassigned … Receivers must drop connections presenting" them.
    if ((versionCommand & 0x0f) > 1) return [NET_ERROR_CODES.PROXY_HEADER_INVALID, 'unknown PROXY v2 command'];
    const needed = V2_ADDRESS_BYTES.get(this.#kept[1]!);
    if (needed === undefined) return [NET_ERROR_CODES.PROXY_HEADER_INVALID, 'unknown PROXY v2 address family or transport'];
    const length = (this.#kept[2]! << 8) | this.#kept[3]!;
    if (length > MAX_V2_ADDRESS_BYTES) return [NET_ERROR_CODES.PROXY_HEADER_TOO_LARGE, `PROXY v2 addresses over ${MAX_V2_ADDRESS_BYTES} bytes`];
    // A LOCAL header's addresses are ignored, whatever their length (§2.2).
    if ((versionCommand & 0x0f) === 1 && length < needed) return [NET_ERROR_CODES.PROXY_HEADER_INVALID, 'PROXY v2 address block too short for its family'];
    this.#total = V2_FIXED_BYTES + length;
    // The 4 fixed bytes after the signature stay at #kept[0..4]; addresses follow.
    return null;
  }

  #v2Header(): ProxyHeader {
    const kept = this.#kept;
    const length = this.#total;
    if ((kept[0]! & 0x0f) === 0) return { version: 2, command: 'local', source: null, destination: null, length };
    switch (kept[1]) {
      case 0x11:
        return addressedHeader(kept, 4, formatIpv4, 'IPv4', length);
      case 0x21:
        return addressedHeader(kept, 16, formatIpv6, 'IPv6', length);
      default:
        // AF_UNSPEC, AF_UNIX, or a datagram transport: nothing the connection can take as its address.
        return { version: 2, command: 'proxy', source: null, destination: null, length };
    }
  }
}

/**
 * A v2 header's TCP addresses (PROXY protocol spec, 2.2). `kept` holds the header from the byte
 * after the signature (version and command, family, length), so the addresses start at 4: source
 * address, destination address (`size` bytes each), source port, destination port.
 */
function addressedHeader(
  kept: Uint8Array,
  size: number,
  format: (bytes: Uint8Array, at: number) => string,
  family: 'IPv4' | 'IPv6',
  length: number,
): ProxyHeader {
  const base = 4;
  return {
    version: 2,
    command: 'proxy',
    source: { address: format(kept, base), port: port(kept, base + 2 * size), family },
    destination: { address: format(kept, base + size), port: port(kept, base + 2 * size + 2), family },
    length,
  };
}

function port(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

const PORT = /^(0|[1-9][0-9]{0,4})$/;

/** The v1 line after "PROXY " and before CRLF: a header, or why not. */
function parseV1Line(bytes: Uint8Array, count: number, length: number): ProxyHeader | string {
  let line = '';
  for (let i = 0; i < count; i++) line += String.fromCharCode(bytes[i]!);
  if (line === 'UNKNOWN' || line.startsWith('UNKNOWN ')) {
    // §2.1: "the receiver must ignore anything presented before the CRLF".
    return { version: 1, command: 'proxy', source: null, destination: null, length };
  }
  const fields = line.split(' ');
  if (fields.length !== 5) return 'a v1 header has 5 fields after PROXY, separated by one space';
  const [protocol, source, destination, sourcePort, destinationPort] = fields as [string, string, string, string, string];
  if (protocol !== 'TCP4' && protocol !== 'TCP6') return 'unknown v1 protocol';
  const family = protocol === 'TCP4' ? 'IPv4' : 'IPv6';
  const from = parseIp(source);
  const to = parseIp(destination);
  if (from === null || to === null || from.family !== family || to.family !== family) return `a v1 address is not ${family}`;
  if (!PORT.test(sourcePort) || !PORT.test(destinationPort) || Number(sourcePort) > 65535 || Number(destinationPort) > 65535) {
    return 'a v1 port is not a decimal in 0..65535 without leading zeros';
  }
  return {
    version: 1,
    command: 'proxy',
    source: { address: formatIp(from), port: Number(sourcePort), family },
    destination: { address: formatIp(to), port: Number(destinationPort), family },
    length,
  };
}

/** The v1 line for a header (the inverse of parsing, for tests and for clients of a PROXY listener). */
export function serializeProxyV1(source: ProxyEndpoint | null, destination: ProxyEndpoint | null): string {
  if (source === null || destination === null) return 'PROXY UNKNOWN\r\n';
  const protocol = source.family === 'IPv4' ? 'TCP4' : 'TCP6';
  return `PROXY ${protocol} ${source.address} ${destination.address} ${source.port} ${destination.port}\r\n`;
}

/**
 * A v2 header: PROXY over TCP for two endpoints of one family, else LOCAL (source null);
 * `tlvs` are appended as they are (already encoded).
 */
export function serializeProxyV2(source: ProxyEndpoint | null, destination: ProxyEndpoint | null, tlvs: Uint8Array = new Uint8Array(0)): Uint8Array {
  let body: number[] = [];
  let versionCommand = 0x20;
  let family = 0x00;
  if (source !== null && destination !== null) {
    versionCommand = 0x21;
    const from = parseIp(source.address);
    const to = parseIp(destination.address);
    if (from === null || to === null) throw new RangeError('not an IP address');
    const v4 = source.family === 'IPv4';
    family = v4 ? 0x11 : 0x21;
    const slice = (b: Uint8Array): number[] => Array.from(v4 ? b.subarray(12) : b);
    body = [...slice(from.bytes), ...slice(to.bytes), source.port >> 8, source.port & 0xff, destination.port >> 8, destination.port & 0xff];
  }
  const length = body.length + tlvs.length;
  const out = new Uint8Array(V2_FIXED_BYTES + length);
  out.set(V2_SIGNATURE, 0);
  out[12] = versionCommand;
  out[13] = family;
  out[14] = length >> 8;
  out[15] = length & 0xff;
  out.set(body, V2_FIXED_BYTES);
  out.set(tlvs, V2_FIXED_BYTES + body.length);
  return out;
}
