/**
 * Live fuzzing of the `echo` app (issue 8 §3): generated request streams, split at random points,
 * with random small delays, several connections interleaved, sent to a running server; every
 * answer is checked against the model in test/support/echo-model.ts:
 * - a valid request gets exactly its echo (status 200, the JSON the model computes, HEAD without
 *   a body), in order;
 * - a malformed request gets its status and error code with `Connection: close`, and then the
 *   connection closes: nothing sent after it is answered;
 * - a valid request that ends the connection (close, or 1.0 without keep-alive) is the last answered;
 * - the server is alive afterwards: a fresh request gets its echo, and the process has not exited.
 *
 * Once against the real `seal serve --app echo` process, once against an in-process server,
 * where the error hook must also have seen exactly the parser's errors.
 *
 * A failure prints fast-check's seed and path; SEAL_FUZZ_SEED=<seed> SEAL_FUZZ_PATH=<path>
 * replays it (and its shrinking) alone.
 */
import type { Socket } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echo } from '../../src/apps/echo.js';
import { SealError } from '../../src/http/errors.js';
import { serve, type HttpServer } from '../../src/http/server.js';
import { ERROR_BODY, expectedAnswers, wireOf, type ConnectionPlan, type MalformedRequest, type ValidRequest } from '../support/echo-model.js';
import { ResponseReader, show, type HttpResponse } from '../support/http-responses.js';
import { connectionPlanArb } from '../support/malformed-requests.js';
import { runs } from '../support/runs.js';
import { connect, sleep, startSeal, type SealProcess } from '../support/seal-process.js';
import { validRequestArb } from '../support/valid-requests.js';

/** Small, so that a body over the limit is cheap to send; every valid body is far below it. */
const MAX_BODY_BYTES = 4096;
/**
 * In process, bodies are up to 200 KiB now and then: several socket reads, and more than the
 * 64 KiB a body consumer may fall behind by.
 */
const IN_PROCESS_MAX_BODY_BYTES = 256 * 1024;
const BIG_BODY_BYTES = 200 * 1024;
/** How long one response, or the close after the last one, may take. */
const READ_MS = 3_000;
/** An upper bound on the small delays between writes, per run. */
const MAX_DELAY_MS = 30;

/**
 * Each property's own time budget, scaled as its runs are (`npm run fuzz`): it stops early, and
 * passes, rather than outlive vitest's timeout on a slow machine.
 */
const TIME_LIMIT_MS = runs(12_000);
const replay = process.env.SEAL_FUZZ_SEED === undefined ? {} : { seed: Number(process.env.SEAL_FUZZ_SEED), path: process.env.SEAL_FUZZ_PATH };

// --- How the bytes are sent ------------------------------------------------------------------------

interface Schedule {
  /** Cut points per connection, taken modulo its length; or 'bytes': one byte per write. */
  cuts: (number[] | 'bytes')[];
  /** Which connection writes next: taken modulo the connections still writing. */
  order: number[];
  /** Delay before each write, in ms (cycled); 0 yields to the event loop only. */
  delays: number[];
}

const scheduleArb = (connections: number): fc.Arbitrary<Schedule> =>
  fc.record({
    cuts: fc.array(
      fc.oneof({ arbitrary: fc.array(fc.nat(), { maxLength: 10 }), weight: 9 }, { arbitrary: fc.constant('bytes' as const), weight: 1 }),
      { minLength: connections, maxLength: connections },
    ),
    order: fc.array(fc.nat(), { maxLength: 40 }),
    delays: fc.array(fc.constantFrom(0, 0, 0, 0, 0, 1, 2, 5), { minLength: 1, maxLength: 8 }),
  });

/** Streams longer than this are not sent one byte at a time (it would take too long). */
const MAX_BYTEWISE = 2048;

function split(wire: string, how: readonly number[] | 'bytes'): Buffer[] {
  const cuts = how !== 'bytes' ? how : wire.length <= MAX_BYTEWISE ? Array.from(wire, (_, i) => i) : Array.from({ length: 32 }, (_, i) => Math.floor((i * wire.length) / 32));
  const at = [...new Set(cuts.map((c) => c % Math.max(1, wire.length)))].filter((c) => c > 0).sort((a, b) => a - b);
  return [0, ...at].map((from, i) => Buffer.from(wire.slice(from, at[i] ?? wire.length), 'latin1')).filter((b) => b.length > 0);
}

