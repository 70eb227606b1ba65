/**
 * redirect(): every redirecting status of RFC 9110 §15.4 over real sockets, `Location` checked
 * (no CR/LF: no response splitting) and percent-encoded where a URI cannot hold a character,
 * `Content-Length: 0`, and HEAD.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SealError } from '../../src/http/errors.js';
import type { Handler } from '../../src/http/options.js';
import { REDIRECT_STATUSES, encodeLocation, redirect, type RedirectStatus } from '../../src/http/redirect.js';
import { RawClient, cleanup, header, startServer, type HttpResponse } from '../e2e/support.js';

afterEach(cleanup);

async function ask(handler: Handler, request = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', head = false): Promise<HttpResponse> {
  const { port } = await startServer({ handler, onError: () => undefined });
  const client = await RawClient.connect(port);
  client.write(request);
  const [response] = await client.responses(1, 5_000, () => head);
  return response!;
}

describe('redirect (RFC 9110 §15.4)', () => {
  it.each<[RedirectStatus, string]>([
    [301, 'HTTP/1.1 301 Moved Permanently'],
    [302, 'HTTP/1.1 302 Found'],
    [303, 'HTTP/1.1 303 See Other'],
    [307, 'HTTP/1.1 307 Temporary Redirect'],
    [308, 'HTTP/1.1 308 Permanent Redirect'],
  ])('%i: status line, Location and Content-Length: 0', async (status, statusLine) => {
    const response = await ask((_request, res) => redirect(res, '/elsewhere?x=1', status));
    expect(response.raw.toString('latin1').split('\r\n')[0]).toBe(statusLine);
    expect(header(response, 'location')).toBe('/elsewhere?x=1');
    expect(header(response, 'content-length')).toBe('0');
    expect(response.body.length).toBe(0);
  });

  it('is 303 See Other by default', async () => {
    const response = await ask((_request, res) => redirect(res, 'https://example.com/done'));
    expect(response.status).toBe(303);
    expect(header(response, 'location')).toBe('https://example.com/done');
  });

  it('answers HEAD with the same fields and no content', async () => {
    const response = await ask((_request, res) => redirect(res, '/x', 308), 'HEAD / HTTP/1.1\r\nHost: x\r\n\r\n', true);
    expect(response.status).toBe(308);
    expect(header(response, 'location')).toBe('/x');
    expect(header(response, 'content-length')).toBe('0');
  });

  it('keeps the connection: a second request on it is answered', async () => {
    const { port } = await startServer({ handler: (request, res) => redirect(res, `${request.path}/`, 301) });
    const client = await RawClient.connect(port);
    client.write('GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n');
    const responses = await client.responses(2);
    expect(responses.map((r) => header(r, 'location'))).toEqual(['/a/', '/b/']);
  });

  it('refuses a Location with CR or LF: the handler gets a SealError, the client a 500 without the injected field', async () => {
    const caught: unknown[] = [];
    const response = await ask((_request, res) => {
      try {
        redirect(res, '/ok\r\nSet-Cookie: evil=1');
      } catch (error) {
        caught.push(error);
        throw error;
      }
    });
    expect(caught[0]).toBeInstanceOf(SealError);
    expect(response.status).toBe(500);
    expect(header(response, 'set-cookie')).toBeUndefined();
    expect(header(response, 'location')).toBeUndefined();
    expect(response.raw.toString('latin1')).not.toContain('evil');
  });

  it('refuses a status that is not a redirect, before changing anything', async () => {
    const response = await ask((_request, res) => {
      expect(() => redirect(res, '/x', 200 as RedirectStatus)).toThrow(SealError);
      expect(() => redirect(res, '/x', 304 as RedirectStatus)).toThrow(SealError);
      expect(() => redirect(res, '', 302)).toThrow(SealError);
      res.end('still 200');
    });
    expect(response.status).toBe(200);
    expect(header(response, 'location')).toBeUndefined();
    expect(response.body.toString()).toBe('still 200');
  });

  it('percent-encodes what a URI cannot hold, as UTF-8', async () => {
    const response = await ask((_request, res) => redirect(res, '/files/café au lait.txt?q=a b', 302));
    expect(header(response, 'location')).toBe('/files/caf%C3%A9%20au%20lait.txt?q=a%20b');
  });

  it('lists exactly the five redirecting statuses', () => {
    expect([...REDIRECT_STATUSES]).toEqual([301, 302, 303, 307, 308]);
  });
});

describe('encodeLocation', () => {
  it.each([
    ['/a/b?c=d#e', '/a/b?c=d#e'],
    ['/already%20encoded', '/already%20encoded'],
    ["/sub-delims!$&'()*+,;=:@", "/sub-delims!$&'()*+,;=:@"],
    ['/<>"{}|\\^`', '/%3C%3E%22%7B%7D%7C%5C%5E%60'],
    ['/日本', '/%E6%97%A5%E6%9C%AC'],
    ['/😀', '/%F0%9F%98%80'],
    ['http://[::1]:8080/x', 'http://[::1]:8080/x'],
  ])('%j → %j', (location, encoded) => {
    expect(encodeLocation(location)).toBe(encoded);
  });

  it('refuses every control character and lone surrogates', () => {
    for (let c = 0; c < 0x20; c++) expect(() => encodeLocation(`/a${String.fromCharCode(c)}b`), `0x${c.toString(16)}`).toThrow(SealError);
    expect(() => encodeLocation('/a\x7fb')).toThrow(SealError);
    expect(() => encodeLocation('/a\ud800b')).toThrow(SealError);
    expect(() => encodeLocation('/a\udc00')).toThrow(SealError);
    expect(() => encodeLocation('')).toThrow(SealError);
  });
});
