/**
 * The request a handler sees: the parsed head (decoded lazily), the body as a stream with
 * size-limited readers, and who is talking to whom.
 */
import type { Buffer } from 'node:buffer';
import { parseUrlencoded, type FieldMap } from '../form/urlencoded.js';
import type { RequestBody } from './body.js';
import type { Fields, HttpVersion, RequestHead } from './head.js';
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

export interface RequestContext {
  client: Address;
  server: Address;
  tls: TlsInfo | null;
  /** The server's default for `bytes()`, `text()` and `json()`. */
  maxBodyBytes: number;
}

export class Request {
  /** The parsed head: offsets into the socket's bytes. */
  readonly head: RequestHead;
  /** The body, as an async iterable of Buffer chunks (views of the socket's chunks). */
  readonly body: RequestBody;
  readonly client: Address;
  readonly server: Address;
  readonly tls: TlsInfo | null;
  private readonly maxBodyBytes: number;
  private parts: TargetParts | undefined;
  private decodedPath: string | undefined;
  private decodedQuery: FieldMap | undefined;

  constructor(head: RequestHead, body: RequestBody, context: RequestContext) {
    this.head = head;
    this.body = body;
    this.client = context.client;
    this.server = context.server;
    this.tls = context.tls;
    this.maxBodyBytes = context.maxBodyBytes;
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
    return (this.decodedQuery ??= parseUrlencoded(this.targetParts().query));
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

  private targetParts(): TargetParts {
    return (this.parts ??= splitTarget(this.head.target));
  }
}
