/**
 * A model of the `echo` app (CONTRACTS.md §2) for live property tests: the JSON the app must answer
 * a valid request with, the status and error code a malformed request must be refused with, and the
 * answers a whole connection gets (valid requests, maybe a malformed one, maybe bytes after it that
 * must never be answered). The generators are in valid-requests.ts and malformed-requests.ts.
 *
 * The model computes what the echo says independently of Seal: the path is percent-decoded here
 * byte by byte, and the query and urlencoded forms are read by URLSearchParams.
 */
import type { EchoFile } from '../../src/apps/echo.js';
import type { ErrorCode } from '../../src/http/errors.js';

// --- What the echo answers ------------------------------------------------------------------------

export type FieldMap = Record<string, string[]>;

/** A file part as the echo reports it (CONTRACTS.md §2): the app's own type. */
export type { EchoFile };

/** The echo's JSON, without `client` and `server`, which only the live socket knows. */
export interface EchoModel {
  method: string;
  target: string;
  path: string;
  query: FieldMap;
  version: '1.0' | '1.1';
  headers: [string, string][];
  body: string;
  form: FieldMap | null;
  files: EchoFile[];
  tls: null;
}

export interface ValidRequest {
  kind: 'valid';
  /** The request as sent, one character per byte. */
  wire: string;
  echo: EchoModel;
  /** The connection persists after it (RFC 9112 §9.3). */
  keepAlive: boolean;
  /** `100 Continue` may come before the answer: Expect: 100-continue on 1.1 with body bytes to come. */
  mayContinue: boolean;
}

export interface MalformedRequest {
  kind: 'malformed';
  wire: string;
  /** What is wrong with it, for failure messages. */
  label: string;
  code: ErrorCode;
  status: number;
  /**
   * Found by the parser (in the head or the body), so the error hook sees it. Refusals before the
   * handler (417, CONNECT) and the body limit the handler meets (413) are answered, not reported.
   */
  reported: boolean;
  /** A request cut short by the client's FIN: nothing may follow it. */
  truncated: boolean;
  /** Not answered at all: the FIN came before its head was whole. */
  silent: boolean;
}

export interface ConnectionPlan {
  requests: ValidRequest[];
  malformed: MalformedRequest | null;
  /** Sent last; never answered, since the connection ends before it (garbage or valid requests). */
  tail: string;
}

export type ExpectedAnswer = ValidRequest | MalformedRequest;

/**
 * The answers a connection gets, in order: each valid request's echo up to the first one that
 * does not keep the connection alive; then, if every one did, the malformed request's refusal.
 */
export function expectedAnswers(plan: ConnectionPlan): ExpectedAnswer[] {
  const out: ExpectedAnswer[] = [];
  for (const request of plan.requests) {
    out.push(request);
    if (!request.keepAlive) return out;
  }
  if (plan.malformed !== null && !plan.malformed.silent) out.push(plan.malformed);
  return out;
}

export function wireOf(plan: ConnectionPlan): string {
  return plan.requests.map((r) => r.wire).join('') + (plan.malformed?.wire ?? '') + plan.tail;
}

/** The body of Seal's error responses: the status, its reason and the code, never the client's bytes. */
export const ERROR_BODY = (status: number, code: string): RegExp => new RegExp(`^${status} [A-Za-z -]+: ${code}\\n$`);

// --- Decoding, independently of Seal --------------------------------------------------------------

const HEX2 = /^[0-9A-Fa-f]{2}$/;
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * WHATWG URL percent-decode (a "%" without two hex digits stays), then UTF-8 with U+FFFD, BOM
 * kept. `raw` holds one byte per character.
 */
export function decodePath(raw: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const escape = raw.slice(i + 1, i + 3);
    if (raw[i] === '%' && HEX2.test(escape)) {
      bytes.push(parseInt(escape, 16));
      i += 2;
    } else bytes.push(raw.charCodeAt(i));
  }
  return utf8.decode(Uint8Array.from(bytes));
}

/**
 * WHATWG URL §5.1 application/x-www-form-urlencoded parsing over bytes: split on "&" (empty
 * sequences skipped), then on the first "=", "+" as 0x20, percent-decode, UTF-8 decode without BOM;
 * every value a list, blank values kept. `text` holds one byte per character.
 *
 * Checked against URLSearchParams where that is right: Node 20's URLSearchParams reads a string's
 * non-ASCII characters as single bytes when decoding escapes ("%C3©" gives "é" where the standard
 * gives "\uFFFD©", as `new URL("http://x/?%C3%C2%A9").searchParams` does), so only ASCII input is
 * compared. URLSearchParams drops one leading "?" from a string, so one is put there for it to drop.
 */
export function urlencodedFields(text: string): FieldMap {
  const out = Object.create(null) as FieldMap;
  for (const sequence of text.split('&')) {
    if (sequence === '') continue;
    const eq = sequence.indexOf('=');
    const [name, value] = eq < 0 ? [sequence, ''] : [sequence.slice(0, eq), sequence.slice(eq + 1)];
    (out[decodeFormPart(name)] ??= []).push(decodeFormPart(value));
  }
  if (/^[\x00-\x7f]*$/.test(text)) {
    const reference = Object.create(null) as FieldMap;
    for (const [name, value] of new URLSearchParams(`?${text}`)) (reference[name] ??= []).push(value);
    if (JSON.stringify(Object.entries(reference)) !== JSON.stringify(Object.entries(out))) {
      throw new Error(`the model and URLSearchParams disagree on ${JSON.stringify(text)}`);
    }
  }
  return out;
}

function decodeFormPart(bytes: string): string {
  return decodePath(bytes.replaceAll('+', ' '));
}

export function splitTarget(target: string): { path: string; query: string } {
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q + 1) };
}