interface Live {
  plan: ConnectionPlan;
  socket: Socket;
  reader: ResponseReader;
  /** The socket's local port, taken while connected (a closed socket no longer says). */
  clientPort: number;
  chunks: Buffer[];
  /** For failure messages: which connection of the run. */
  name: string;
}

/** Writes every connection's chunks, interleaved in the schedule's order; then half-closes each. */
async function sendAll(live: Live[], schedule: Schedule): Promise<void> {
  const writing = live.filter((l) => l.chunks.length > 0);
  for (const l of live) if (l.chunks.length === 0) l.socket.end();
  let step = 0;
  let delayed = 0;
  while (writing.length > 0) {
    const pick = schedule.order[step] ?? step;
    const index = pick % writing.length;
    const l = writing[index]!;
    l.socket.write(l.chunks.shift()!);
    if (l.chunks.length === 0) {
      // Every request is sent: the FIN says so, and the server closes once it has answered.
      l.socket.end();
      writing.splice(index, 1);
    }
    const delay = schedule.delays[step % schedule.delays.length]!;
    step++;
    if (delay > 0 && delayed + delay <= MAX_DELAY_MS) {
      delayed += delay;
      await sleep(delay);
    } else await new Promise((resolve) => setImmediate(resolve));
  }
}

// --- What must come back ---------------------------------------------------------------------------

function checkEcho(response: HttpResponse, request: ValidRequest, clientPort: number, serverPort: number, last: boolean, where: string): void {
  const context = `${where}: ${show(Buffer.from(request.wire, 'latin1'), 200)} → ${show(response.raw, 300)}`;
  expect(response.status, context).toBe(200);
  expect(response.version, context).toBe('1.1');
  expect(response.header('content-type'), context).toBe('application/json');
  const expected = {
    ...request.echo,
    client: { address: '127.0.0.1', port: clientPort },
    server: { address: '127.0.0.1', port: serverPort },
  };
  const json = Buffer.from(JSON.stringify(expected), 'utf8');
  if (request.echo.method === 'HEAD') {
    expect(response.body.length, context).toBe(0);
    // The length of the JSON a GET would get does not depend on the order of its keys.
    expect(response.header('content-length'), context).toBe(String(json.length));
  } else {
    expect(JSON.parse(response.body.toString('utf8')), context).toEqual(expected);
    expect(response.body.length, context).toBe(json.length);
  }
  // Persistence (RFC 9112 §9.3, §9.6): "close" when the connection ends; "keep-alive" for a
  // persistent 1.0 connection. The last request before the client's FIN may be told "close".
  const connection = response.header('connection');
  const persistent = request.echo.version === '1.1' ? undefined : 'keep-alive';
  if (!request.keepAlive) expect(connection, context).toBe('close');
  else if (last) expect([persistent, 'close'], context).toContain(connection);
  else expect(connection, context).toBe(persistent);
}

function checkRefusal(response: HttpResponse, request: MalformedRequest, where: string): void {
  const context = `${where}: ${request.label} (${request.code}): ${show(Buffer.from(request.wire, 'latin1'), 200)} → ${show(response.raw, 300)}`;
  expect(response.status, context).toBe(request.status);
  expect(response.header('connection'), context).toBe('close');
  expect(response.body.toString('latin1'), context).toMatch(ERROR_BODY(request.status, request.code));
}

async function checkConnection(l: Live, serverPort: number): Promise<void> {
  const answers = expectedAnswers(l.plan);
  for (const [i, answer] of answers.entries()) {
    const where = `${l.name}, answer ${i + 1} of ${answers.length}`;
    const head = answer.kind === 'valid' && answer.echo.method === 'HEAD';
    let response = await l.reader.next(head, READ_MS, where);
    if (answer.kind === 'valid' && answer.mayContinue && response.status === 100) response = await l.reader.next(head, READ_MS, where);
    if (answer.kind === 'valid') checkEcho(response, answer, l.clientPort, serverPort, i === answers.length - 1, where);
    else checkRefusal(response, answer, where);
  }
  const { rest } = await l.reader.end(READ_MS, `${l.name}: the server to close the connection after ${answers.length} answers`);
  expect(rest.length, `${l.name}: bytes after the last answer: ${show(rest)}`).toBe(0);
}

/**
 * One run: the plans' connections, opened together, written as scheduled, each checked. Returns
 * each connection's local port (the server's client port), in plan order.
 */
