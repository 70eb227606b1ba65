/**
 * The response writer reuses the last head it built when a response is built from the same
 * status, fields, framing, persistence and Date. Whatever the order of responses, every head
 * must say exactly what its own response set: a stale head from the cache would show as a wrong
 * status, field, length or Connection line here.
 */
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Response, type ResponseChannel } from '../../src/http/response.js';
import { runs } from '../support/runs.js';
import { parseResponses } from '../e2e/support.js';

class RecordingChannel implements ResponseChannel {
  readonly writes: Buffer[] = [];
  constructor(
    readonly headRequest: boolean,
    readonly versionMinor: number,
    private readonly keepAliveAllowed: boolean,
  ) {}
  mayKeepAlive(): boolean {
    return this.keepAliveAllowed;
  }
  write(data: string | Uint8Array, encoding?: 'latin1' | 'utf8'): boolean {
    this.writes.push(typeof data === 'string' ? Buffer.from(data, encoding ?? 'utf8') : Buffer.from(data));
    return true;
  }
  writeMessage(head: string, body: string): void {
    this.write(head, 'latin1');
    this.write(body, 'utf8');
  }
  cork(): void {}
  uncork(): void {}
  drained(): Promise<void> {
    return Promise.resolve();
  }
  responseEndedWith(): void {}
  abort(reason: Error): void {
    throw reason;
  }
}

// Small pools, so that consecutive responses often share all but one detail.
const spec = fc.record({
  status: fc.constantFrom(200, 201, 404, 500),
  reason: fc.option(fc.constantFrom('Fine', 'Not Here'), { nil: undefined }),
  fields: fc.array(
    fc.tuple(fc.constantFrom('Content-Type', 'X-A', 'x-a', 'Cache-Control'), fc.constantFrom('text/plain', 'a', 'b', 'no-store')),
    { maxLength: 3 },
  ),
  body: fc.constantFrom('', 'Hello, World!', 'Hello, World?', 'é'),
  versionMinor: fc.constantFrom(0, 1),
  keepAliveAllowed: fc.boolean(),
  // The body copied into a fresh string, so the cache cannot lean on string identity.
  freshStrings: fc.boolean(),
});

describe('response heads built from a cache of the last one', () => {
  it('always carry their own status, reason, fields, Content-Length and Connection (RFC 9112 §4, §6.2, §9.3)', () => {
    fc.assert(
      fc.property(fc.array(spec, { minLength: 1, maxLength: 12 }), (specs) => {
        for (const s of specs) {
          const channel = new RecordingChannel(false, s.versionMinor, s.keepAliveAllowed);
          const response = new Response(channel);
          response.status = s.status;
          response.reason = s.reason;
          const copy = (text: string): string => (s.freshStrings ? [...text].join('') : text);
          for (const [name, value] of s.fields) response.appendHeader(copy(name), copy(value));
          response.end(s.body);

          const { responses, rest } = parseResponses(Buffer.concat(channel.writes));
          expect(rest.length).toBe(0);
          expect(responses).toHaveLength(1);
          const got = responses[0]!;
          expect(got.status).toBe(s.status);
          if (s.reason !== undefined) expect(got.reason).toBe(s.reason);
          expect(got.body.toString('utf8')).toBe(s.body);
          const fields = got.headers.filter(([n]) => !['date', 'content-length', 'connection'].includes(n.toLowerCase()));
          expect(fields).toEqual(s.fields);
          const lengths = got.headers.filter(([n]) => n.toLowerCase() === 'content-length').map(([, v]) => v);
          expect(lengths).toEqual([String(Buffer.byteLength(s.body))]);
          const connection = got.headers.filter(([n]) => n.toLowerCase() === 'connection').map(([, v]) => v);
          expect(connection).toEqual(!s.keepAliveAllowed ? ['close'] : s.versionMinor === 0 ? ['keep-alive'] : []);
          expect(got.headers.filter(([n]) => n.toLowerCase() === 'date')).toHaveLength(1);
        }
      }),
      { numRuns: runs(300) },
    );
  });
});
