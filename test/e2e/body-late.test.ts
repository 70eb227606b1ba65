/**
 * A request body read late: the handler first waits (for a timer, or for the client to go), then
 * reads. The body stream is made only when a handler asks for it, so what the connection saw
 * before that (the end of the body, the connection closing) must still be what the reader gets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, SealError } from '../../src/http/errors.js';
import type { Request } from '../../src/http/request.js';
import { cleanup, RawClient, sleep, startServer, within } from './support.js';

afterEach(cleanup);

describe('a body read after the handler waited', () => {
  it.each([
    ['an empty chunked body, ended before anyone asked (RFC 9112 §7.1)', 'Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n', ''],
    ['a whole Content-Length body that arrived while the handler waited', 'Content-Length: 5\r\n\r\nhello', 'hello'],
  ])('%s is read in full', async (_what, rest, body) => {
    const { port } = await startServer({
      handler: async (req, res) => {
        await sleep(30);
        res.end(`[${await req.text()}]`);
      },
    });
    const client = await RawClient.connect(port);
    client.write(`POST /x HTTP/1.1\r\nHost: a\r\n${rest}`);
    const [response] = await client.responses(1);
    expect(response!.status).toBe(200);
    expect(response!.body.toString()).toBe(`[${body}]`);
  });

  it('a Content-Length body whose client closed before sending it rejects with INCOMPLETE_MESSAGE (RFC 9112 §8)', async () => {
    let failure: unknown;
    let readRequest: Request | undefined;
    const done = new Promise<void>((resolve) => {
      void startServer({
        onError: () => {},
        handler: async (req) => {
          readRequest = req;
          // Read only after the client has gone (it closes 30 ms in): nothing of the body came.
          await sleep(150);
          try {
            await req.bytes();
          } catch (error) {
            failure = error;
          }
          resolve();
        },
      }).then(async ({ port }) => {
        const client = await RawClient.connect(port);
        client.write('POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n');
        await sleep(30);
        client.destroy();
      });
    });
    await within(done, 3_000, 'the handler to read the body');
    expect(readRequest).toBeDefined();
    expect(failure).toBeInstanceOf(SealError);
    expect((failure as SealError).code).toBe(ErrorCode.INCOMPLETE_MESSAGE);
  });
});