async function exchangeAll(port: number, plans: ConnectionPlan[], schedule: Schedule): Promise<number[]> {
  const live: Live[] = [];
  try {
    for (const [i, plan] of plans.entries()) {
      const socket = await connect(port);
      socket.setNoDelay(true);
      live.push({ plan, socket, reader: new ResponseReader(socket), clientPort: socket.localPort!, chunks: split(wireOf(plan), schedule.cuts[i] ?? []), name: `connection ${i + 1} of ${plans.length}` });
    }
    await sendAll(live, schedule);
    await Promise.all(live.map((l) => checkConnection(l, port)));
    return live.map((l) => l.clientPort);
  } finally {
    for (const l of live) l.socket.destroy();
  }
}

const runArb = (maxBodyBytes: number, bigBodyBytes = 0): fc.Arbitrary<[ConnectionPlan[], Schedule]> =>
  fc
    .array(connectionPlanArb(maxBodyBytes, bigBodyBytes), { minLength: 1, maxLength: 4 })
    .chain((plans) => fc.tuple(fc.constant(plans), scheduleArb(plans.length)));

/** A fresh connection still gets its exact echo. */
async function checkAlive(port: number): Promise<void> {
  const [request] = fc.sample(validRequestArb(false), { numRuns: 1, seed: 42 });
  await exchangeAll(port, [{ requests: [request!], malformed: null, tail: '' }], { cuts: [[]], order: [], delays: [0] });
}

const options = (numRuns: number): fc.Parameters<[[ConnectionPlan[], Schedule]]> => ({
  numRuns: runs(numRuns),
  interruptAfterTimeLimit: TIME_LIMIT_MS,
  ...replay,
});

// --- The properties ------------------------------------------------------------------------------

describe('live echo server (seal serve --app echo): generated streams, split, interleaved', () => {
  let seal: SealProcess;

  beforeAll(async () => {
    seal = await startSeal(['--app', 'echo', '--max-body', String(MAX_BODY_BYTES)]);
  });

  afterAll(async () => {
    if (seal !== undefined) expect(await seal.stop()).toBe(0);
  });

  it(
    'answers valid requests with their exact echo and malformed ones with the right refusal, then closes',
    async () => {
      await fc.assert(
        fc.asyncProperty(runArb(MAX_BODY_BYTES), async ([plans, schedule]) => {
          await exchangeAll(seal.port, plans, schedule);
        }),
        options(300),
      );
      expect(seal.child.exitCode, `seal exited; stderr: ${seal.stderr()}`).toBeNull();
      await checkAlive(seal.port);
      // The default error hook logs only the server's own failures: what clients sent leaves no line.
      expect(seal.stderr()).toBe('');
    },
    TIME_LIMIT_MS + 60_000,
  );
});

describe('in-process echo server: the same, and the error hook sees exactly the parser\'s errors', () => {
  let server: HttpServer;
  /** Error codes reported to onError, by client port. */
  const reported = new Map<number, string[]>();
  const unexpected: Error[] = [];

  beforeAll(async () => {
    server = await serve({
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: IN_PROCESS_MAX_BODY_BYTES,
      handler: echo({ maxBodyBytes: IN_PROCESS_MAX_BODY_BYTES }),
      onError: (error, { client }) => {
        if (!(error instanceof SealError) || client === undefined) return void unexpected.push(error);
        reported.set(client.port, [...(reported.get(client.port) ?? []), error.code]);
      },
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  it(
    'answers as the model says, and reports each parse error once, to the right client',
    async () => {
      const port = server.address!.port;
      await fc.assert(
        fc.asyncProperty(runArb(IN_PROCESS_MAX_BODY_BYTES, BIG_BODY_BYTES), async ([plans, schedule]) => {
          reported.clear();
          const clientPorts = await exchangeAll(port, plans, schedule);
          // The hook runs before the refusal is written, so by now every report is in.
          plans.forEach((plan, i) => {
            const last = expectedAnswers(plan).at(-1);
            const codes = last?.kind === 'malformed' && last.reported ? [last.code] : [];
            expect(reported.get(clientPorts[i]!) ?? [], `errors reported for connection ${i + 1}`).toEqual(codes);
          });
          expect(unexpected).toEqual([]);
        }),
        options(200),
      );
      await checkAlive(port);
    },
    TIME_LIMIT_MS + 60_000,
  );
});
