/**
 * Helpers for the `seal serve --workers N` tests: requests on fresh loopback connections that
 * answer with the pid of the worker that served them (test/fixtures/apps/pid-app.mjs), and a
 * bounded load loop that counts every failed request.
 */
import * as net from 'node:net';
import { expect } from 'vitest';
import { parseRawResponse, waitFor, within, type SealProcess } from '../support/seal-process.js';

export const PID_APP = 'test/fixtures/apps/pid-app.mjs';

/** How long one request on a fresh connection may take. */
const REQUEST_TIMEOUT_MS = 5_000;

/**
 * One GET on a new connection (`Connection: close`), answered by the fixture with the serving
 * pid. Rejects on a refused or reset connection, a timeout, or anything but `200` with a pid.
 */
export function requestPid(port: number, path = '/'): Promise<number> {
  const socket = net.connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  return within(
    new Promise<number>((resolve, reject) => {
      socket.on('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', reject);
      socket.on('close', () => {
        const raw = Buffer.concat(chunks);
        try {
          const response = parseRawResponse(raw);
          const pid = Number(response.body.toString('latin1'));
          if (response.statusLine !== 'HTTP/1.1 200 OK' || !Number.isInteger(pid) || pid <= 0) throw new Error(`unexpected response ${JSON.stringify(raw.toString('latin1'))}`);
          resolve(pid);
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    }),
    REQUEST_TIMEOUT_MS,
    `GET ${path} on 127.0.0.1:${port}`,
  ).finally(() => socket.destroy());
}

/** Requests (one at a time) until `count` different pids answered; bounded. */
export async function distinctPids(port: number, count: number, ms = 5_000): Promise<Set<number>> {
  const pids = new Set<number>();
  const deadline = Date.now() + ms;
  while (pids.size < count) {
    if (Date.now() > deadline) throw new Error(`only pids ${[...pids].join(', ')} answered within ${ms} ms; expected ${count} different ones`);
    pids.add(await requestPid(port));
  }
  return pids;
}

export interface LoadResult {
  /** Every pid that answered, with the time (ms since the start) of its last answer. */
  lastSeen: Map<number, number>;
  ok: number;
  failures: string[];
}

/**
 * `clients` loops, each sending requests on fresh connections one after the other until `until()`
 * holds (or `maxMs` passed), recording every answer and every failure.
 */
export async function loadUntil(port: number, clients: number, until: () => boolean, maxMs: number): Promise<LoadResult> {
  const result: LoadResult = { lastSeen: new Map(), ok: 0, failures: [] };
  const started = Date.now();
  const client = async (): Promise<void> => {
    while (!until() && Date.now() - started < maxMs) {
      try {
        const pid = await requestPid(port);
        result.lastSeen.set(pid, Date.now() - started);
        result.ok++;
      } catch (error) {
        result.failures.push((error as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return result;
}

/** Waits (bounded) until stderr matches `pattern`; returns the match. */
export async function waitForStderr(seal: SealProcess, pattern: RegExp, what: string, ms = 5_000): Promise<RegExpExecArray> {
  try {
    await waitFor(() => pattern.test(seal.stderr()), ms, what);
  } catch (error) {
    throw new Error(`${(error as Error).message}\nstdout: ${seal.stdout()}\nstderr: ${seal.stderr()}`);
  }
  return pattern.exec(seal.stderr())!;
}

/** The `listening on` lines, each exactly once and nothing else on stdout (with --quiet). */
export function expectListeningLinesOnce(seal: SealProcess, schemes: ('http' | 'https')[]): void {
  const ports = { http: seal.port, https: seal.tlsPort };
  expect(seal.stdout()).toBe(schemes.map((scheme) => `listening on ${scheme}://127.0.0.1:${ports[scheme]}\n`).join(''));
}
