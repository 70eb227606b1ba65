/**
 * Who the client is when a reverse proxy stands between it and us: the `Forwarded` header
 * (RFC 7239) and the de facto `X-Forwarded-For`/`X-Forwarded-Proto`, believed only from trusted
 * proxies. Pure: no `node:` imports.
 *
 * Each proxy appends the address it received the request from, so the list reads client-first and
 * only its right end is vouched for. As Express and Go's real-IP middlewares do, the chain is
 * walked from the right: the connection's peer must be trusted for the headers to count at all;
 * each trusted hop passes the question to the entry on its left; the first untrusted entry is the
 * client. A malformed entry stops the walk where it is (the last address vouched for stands): a
 * bad header never fails the request, and never names a client no trusted proxy vouched for.
 */
import { AddressMatcher, formatIp, parseIp } from '../net/ip.js';
import { BACKSLASH, COMMA, DQUOTE, EQUALS, HTAB, QDTEXT, QUOTED_PAIR, SEMICOLON, SP, TOKEN } from './chars.js';

/** A node as RFC 7239 §6 writes it: an address (family IPv4/IPv6), or `unknown`/`_obfuscated` (family ''). */
export interface ForwardedNode {
  readonly address: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6' | '';
}

/** One forwarded-element (RFC 7239 §4): the parameters one proxy added, lower-cased names. */
export interface ForwardedElement {
  readonly for?: string;
  readonly by?: string;
  readonly host?: string;
  readonly proto?: string;
  /** Extension parameters (§5.5), by lower-cased name. */
  readonly extensions?: Readonly<Record<string, string>>;
}

export type Protocol = 'http' | 'https';

export interface ForwardedResolution {
  /** The client, or null when the trusted headers name none (the peer stands). */
  readonly client: ForwardedNode | null;
  /** The protocol the client used to reach the first proxy, when a trusted header says. */
  readonly protocol: Protocol | null;
}

/** What the resolver reads from the request's header fields. */
export interface HeaderSource {
  getAll(name: string): string[];
}

function isOws(c: number): boolean {
  return c === SP || c === HTAB;
}

/**
 * Splits field values into list members at commas outside quoted strings (RFC 9110 §5.6.1),
 * OWS trimmed, empty members dropped; several field lines make one list (RFC 9110 §5.3).
 * Returns null on an unterminated quoted string.
 */
export function splitList(values: readonly string[]): string[] | null {
  const members: string[] = [];
  for (const value of values) {
    let start = 0;
    let quoted = false;
    for (let i = 0; i <= value.length; i++) {
      const c = i < value.length ? value.charCodeAt(i) : COMMA;
      if (quoted) {
        if (i === value.length) return null;
        if (c === BACKSLASH) i++;
        else if (c === DQUOTE) quoted = false;
      } else if (c === DQUOTE) quoted = true;
      else if (c === COMMA) {
        const member = value.slice(start, i).trim();
        if (member !== '') members.push(member);
        start = i + 1;
      }
    }
  }
  return members;
}

function isToken(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) if (TOKEN[text.charCodeAt(i)] !== 1) return false;
  return true;
}

/**
 * One forwarded-element: `pair *( ";" pair )`, pair = token "=" ( token / quoted-string ).
 * Names are case-insensitive; a name twice in one element is an error (§4); so is anything else
 * off the grammar. OWS around ";" is tolerated. Null when malformed.
 */
export function parseForwardedElement(text: string): ForwardedElement | null {
  const element: Record<string, string> = {};
  let extensions: Record<string, string> | undefined;
  const seen = new Set<string>();
  let i = 0;
  const n = text.length;
  for (;;) {
    while (i < n && isOws(text.charCodeAt(i))) i++;
    const nameStart = i;
    while (i < n && TOKEN[text.charCodeAt(i)] === 1) i++;
    const name = text.slice(nameStart, i).toLowerCase();
    if (name === '' || i >= n || text.charCodeAt(i) !== EQUALS) return null;
    i++;
    let value: string;
    if (i < n && text.charCodeAt(i) === DQUOTE) {
      value = '';
      i++;
      for (;;) {
        if (i >= n) return null;
        const c = text.charCodeAt(i);
        if (c === DQUOTE) break;
        // RFC 9110 §5.6.4: qdtext, or a backslash and the character it quotes.
        if (c === BACKSLASH) {
          i++;
          if (i >= n || QUOTED_PAIR[text.charCodeAt(i)] !== 1) return null;
        } else if (QDTEXT[c] !== 1) return null;
        value += text[i];
        i++;
      }
      i++;
    } else {
      const valueStart = i;
      while (i < n && TOKEN[text.charCodeAt(i)] === 1) i++;
      value = text.slice(valueStart, i);
      if (value === '') return null;
    }
    if (seen.has(name)) return null;
    seen.add(name);
    if (name === 'for' || name === 'by' || name === 'host' || name === 'proto') element[name] = value;
    else (extensions ??= {})[name] = value;
    while (i < n && isOws(text.charCodeAt(i))) i++;
    if (i === n) break;
    if (text.charCodeAt(i) !== SEMICOLON) return null;
    i++;
  }
  return extensions === undefined ? element : { ...element, extensions };
}

