#!/usr/bin/env node
/**
 * What Seal's own JavaScript costs a keep-alive request, without the kernel: its whole per-request
 * path (the 'data' event, parse, checks, the `hello` handler, the response, the check-phase write)
 * driven in-process over 32 connections a turn of the event loop, as under bench/load.js's
 * keep-alive load (where a turn answers about 32 requests). Beside it, on the same sockets, the raw
 * ceiling of bench/load.js (find each `\r\n\r\n`, write a canned response): the work a server on
 * net.Socket cannot avoid, so Seal − raw is what Seal adds per request.
 *
 *   npm run build && node bench/request-path.js [--quick] [--rounds N]
 *
 * The sockets are event emitters with the fields both servers read, and a write() that counts; a
 * request is a 'data' event with a fresh Buffer. Each event is timed (performance.now() around
 * it), and so is the turn's check phase, where Seal writes what it held (an immediate scheduled
 * before the requests and one after bracket it); the timer's own cost is measured alone and
 * subtracted. Two cache states:
 * - warm: requests back to back;
 * - flushed: 64 KiB of other memory touched before every request and 2 MiB before every turn, as
 *   the kernel's work and 49 other connections' requests come between two requests of one
 *   connection under load. On the 2-vCPU Xeon of the README that takes Seal − raw from about
 *   0.30 to 0.58 µs per request, the gap in CPU per request that bench/load.js measures under wrk.
 * Figures are medians of the rounds (servers alternating, order rotating).
 */
import { EventEmitter } from 'node:events';
import { QUICK, markdownTable, printEnvironment } from './lib/harness.js';
import { giveLoopbackAddresses, serveHelloOn } from './lib/in-process.js';
import { rawConnectionHandler } from './lib/load-servers.js';

const CONNECTIONS = 32;
const REQUEST = 'GET / HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n';
const rounds = (() => {
  const at = process.argv.indexOf('--rounds');
  return QUICK ? 3 : at === -1 ? 15 : Math.max(1, Number(process.argv[at + 1]) || 15);
})();
const TURNS = QUICK ? 100 : 600;

/** The fields Seal's Connection and HttpConnection read of a net.Socket, and a counting write(). */
class FakeSocket extends EventEmitter {
  constructor() {
    super();
    this.written = 0;
    this.writableLength = 0;
    this.writableHighWaterMark = 16384;
    this.writableNeedDrain = false;
    this.destroyed = false;
    this.writableEnded = false;
    this.writableFinished = false;
    this.bytesRead = 0;
    giveLoopbackAddresses(this);
  }
  write() {
    this.written++;
    return true;
  }
  pause() {
    return this;
  }
  resume() {
    return this;
  }
  setNoDelay() {
    return this;
  }
  end() {}
  destroy() {}
}

/** Connects `sockets` to a server: Seal's HTTP service as its TCP server runs it, or the raw handler. */
function attach(server, sockets) {
  if (server === 'raw') {
    const onConnection = rawConnectionHandler();
    for (const socket of sockets) onConnection(socket);
  } else serveHelloOn(...sockets);
}

const perRequestMemory = new Int32Array((64 * 1024) / 4);
const perTurnMemory = new Int32Array((2 * 1024 * 1024) / 4);
/** Touches every cache line of `memory`. */
function touch(memory) {
  for (let i = 0; i < memory.length; i += 16) memory[i]++;
}

const now = () => performance.now();
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** ns per request of `server`'s path, over TURNS turns of CONNECTIONS requests. */
async function measure(server, flushed) {
  const sockets = Array.from({ length: CONNECTIONS }, () => new FakeSocket());
  attach(server, sockets);
  let spent = 0;
  const turn = async () => {
    if (flushed) touch(perTurnMemory);
    let checkStarted = 0;
    setImmediate(() => (checkStarted = now()));
    for (const socket of sockets) {
      if (flushed) touch(perRequestMemory);
      const chunk = Buffer.from(REQUEST, 'latin1');
      const started = now();
      socket.emit('data', chunk);
      spent += now() - started;
    }
    await nextTurn();
    spent += now() - checkStarted;
  };
  for (let i = 0; i < TURNS / 2; i++) await turn();
  spent = 0;
  for (let i = 0; i < TURNS; i++) await turn();
  if (sockets.some((s) => s.written < TURNS)) throw new Error(`${server}: not every request was answered`);
  // The timer pairs themselves: one per request and one per turn.
  const timer = timerCost();
  return (spent * 1e6 - timer * TURNS * (CONNECTIONS + 1)) / (TURNS * CONNECTIONS);
}

/** ns of one `now()` pair. */
function timerCost() {
  let spent = 0;
  for (let i = 0; i < 10_000; i++) {
    const started = now();
    spent += now() - started;
  }
  return (spent * 1e6) / 10_000;
}

const median = (values) => values.slice().sort((a, b) => a - b)[values.length >> 1];

printEnvironment("Seal's per-request JavaScript, keep-alive, in-process (32 connections a turn)");
const servers = ['seal', 'raw'];
const rows = [];
for (const flushed of [false, true]) {
  const results = new Map(servers.map((s) => [s, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < servers.length; i++) {
      const server = servers[(i + round) % servers.length];
      results.get(server).push(await measure(server, flushed));
    }
  }
  const seal = median(results.get('seal'));
  const raw = median(results.get('raw'));
  const caches = flushed ? 'flushed between requests' : 'warm';
  console.log(`${caches}: seal ${seal.toFixed(0)} ns/request, raw ${raw.toFixed(0)} ns/request, seal − raw ${(seal - raw).toFixed(0)} ns`);
  rows.push([caches, seal.toFixed(0), raw.toFixed(0), (seal - raw).toFixed(0)]);
}
console.log('');
console.log(markdownTable(['caches', 'seal ns/request', 'raw ns/request', 'seal − raw'], rows));
