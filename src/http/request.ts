/**
 * The request a handler sees: the parsed head (decoded lazily), the body as a stream with
 * size-limited readers, and who is talking to whom.
 */
import type { Buffer } from 'node:buffer';
import type { Form } from '../form/fields.js';
import type { AddressMatcher } from '../net/ip.js';
import { parseUrlencoded, type FieldMap } from '../form/urlencoded.js';
import type { RequestBody } from './body.js';
import type { Fields, HttpVersion, RequestHead } from './head.js';
import { readForm, type FormOptions } from './form.js';
import { resolveForwarded, type Protocol } from './forwarded.js';
import { decodePath, splitTarget, type TargetParts } from './target.js';

export interface Address {
  address: string;
  port: number;
  family: string;
}

/** What a TLS connection negotiated; `null` on plain TCP. */
export interface TlsInfo {
  protocol: string;
  cipher: string;
  bits: number;
  alpn: string | false;
}

/** `TLS_AES_256_GCM_SHA384 TLSv1.3 256`: the classic reports' `Cipher:` line. */
export function cipherLine(tls: TlsInfo): string {
  return `${tls.cipher} ${tls.protocol} ${tls.bits}`;
}

/** What the requests of one connection share. Each is read when a request's is: it may be lazy. */
export interface RequestContext {
  /** The connection's peer (the socket's, or a PROXY protocol header's). */
  readonly client: Address;
  readonly server: Address;
  readonly tls: TlsInfo | null;
  /** The server's default for `bytes()`, `text()` and `json()`. */
  maxBodyBytes: number;
  /** Set only when the peer is a trusted proxy: then its forwarding headers are read. */
  trustProxy?: AddressMatcher | null;
}

export class Request {
  /** The parsed head: offsets into the socket's bytes. */
  readonly head: RequestHead;
  private readonly bodyHolder: { readonly body: RequestBody };
  /** The server's default cap for `bytes()`, `text()`, `json()` and `form()`. */
  readonly maxBodyBytes: number;
  private finishers: (() => void)[] | undefined;
  private parts: TargetParts | undefined;
  private decodedPath: string | undefined;
  private decodedQuery: FieldMap | undefined;
  private controller: AbortController | undefined;
  private abortReason: Error | undefined;
  private readonly context: RequestContext;
  /** What the trusted proxy's headers say, once asked. */
  private forwarded: { readonly client: Address; readonly protocol: Protocol | null } | undefined;

  /** `bodyHolder.body` is the body stream, which the holder makes when first asked for. */
  constructor(head: RequestHead, bodyHolder: { readonly body: RequestBody }, context: RequestContext) {
    this.head = head;
    this.bodyHolder = bodyHolder;
    this.context = context;
    this.maxBodyBytes = context.maxBodyBytes;
  }

  /**
   * Who sent the request on this connection: the socket's peer, or the source a PROXY protocol
   * header named. Behind a trusted HTTP proxy this is the proxy; `client` is who it forwards.
   */
  get peer(): Address {
    return this.context.client;
  }

  /** The local end of the connection: the address and port the client reached. */
  get server(): Address {
    return this.context.server;
  }

  /** What the TLS connection negotiated (protocol, cipher, bits, ALPN); `null` on plain TCP. */
  get tls(): TlsInfo | null {
    return this.context.tls;
  }

  /**
   * The client: the peer, unless the peer is a trusted proxy (`trustProxy`) whose forwarding
   * headers name another (then its port is the one `Forwarded: for=` gave, else 0, and its family
   * `''` for `unknown` or an obfuscated name). Resolved on first use.
   */
  get client(): Address {
    const trust = this.context.trustProxy;
    if (trust === undefined || trust === null) return this.peer;
    return (this.forwarded ??= this.resolveForwarded(trust)).client;
  }

  /**
   * `'https'` over TLS, else `'http'` — unless the peer is a trusted proxy that says (in
   * `X-Forwarded-Proto` or `Forwarded: proto=`) which one the client used to reach it.
   */
  get protocol(): Protocol {
    const own: Protocol = this.tls === null ? 'http' : 'https';
    const trust = this.context.trustProxy;
    if (trust === undefined || trust === null) return own;
    return (this.forwarded ??= this.resolveForwarded(trust)).protocol ?? own;
  }

  /** The body, as an async iterable of Buffer chunks (views of the socket's chunks). */
  get body(): RequestBody {
    return this.bodyHolder.body;
  }

  get method(): string {
    return this.head.method;
  }

  /** The request-target exactly as received. */
  get target(): string {
    return this.head.target;
  }

  get version(): HttpVersion {
    return this.head.version;
  }

  /** Header fields: case-insensitive `get`/`getAll`/`has`, and `pairs()` in the order received. */
  get headers(): Fields {
    return this.head.fields;
  }

  /** The path of the target, percent-decoded. */
  get path(): string {
    return (this.decodedPath ??= decodePath(this.targetParts().rawPath));
  }

  /** The query string as received, without "?". */
  get rawQuery(): string {
    return this.targetParts().query;
  }

  /** The query's fields, decoded, every value a list, blank values kept, in order. */
  get query(): FieldMap {
    return (this.decodedQuery ??= parseUrlencoded(this.targetParts().query, { keepBlankValues: true }));
  }

  /**
   * Aborted when the connection closes before the response has ended: the client went away.
   * Created on first use, already aborted if that has happened.
   */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** @internal The connection loop calls it when the socket closes before the response ended. */
  abort(reason: Error): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }

  /** The whole body; over `maxBytes` (default: the server's maxBodyBytes) it throws a 413 SealError. */
  bytes(maxBytes = this.maxBodyBytes): Promise<Buffer> {
    return this.body.bytes(maxBytes);
  }

  text(maxBytes = this.maxBodyBytes): Promise<string> {
    return this.body.text(maxBytes);
  }

  json(maxBytes = this.maxBodyBytes): Promise<unknown> {
    return this.body.json(maxBytes);
  }

  /**
   * The request's fields: the query string's for GET and HEAD, the body's (urlencoded or
   * multipart) for POST, PUT and PATCH; 415 for another content type. See FormOptions.
   */
  form(options?: FormOptions): Promise<Form> {
    return readForm(this, options);
  }

  /** Runs `callback` once the exchange is over (response ended, or connection gone): cleanup. */
  onFinished(callback: () => void): void {
    (this.finishers ??= []).push(callback);
  }

  /** @internal Called by the connection when the exchange is over. */
  finish(): void {
    const finishers = this.finishers;
    this.finishers = undefined;
    if (finishers !== undefined) for (const callback of finishers) callback();
  }

  private resolveForwarded(trust: AddressMatcher): { client: Address; protocol: Protocol | null } {
    const { client, protocol } = resolveForwarded(this.head.fields, trust);
    return { client: client === null ? this.peer : { address: client.address, port: client.port, family: client.family }, protocol };
  }

  private targetParts(): TargetParts {
    return (this.parts ??= splitTarget(this.head.target));
  }
}