/** Every element of the `Forwarded` field values, or null when any is malformed. */
export function parseForwarded(values: readonly string[]): ForwardedElement[] | null {
  const members = splitList(values);
  if (members === null) return null;
  const elements: ForwardedElement[] = [];
  for (const member of members) {
    const element = parseForwardedElement(member);
    if (element === null) return null;
    elements.push(element);
  }
  return elements;
}

const OBFUSCATED = /^_[A-Za-z0-9._-]+$/;
const PORT = /^[0-9]{1,5}$/;

/**
 * A node (RFC 7239 §6): `IPv4`, `"[IPv6]"`, `unknown` or `_obfuscated`, each optionally with
 * `:port` (digits, or an obfuscated port, which reads as 0). Null when it is none of these.
 */
export function parseNode(text: string): ForwardedNode | null {
  let name = text;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return null;
    name = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return null;
      portText = rest.slice(1);
    }
    const address = parseIp(name);
    if (address === null || address.family !== 'IPv6') return null;
    return withPort({ address: formatIp(address), port: 0, family: 'IPv6' }, portText);
  }
  const colon = text.indexOf(':');
  if (colon >= 0) {
    name = text.slice(0, colon);
    portText = text.slice(colon + 1);
  }
  if (name === 'unknown' || OBFUSCATED.test(name)) return withPort({ address: name, port: 0, family: '' }, portText);
  const address = parseIp(name);
  // An IPv6 address outside brackets is not a node (§6): its colons would be taken for a port.
  if (address === null || address.family !== 'IPv4') return null;
  return withPort({ address: formatIp(address), port: 0, family: 'IPv4' }, portText);
}

function withPort(node: ForwardedNode, portText: string | undefined): ForwardedNode | null {
  if (portText === undefined) return node;
  if (OBFUSCATED.test(portText)) return node;
  if (!PORT.test(portText) || Number(portText) > 65535) return null;
  return { ...node, port: Number(portText) };
}

/**
 * An X-Forwarded-For entry: an address, bare (IPv4 or IPv6) or with a port (`1.2.3.4:80`,
 * `[::1]:80`), as proxies in the wild write them. Null otherwise.
 */
export function parseForwardedFor(text: string): ForwardedNode | null {
  const address = parseIp(text);
  if (address !== null) return { address: formatIp(address), port: 0, family: address.family };
  const node = parseNode(text);
  return node === null || node.family === '' ? null : node;
}

function protocolOf(value: string | undefined): Protocol | null {
  if (value === undefined) return null;
  const lower = value.trim().toLowerCase();
  return lower === 'http' || lower === 'https' ? lower : null;
}

function trusted(node: ForwardedNode, trust: AddressMatcher): boolean {
  return node.family !== '' && trust.matches(node.address);
}

/**
 * The client and protocol the headers of a request from a trusted peer name. `X-Forwarded-For`
 * comes first when present (nginx, HAProxy, cloud balancers and most others append it, and pass
 * a client's own `Forwarded` through untouched); `Forwarded` otherwise.
 */
export function resolveForwarded(headers: HeaderSource, trust: AddressMatcher): ForwardedResolution {
  const xff = headers.getAll('x-forwarded-for');
  if (xff.length > 0) return resolveXForwarded(xff, headers.getAll('x-forwarded-proto'), trust);
  const forwarded = headers.getAll('forwarded');
  if (forwarded.length > 0) return resolveForwardedHeader(forwarded, trust);
  const proto = splitList(headers.getAll('x-forwarded-proto'));
  return { client: null, protocol: proto === null || proto.length === 0 ? null : protocolOf(proto[proto.length - 1]) };
}

function resolveXForwarded(values: readonly string[], protoValues: readonly string[], trust: AddressMatcher): ForwardedResolution {
  const entries = splitList(values) ?? [];
  let client: ForwardedNode | null = null;
  let hops = 0;
  for (let k = entries.length - 1; k >= 0; k--) {
    const node = parseForwardedFor(entries[k]!);
    if (node === null) break;
    client = node;
    hops++;
    if (!trusted(node, trust)) break;
  }
  // Each proxy that appends X-Forwarded-For appends X-Forwarded-Proto too: they align at the
  // right. A proxy that sets (not appends) it leaves one entry: the nearest we know.
  const protos = splitList(protoValues) ?? [];
  const index = Math.max(0, protos.length - Math.max(1, hops));
  return { client, protocol: protos.length === 0 ? null : protocolOf(protos[index]) };
}

function resolveForwardedHeader(values: readonly string[], trust: AddressMatcher): ForwardedResolution {
  const members = splitList(values) ?? [];
  let client: ForwardedNode | null = null;
  let protocol: Protocol | null = null;
  for (let k = members.length - 1; k >= 0; k--) {
    const element = parseForwardedElement(members[k]!);
    if (element === null) break;
    // The element's proto is how its `for` reached the proxy that wrote it.
    protocol = protocolOf(element.proto) ?? protocol;
    const node = element.for === undefined ? null : parseNode(element.for);
    if (node === null) break;
    client = node;
    if (!trusted(node, trust)) break;
  }
  return { client, protocol };
}
