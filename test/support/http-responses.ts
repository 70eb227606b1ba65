/**
 * A small, strict reader of HTTP/1.1 responses from a raw socket, for tests that pipeline requests
 * and check each answer in turn. It collects whatever arrives from the moment it is attached, so
 * nothing is lost between reads, and every read is bounded: a server that hangs fails the test
 * with a message saying what was awaited and what had arrived.
 *
 * Strict means: a status line `HTTP/1.x NNN reason`, field lines `token ":" OWS value OWS` ending
 * in CRLF, and a body framed by Content-Length or chunked (RFC 9112 §6.3), never both; anything
 * else is an error naming the bytes. A response to HEAD, a 1xx, 204 and 304 have no body.
 */
import type { Socket } from 'node:net';

export interface HttpResponse {
  version: string;
  status: number;
  reason: string;
  /** Field lines in the order received, names as received, values without surrounding OWS. */
  fields: [string, string][];
  /** Every value of a field, by name in any case. */
  all(name: string): string[];
  /** The only value of a field (undefined when absent); throws when the field is repeated. */
  header(name: string): string | undefined;
  body: Buffer;
  /** The response exactly as received. */
  raw: Buffer;
}

const STATUS_LINE = /^HTTP\/(1\.[01]) ([1-5][0-9]{2}) ([\t !-~\x80-\xff]*)$/;
const FIELD_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([\t !-~\x80-\xff]*?)[ \t]*$/;
const DIGITS = /^[0-9]+$/;
const CHUNK_SIZE = /^([0-9A-Fa-f]+)(;[^\r\n]*)?$/;

class Incomplete {}
const INCOMPLETE = new Incomplete();

export class ResponseReader {
  private data: Buffer = Buffer.alloc(0);
  private closed = false;
  private error: Error | undefined;
  private wake: (() => void) | null = null;

  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.data = this.data.length === 0 ? chunk : Buffer.concat([this.data, chunk]);
      this.notify();
    });
    socket.on('error', (error: Error) => (this.error = error));
    socket.once('close', () => {
      this.closed = true;
      this.notify();
    });
  }

  /** What has arrived and not been read yet. */
  get pending(): Buffer {
    return this.data;
  }

  /**
   * The next response, whole; `head` says it answers a HEAD request. Fails when the connection
   * closes before the response is complete, when the bytes are not a response, or after `ms`.
   */
  async next(head: boolean, ms: number, what: string): Promise<HttpResponse> {
    const deadline = Date.now() + ms;
    for (;;) {
      const parsed = parseResponse(this.data, head);
      if (parsed !== INCOMPLETE) {
        const response = parsed as HttpResponse;
        this.data = this.data.subarray(response.raw.length);
        return response;
      }
      if (this.closed) {
        throw new Error(`connection closed before ${what}${this.error ? ` (${this.error.message})` : ''}; unread: ${show(this.data)}`);
      }
      await this.more(deadline, what);
    }
  }

  /** Waits (bounded) until the server closes the connection, and returns what arrived unread. */
  async end(ms: number, what: string): Promise<{ rest: Buffer; error: Error | undefined }> {
    const deadline = Date.now() + ms;
    while (!this.closed) await this.more(deadline, what);
    return { rest: this.data, error: this.error };
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private more(deadline: number, what: string): Promise<void> {
    const left = deadline - Date.now();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.wake = null;
        reject(new Error(`timed out waiting for ${what}; unread: ${show(this.data)}`));
      }, Math.max(0, left));
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

export function show(data: Buffer, max = 400): string {
  const text = data.toString('latin1');
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…(${text.length} bytes)` : text);
}

function fail(message: string, data: Buffer): never {
  throw new Error(`malformed response: ${message} in ${show(data)}`);
}

/** One response from the start of `data`, or INCOMPLETE. Throws on bytes that are not a response. */
function parseResponse(data: Buffer, head: boolean): HttpResponse | Incomplete {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) {
    // Fail early on bytes that cannot start a response, rather than waiting for the deadline.
    const start = data.subarray(0, 7).toString('latin1');
    if (!'HTTP/1.'.startsWith(start)) fail('not a status line', data);
    return INCOMPLETE;
  }
  const [statusLine = '', ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const status = STATUS_LINE.exec(statusLine);
  if (status === null) fail(`status line ${JSON.stringify(statusLine)}`, data);
  const fields: [string, string][] = lines.map((line) => {
    const match = FIELD_LINE.exec(line);
    if (match === null) fail(`field line ${JSON.stringify(line)}`, data);
    return [match[1]!, match[2]!];
  });
  const all = (name: string): string[] => fields.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
  const header = (name: string): string | undefined => {
    const values = all(name);
    if (values.length > 1) throw new Error(`${name} repeated in a response: ${JSON.stringify(values)}`);
    return values[0];
  };
  const code = Number(status[2]);
  const bodyStart = end + 4;
  const response = (bodyEnd: number, body: Buffer): HttpResponse => ({
    version: status[1]!,
    status: code,
    reason: status[3]!,
    fields,
    all,
    header,
    body,
    raw: data.subarray(0, bodyEnd),
  });

  const length = header('content-length');
  const coding = header('transfer-encoding');
  if (length !== undefined && coding !== undefined) fail('both Content-Length and Transfer-Encoding', data);
  if (length !== undefined && !DIGITS.test(length)) fail(`Content-Length ${JSON.stringify(length)}`, data);
  if (head || code < 200 || code === 204 || code === 304) return response(bodyStart, Buffer.alloc(0));
  if (length !== undefined) {
    const bodyEnd = bodyStart + Number(length);
    return data.length < bodyEnd ? INCOMPLETE : response(bodyEnd, data.subarray(bodyStart, bodyEnd));
  }
  if (coding === undefined) fail('a body without Content-Length or Transfer-Encoding (this reader wants framed bodies)', data);
  if (coding.toLowerCase() !== 'chunked') fail(`Transfer-Encoding ${JSON.stringify(coding)}`, data);
  const pieces: Buffer[] = [];
  let p = bodyStart;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', p);
    if (lineEnd < 0) return INCOMPLETE;
    const size = CHUNK_SIZE.exec(data.subarray(p, lineEnd).toString('latin1'));
    if (size === null) fail('chunk-size line', data);
    const n = parseInt(size[1]!, 16);
    p = lineEnd + 2;
    if (n === 0) break;
    if (data.length < p + n + 2) return INCOMPLETE;
    pieces.push(data.subarray(p, p + n));
    if (data[p + n] !== 0x0d || data[p + n + 1] !== 0x0a) fail('chunk not followed by CRLF', data);
    p += n + 2;
  }
  // Trailer fields, then the final CRLF.
  for (;;) {
    const lineEnd = data.indexOf('\r\n', p);
    if (lineEnd < 0) return INCOMPLETE;
    const line = data.subarray(p, lineEnd).toString('latin1');
    p = lineEnd + 2;
    if (line === '') break;
    if (!FIELD_LINE.test(line)) fail(`trailer line ${JSON.stringify(line)}`, data);
  }
  return response(p, Buffer.concat(pieces));
}
