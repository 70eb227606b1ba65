/**
 * Cookies over real sockets: a server reads the Cookie fields a raw client sends and answers
 * with several Set-Cookie field lines (never folded into one), and a handler that tries to set
 * a cookie with CR LF in it gets a 500 instead of a split response.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { clearCookie, cookiesOf, setCookie } from '../../src/http/cookies.js';
import { SealError } from '../../src/http/errors.js';
import { RawClient, cleanup, headerAll, header, startServer } from '../e2e/support.js';

afterEach(cleanup);

describe('cookies end to end', () => {
  it('reads every Cookie field in order and sets several cookies, one Set-Cookie line each', async () => {
    const { port } = await startServer({
      handler(request, response) {
        const cookies = cookiesOf(request);
        setCookie(response, 'session', 'abc123', { path: '/', httpOnly: true, sameSite: 'Lax' });
        setCookie(response, 'theme', 'dark', { maxAge: 3600 });
        clearCookie(response, 'old', { path: '/' });
        response.setHeader('Content-Type', 'application/json');
        response.end(JSON.stringify({ list: cookies.list, first: cookies.get('id'), all: cookies.getAll('id') }));
      },
    });
    const client = await RawClient.connect(port);
    client.write('GET / HTTP/1.1\r\nHost: x\r\nCookie: id=1; lang=en\r\nCookie: id=2; q="quoted"\r\n\r\n');
    const [response] = await client.responses(1);
    expect(response!.status).toBe(200);
    expect(headerAll(response!, 'set-cookie')).toEqual([
      'session=abc123; Path=/; HttpOnly; SameSite=Lax',
      'theme=dark; Max-Age=3600',
      'old=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/',
    ]);
    // Each its own field line, as RFC 6265 §3 requires (never joined with commas).
    expect(response!.raw.toString('latin1').match(/\r\nSet-Cookie: /g)).toHaveLength(3);
    expect(JSON.parse(response!.body.toString('utf8'))).toEqual({
      list: [
        { name: 'id', value: '1' },
        { name: 'lang', value: 'en' },
        { name: 'id', value: '2' },
        { name: 'q', value: 'quoted' },
      ],
      first: '1',
      all: ['1', '2'],
    });
  });

  it('a request without Cookie has none', async () => {
    const { port } = await startServer({
      handler(request, response) {
        response.end(String(cookiesOf(request).size));
      },
    });
    const client = await RawClient.connect(port);
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const [response] = await client.responses(1);
    expect(response!.body.toString()).toBe('0');
  });

  it('a value with CR LF throws before anything is set: 500, no injected field, the other cookies intact', async () => {
    const seen: unknown[] = [];
    const { port } = await startServer({
      onError: () => undefined,
      handler(_request, response) {
        setCookie(response, 'ok', '1');
        try {
          setCookie(response, 'evil', '1\r\nX-Injected: yes');
        } catch (error) {
          seen.push(error);
        }
        response.end('fine');
      },
    });
    const client = await RawClient.connect(port);
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const [response] = await client.responses(1);
    expect(seen[0]).toBeInstanceOf(SealError);
    expect(headerAll(response!, 'set-cookie')).toEqual(['ok=1']);
    expect(header(response!, 'x-injected')).toBeUndefined();
    expect(response!.body.toString()).toBe('fine');
  });

  it('an uncaught refusal is a 500, reported to onError as INVALID_RESPONSE_HEADER', async () => {
    const reported: unknown[] = [];
    const { port } = await startServer({
      onError: (error) => reported.push(error),
      handler(_request, response) {
        setCookie(response, 'bad name', 'x');
      },
    });
    const client = await RawClient.connect(port);
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const [response] = await client.responses(1);
    expect(response!.status).toBe(500);
    expect(headerAll(response!, 'set-cookie')).toEqual([]);
    expect(reported).toHaveLength(1);
    expect(reported[0]).toBeInstanceOf(SealError);
    expect((reported[0] as SealError).code).toBe('INVALID_RESPONSE_HEADER');
  });
});
