/**
 * Status lines (kept beside the redirect tests, which rely on them): src/http/status.ts holds
 * every status code RFC 9110 §15 defines with its reason phrase, and each final one goes out on
 * the wire as `HTTP/1.1 NNN Phrase` — checked over a real socket, every code on one connection.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { REASON_PHRASES, reasonPhrase, statusHasBody } from '../../src/http/status.js';
import { RawClient, cleanup, header, startServer } from '../e2e/support.js';

afterEach(cleanup);

/** RFC 9110 §15, in the order of its sections (§15.2.1 … §15.6.6), copied from the RFC's headings. */
const RFC_9110: [number, string][] = [
  [100, 'Continue'],
  [101, 'Switching Protocols'],
  [200, 'OK'],
  [201, 'Created'],
  [202, 'Accepted'],
  [203, 'Non-Authoritative Information'],
  [204, 'No Content'],
  [205, 'Reset Content'],
  [206, 'Partial Content'],
  [300, 'Multiple Choices'],
  [301, 'Moved Permanently'],
  [302, 'Found'],
  [303, 'See Other'],
  [304, 'Not Modified'],
  [305, 'Use Proxy'],
  [307, 'Temporary Redirect'],
  [308, 'Permanent Redirect'],
  [400, 'Bad Request'],
  [401, 'Unauthorized'],
  [402, 'Payment Required'],
  [403, 'Forbidden'],
  [404, 'Not Found'],
  [405, 'Method Not Allowed'],
  [406, 'Not Acceptable'],
  [407, 'Proxy Authentication Required'],
  [408, 'Request Timeout'],
  [409, 'Conflict'],
  [410, 'Gone'],
  [411, 'Length Required'],
  [412, 'Precondition Failed'],
  [413, 'Content Too Large'],
  [414, 'URI Too Long'],
  [415, 'Unsupported Media Type'],
  [416, 'Range Not Satisfiable'],
  [417, 'Expectation Failed'],
  [421, 'Misdirected Request'],
  [422, 'Unprocessable Content'],
  [426, 'Upgrade Required'],
  [500, 'Internal Server Error'],
  [501, 'Not Implemented'],
  [502, 'Bad Gateway'],
  [503, 'Service Unavailable'],
  [504, 'Gateway Timeout'],
  [505, 'HTTP Version Not Supported'],
];

/** RFC 9110 §15.4.7 and §15.5.19: "(Unused)", reserved, with no phrase to send. */
const UNUSED = [306, 418];

/** Registered elsewhere and kept in the table: RFC 8297 (103), RFC 6585 (428, 429, 431). */
const OTHERS: [number, string][] = [
  [103, 'Early Hints'],
  [428, 'Precondition Required'],
  [429, 'Too Many Requests'],
  [431, 'Request Header Fields Too Large'],
];

describe('reason phrases (RFC 9110 §15)', () => {
  it('has every status code RFC 9110 defines, with its phrase', () => {
    for (const [code, phrase] of RFC_9110) expect(REASON_PHRASES[code], String(code)).toBe(phrase);
  });

  it('has nothing else but the codes registered by RFC 8297 and RFC 6585', () => {
    const known = new Set([...RFC_9110, ...OTHERS].map(([code]) => code));
    for (const code of Object.keys(REASON_PHRASES).map(Number)) expect(known.has(code), String(code)).toBe(true);
    for (const [code, phrase] of OTHERS) expect(REASON_PHRASES[code]).toBe(phrase);
  });

  it('gives the unused codes and unknown ones their class phrase (§15: the phrase is advisory)', () => {
    for (const code of UNUSED) expect(REASON_PHRASES[code]).toBeUndefined();
    expect(reasonPhrase(306)).toBe('Redirection');
    expect(reasonPhrase(418)).toBe('Client Error');
    expect(reasonPhrase(299)).toBe('Success');
    expect(reasonPhrase(599)).toBe('Server Error');
  });

  it('1xx, 204 and 304 carry no content (§6.4.1), nor 205 (§15.3.6)', () => {
    for (const [code] of RFC_9110) expect(statusHasBody(code), String(code)).toBe(!(code < 200 || code === 204 || code === 205 || code === 304));
  });
});

describe('status lines on the wire', () => {
  it('every final status of RFC 9110 goes out as "HTTP/1.1 NNN Phrase", pipelined on one connection', async () => {
    const finals = [...RFC_9110, ...OTHERS].filter(([code]) => code >= 200);
    const { port } = await startServer({
      handler(request, response) {
        response.status = Number(request.path.slice(1));
        // The writer drops content where the status has none (204, 205, 304).
        response.end(statusHasBody(response.status) ? 'x' : undefined);
      },
    });
    const client = await RawClient.connect(port);
    client.write(finals.map(([code]) => `GET /${code} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''));
    const responses = await client.responses(finals.length);
    expect(responses.map((r) => r.raw.toString('latin1').split('\r\n')[0])).toEqual(finals.map(([code, phrase]) => `HTTP/1.1 ${code} ${phrase}`));
    for (const response of responses) {
      const none = response.status === 204 || response.status === 304;
      expect(response.body.toString(), String(response.status)).toBe(none || response.status === 205 ? '' : 'x');
      if (none) expect(header(response, 'content-length'), String(response.status)).toBeUndefined();
      if (response.status === 205) expect(header(response, 'content-length')).toBe('0');
    }
  });

  it('a status without a phrase of its own gets its class phrase on the wire', async () => {
    const { port } = await startServer({
      handler(_request, response) {
        response.status = 418;
        response.end();
      },
    });
    const client = await RawClient.connect(port);
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const [response] = await client.responses(1);
    expect(response!.raw.toString('latin1').split('\r\n')[0]).toBe('HTTP/1.1 418 Client Error');
  });

  it('100 Continue leaves with its phrase before the final status', async () => {
    const { port } = await startServer({
      async handler(request, response) {
        await request.text();
        response.end('got it');
      },
    });
    const client = await RawClient.connect(port);
    client.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n');
    await client.until(() => client.text().includes('\r\n\r\n'), 5_000, '100 Continue');
    expect(client.text()).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    client.write('hi');
    const responses = await client.responses(2);
    expect(responses[1]!.raw.toString('latin1').split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
  });
});
