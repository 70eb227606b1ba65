/**
 * Before any timing, each server must prove it answers what the scenarios send, so that a broken
 * server cannot "win": a one-off fetch (GET, and POST with the 64 KiB body), then the bytes of a
 * pipelined batch and of two pipelined POSTs over one raw socket, each of which must get exactly
 * one complete hello-world response per request.
 */
import net from 'node:net';
import { PIPELINE_DEPTH, POST_BODY_BYTES } from './load-wrk.js';

const HELLO = 'Hello, World!';
const CHECK_TIMEOUT_MS = 5_000;

/** Throws unless `response` is the benchmark's hello-world response. */
async function expectHello(response, what) {
  const problems = [];
  if (response.status !== 200) problems.push(`status ${response.status}`);
  const type = response.headers.get('content-type');
  if (type !== 'text/plain;charset=utf-8') problems.push(`Content-Type ${type}`);
  const length = response.headers.get('content-length');
  if (length !== '13') problems.push(`Content-Length ${length}`);
  if (!response.headers.has('date')) problems.push('no Date');
  const body = await response.text();
  if (body !== HELLO) problems.push(`body ${JSON.stringify(body.slice(0, 40))}`);
  if (problems.length > 0) throw new Error(`${what}: ${problems.join(', ')}`);
}

/**
 * Writes `bytes` on a fresh connection and resolves once `count` complete responses came back,
 * each `200` with a 13-byte hello body; rejects on anything else or after a timeout.
 */
function expectResponses(url, bytes, count, what) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let received = '';
    const fail = (reason) => {
      socket.destroy();
      reject(new Error(`${what}: ${reason}`));
    };
    const timer = setTimeout(() => fail(`${countResponses(received)} of ${count} responses in ${CHECK_TIMEOUT_MS} ms`), CHECK_TIMEOUT_MS);
    socket.on('connect', () => socket.write(bytes));
    socket.on('error', (error) => fail(error.message));
    socket.setEncoding('latin1').on('data', (text) => {
      received += text;
      const got = countResponses(received);
      if (got === -1) {
        clearTimeout(timer);
        fail(`unexpected response ${JSON.stringify(received.slice(0, 200))}`);
      } else if (got === count) {
        clearTimeout(timer);
        socket.destroy();
        resolve();
      }
    });
  });
}

/** Complete hello-world responses at the start of `text`; -1 when something else is there. */
function countResponses(text) {
  let count = 0;
  let pos = 0;
  for (;;) {
    const headEnd = text.indexOf('\r\n\r\n', pos);
    if (headEnd === -1) return text.length - pos > 8192 ? -1 : count;
    const head = text.slice(pos, headEnd);
    if (!head.startsWith('HTTP/1.1 200 OK\r\n') || !/\r\ncontent-length: *13\r?(\n|$)/i.test(head)) return -1;
    const body = text.slice(headEnd + 4, headEnd + 4 + HELLO.length);
    if (body.length < HELLO.length) return count;
    if (body !== HELLO) return -1;
    count++;
    pos = headEnd + 4 + HELLO.length;
  }
}

function request(method, host, body = '') {
  const framing = method === 'POST' ? `Content-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n` : '';
  return `${method} / HTTP/1.1\r\nHost: ${host}\r\n${framing}\r\n${body}`;
}

/** Resolves when the server at `url` answers every scenario's requests correctly. */
export async function checkServer(url) {
  const { host } = new URL(url);
  const postBody = 'a'.repeat(POST_BODY_BYTES);
  await expectHello(await fetch(url), 'GET');
  await expectHello(await fetch(url, { method: 'POST', body: postBody }), 'POST 64 KiB');
  await expectResponses(url, request('GET', host).repeat(PIPELINE_DEPTH), PIPELINE_DEPTH, `${PIPELINE_DEPTH} pipelined GETs`);
  await expectResponses(url, request('POST', host, postBody).repeat(2), 2, '2 pipelined POSTs of 64 KiB');
}
