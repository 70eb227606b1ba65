/**
 * RequestBody on its own: the iterator the connection loop feeds (chunks in order, a wait for the
 * next one, backpressure through the source, an error after some chunks, `break`, a second read).
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { BODY_HIGH_WATER_MARK, RequestBody, type BodySource } from '../../src/http/body.js';
import { ErrorCode, SealError } from '../../src/http/errors.js';

function source(): BodySource & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    startReading: () => void calls.push('start'),
    resume: () => void calls.push('resume'),
    abandon: () => void calls.push('abandon'),
  };
}

const chunk = (text: string): Buffer => Buffer.from(text, 'latin1');

describe('RequestBody', () => {
  it('yields queued chunks in order, waits for the next, ends; starts reading on the first next()', async () => {
    const src = source();
    const body = new RequestBody(src, -1);
    body.push(chunk('ab'));
    const iterator = body[Symbol.asyncIterator]();
    expect(src.calls).toEqual([]);
    expect(await iterator.next()).toEqual({ value: chunk('ab'), done: false });
    expect(src.calls[0]).toBe('start');
    const pending = iterator.next();
    body.push(chunk('cd'));
    expect(await pending).toEqual({ value: chunk('cd'), done: false });
    const last = iterator.next();
    body.end();
    expect(await last).toEqual({ value: undefined, done: true });
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('the same chunks whole, then the error, when the body fails after some of them', async () => {
    const body = new RequestBody(source(), -1);
    body.push(chunk('one'));
    const seen: string[] = [];
    const reading = (async () => {
      for await (const c of body) seen.push(c.toString('latin1'));
    })();
    await new Promise((resolve) => setImmediate(resolve));
    body.fail(new SealError(ErrorCode.INCOMPLETE_MESSAGE, 'cut'));
    await expect(reading).rejects.toMatchObject({ code: ErrorCode.INCOMPLETE_MESSAGE });
    expect(seen).toEqual(['one']);
  });

  it('asks the source to resume once the queue drains below the high-water mark', async () => {
    const src = source();
    const body = new RequestBody(src, -1);
    expect(body.push(Buffer.alloc(BODY_HIGH_WATER_MARK))).toBe(false);
    expect(body.push(Buffer.alloc(1))).toBe(true);
    const iterator = body[Symbol.asyncIterator]();
    await iterator.next();
    expect(src.calls).toEqual(['start', 'resume']);
  });

  it('after break the body is done: a second read is refused', async () => {
    const body = new RequestBody(source(), -1);
    body.push(chunk('x'));
    body.push(chunk('y'));
    for await (const _c of body) break;
    await expect(
      (async () => {
        for await (const _c of body);
      })(),
    ).rejects.toMatchObject({ code: ErrorCode.HANDLER_FAILED });
  });
});
