/**
 * Lazy views over the bytes of a parsed head. Nothing here is decoded until someone asks;
 * a decoded string is cached, so asking twice costs nothing. Field names are compared
 * byte-wise without regard to case, so a lookup decodes nothing either.
 */
import { HTAB, SP, equalsExact, equalsLowerCase, latin1 } from './chars.js';

/** The field lines of a head or of a chunked body's trailer section, in the order received. */
export class Fields {
  /** The bytes the fields live in: the socket's chunk, or the carry buffer of a head that straddled chunks. */
  readonly buf: Uint8Array;
  /**
   * Four offsets a field into `buf`: name start, name end, value start, value end
   * (the value without leading or trailing whitespace).
   */
  readonly offsets: number[];
  private names: (string | undefined)[] | undefined;
  private values: (string | undefined)[] | undefined;

  constructor(buf: Uint8Array, offsets: number[]) {
    this.buf = buf;
    this.offsets = offsets;
    // The scanner stops a value at its CR; trailing OWS is cut here, once (RFC 9112 §5).
    for (let i = 3; i < offsets.length; i += 4) {
      const start = offsets[i - 1]!;
      let end = offsets[i]!;
      while (end > start && (buf[end - 1] === SP || buf[end - 1] === HTAB)) end--;
      offsets[i] = end;
    }
  }

  /** Number of field lines. */
  get length(): number {
    return this.offsets.length >> 2;
  }

  nameStart(i: number): number {
    return this.offsets[i * 4]!;
  }
  nameEnd(i: number): number {
    return this.offsets[i * 4 + 1]!;
  }
  valueStart(i: number): number {
    return this.offsets[i * 4 + 2]!;
  }
  valueEnd(i: number): number {
    return this.offsets[i * 4 + 3]!;
  }

  /** The i-th field's name with the case it was received in. */
  name(i: number): string {
    const names = (this.names ??= new Array<string | undefined>(this.length));
    return (names[i] ??= latin1(this.buf, this.nameStart(i), this.nameEnd(i)));
  }

  /** The i-th field's value, latin1-decoded, without leading or trailing whitespace. */
  value(i: number): string {
    const values = (this.values ??= new Array<string | undefined>(this.length));
    return (values[i] ??= latin1(this.buf, this.valueStart(i), this.valueEnd(i)));
  }

  /** Index of the first field at or after `from` named `name` (any case), or -1. */
  indexOf(name: string, from = 0): number {
    const lower = name.toLowerCase();
    const offsets = this.offsets;
    for (let i = from * 4; i < offsets.length; i += 4) {
      if (equalsLowerCase(this.buf, offsets[i]!, offsets[i + 1]!, lower)) return i >> 2;
    }
    return -1;
  }

  /** The first value of the field named `name` (any case), or undefined. */
  get(name: string): string | undefined {
    const i = this.indexOf(name);
    return i < 0 ? undefined : this.value(i);
  }

  /** Every value of the fields named `name` (any case), in order. */
  getAll(name: string): string[] {
    const out: string[] = [];
    for (let i = this.indexOf(name); i >= 0; i = this.indexOf(name, i + 1)) out.push(this.value(i));
    return out;
  }

  has(name: string): boolean {
    return this.indexOf(name) >= 0;
  }

  /** Every field as a [name, value] pair, names with the case received, in order. */
  pairs(): [string, string][] {
    const out: [string, string][] = [];
    for (let i = 0; i < this.length; i++) out.push([this.name(i), this.value(i)]);
    return out;
  }

  *[Symbol.iterator](): IterableIterator<[string, string]> {
    for (let i = 0; i < this.length; i++) yield [this.name(i), this.value(i)];
  }
}

/** Methods are interned: a known method costs a byte comparison, not a decode. */
const KNOWN_METHODS = ['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE'];

export type HttpVersion = '1.0' | '1.1';

/** What the head says about the message's framing and the connection; filled in by `semantics.ts`. */
export interface Framing {
  /** Body length in bytes, or -1 when the body is chunked. 0 when the request has no body. */
  contentLength: number;
  chunked: boolean;
  /** Whether the connection may carry another request after this one (RFC 9112 §9.3). */
  keepAlive: boolean;
  /** `Expect: 100-continue` was sent (RFC 9110 §10.1.1). */
  expectContinue: boolean;
  /** An `Expect` other than 100-continue was sent; a server answers 417. */
  unsupportedExpectation: boolean;
  /** `Connection: upgrade` with an `Upgrade` field (RFC 9110 §7.8). */
  upgrade: boolean;
}

/**
 * A parsed request head: the request line and the field section, as views into `buf`. It is its
 * own field section (`fields` is the head itself): one object per request, not two.
 */
export class RequestHead extends Fields implements Framing {
  readonly methodStart: number;
  readonly methodEnd: number;
  readonly targetStart: number;
  readonly targetEnd: number;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly versionMinor: number;

  contentLength = 0;
  chunked = false;
  keepAlive = true;
  expectContinue = false;
  unsupportedExpectation = false;
  upgrade = false;

  private methodText: string | undefined;
  private targetText: string | undefined;

  constructor(
    buf: Uint8Array,
    methodStart: number,
    methodEnd: number,
    targetStart: number,
    targetEnd: number,
    versionMinor: number,
    offsets: number[],
  ) {
    super(buf, offsets);
    this.methodStart = methodStart;
    this.methodEnd = methodEnd;
    this.targetStart = targetStart;
    this.targetEnd = targetEnd;
    this.versionMinor = versionMinor;
  }

  /** The head's field section: the head itself. */
  get fields(): Fields {
    return this;
  }

  get method(): string {
    if (this.methodText === undefined) {
      const { buf, methodStart: start, methodEnd: end } = this;
      // GET, most requests' method, by its three bytes; the rest by comparison with each known one.
      if (end - start === 3 && buf[start] === 0x47 && buf[start + 1] === 0x45 && buf[start + 2] === 0x54) return (this.methodText = 'GET');
      for (const known of KNOWN_METHODS) {
        if (equalsExact(buf, start, end, known)) return (this.methodText = known);
      }
      this.methodText = latin1(buf, start, end);
    }
    return this.methodText;
  }

  /** True when the method is `name`, compared byte-wise (methods are case-sensitive, RFC 9110 §9.1). */
  isMethod(name: string): boolean {
    return equalsExact(this.buf, this.methodStart, this.methodEnd, name);
  }

  /** The request-target exactly as received. */
  get target(): string {
    return (this.targetText ??= latin1(this.buf, this.targetStart, this.targetEnd));
  }

  get version(): HttpVersion {
    return this.versionMinor === 1 ? '1.1' : '1.0';
  }
}
