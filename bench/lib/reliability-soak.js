/**
 * Soak: `seconds` of mixed load against Seal's `echo` app (in a child process): concurrent
 * workers, each on its own keep-alive connection, doing GETs, urlencoded POSTs, multipart uploads
 * of a few hundred KiB, pipelined bursts, and clients that vanish mid-request (half a head, or
 * half a body, then a reset). Every valid request must get a 200 whose echo is exactly what was
 * sent; the server's file descriptors and sockets are counted before and after (once lingering
 * closes have ended), its resident set is sampled every second, and its live heap is measured
 * after forced collections before the load, halfway through it, and after it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ClientConnection, ConnectionLost } from './reliability-http.js';
import { launchReliabilityServer } from './reliability-servers.js';
import { descriptorsOf, MiB, pollUntil, rssOf, slope, sleep } from './reliability-proc.js';

/** Concurrent workers, each one keep-alive connection at a time. */
const WORKERS = 8;
/** Requests per pipelined burst (one write). */
const BURST = 8;
/** Uploaded file sizes: from 100 KiB to 400 KiB. */
const UPLOAD_MIN = 100 * 1024;
const UPLOAD_MAX = 400 * 1024;
/** One upload's file data is reused across uploads of the same size class (hashing is not free). */
const UPLOAD_VARIANTS = 8;
/** The actions and their weights. */
const ACTIONS = [
  ['get', 35],
  ['post', 25],
  ['upload', 10],
  ['pipeline', 15],
  ['vanish', 15],
];
const BOUNDARY = '----SealSoak4b1d';
/** Failures whose description is kept for the report. */
const KEPT_FAILURES = 10;

const UPLOADS = Array.from({ length: UPLOAD_VARIANTS }, (_, i) => {
  const size = UPLOAD_MIN + Math.floor(((UPLOAD_MAX - UPLOAD_MIN) * i) / (UPLOAD_VARIANTS - 1));
  const data = randomBytes(size);
  return { data, sha256: createHash('sha256').update(data).digest('hex') };
});

function pickAction(random) {
  const total = ACTIONS.reduce((sum, [, w]) => sum + w, 0);
  let r = random * total;
  for (const [name, weight] of ACTIONS) {
    if ((r -= weight) < 0) return name;
  }
  return ACTIONS[0][0];
}

const sameJson = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** A request, and what its echo must say. */
function getCase(id) {
  const target = `/soak/${id}?n=${id}&who=a%20b&blank=`;
  return {
    bytes: `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
    check: (echo) =>
      echo.method === 'GET' &&
      echo.target === target &&
      echo.path === `/soak/${id}` &&
      sameJson(echo.query, { n: [String(id)], who: ['a b'], blank: [''] }) &&
      echo.body === '',
  };
}

function postCase(id) {
  const body = `user=James+%26+Nancy&n=${id}&blank=&pets=dog&pets=cat`;
  return {
    bytes:
      `POST /form/${id} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    check: (echo) =>
      echo.method === 'POST' &&
      echo.body === Buffer.from(body).toString('base64') &&
      sameJson(echo.form, { user: ['James & Nancy'], n: [String(id)], blank: [''], pets: ['dog', 'cat'] }),
  };
}

function uploadCase(id) {
  const file = UPLOADS[id % UPLOADS.length];
  const head = Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="note"\r\n\r\nupload ${id}\r\n` +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="f${id}.bin"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
  const length = head.length + file.data.length + tail.length;
  return {
    bytes: [
      `POST /upload/${id} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${BOUNDARY}\r\n` +
        `Content-Length: ${length}\r\n\r\n`,
      head,
      file.data,
      tail,
    ],
    check: (echo) =>
      echo.method === 'POST' &&
      sameJson(echo.form, { note: [`upload ${id}`] }) &&
      echo.files.length === 1 &&
      echo.files[0].field === 'file' &&
      echo.files[0].filename === `f${id}.bin` &&
      echo.files[0].size === file.data.length &&
      echo.files[0].sha256 === file.sha256,
  };
}

/**
 * @typedef {{ seconds: number, workers: number, valid: number, answered: number, failures: number,
 *   failureSamples: string[], byAction: Record<string, number>, vanished: number,
 *   connections: number, fdsBefore: { total: number, sockets: number },
 *   fdsAfter: { total: number, sockets: number }, rss: { start: number, peak: number, end: number,
 *   slopeMiBPerMin: number, secondHalfGrowth: number, samples: number[] },
 *   heapUsed: { before: number, mid: number, after: number },
 *   server: Record<string, unknown> }} SoakResult
 */

/**
 * @param {{ seconds: number, workers?: number, log?: (line: string) => void }} settings
 * @returns {Promise<SoakResult>}
 */
export async function runSoak({ seconds, workers = WORKERS, log = () => {} }) {
  const server = await launchReliabilityServer('seal-echo', { nodeArgs: ['--expose-gc'] });
  try {
    const port = server.port;
    await sleep(200);
    const fdsBefore = descriptorsOf(server.pid);
    const heapBefore = (await server.ask('memory')).heapUsed;
    const rssSamples = [];
    const sampler = setInterval(() => rssSamples.push([performance.now(), rssOf(server.pid)]), 1000);
    rssSamples.push([performance.now(), rssOf(server.pid)]);

    let valid = 0;
    let answered = 0;
    let failures = 0;
    let vanished = 0;
    let connections = 0;
    const failureSamples = [];
    const byAction = Object.fromEntries(ACTIONS.map(([name]) => [name, 0]));
    const fail = (what) => {
      failures++;
      if (failureSamples.length < KEPT_FAILURES) failureSamples.push(what);
    };
    let nextId = 1;
    const started = performance.now();
    const deadline = started + seconds * 1000;

    /** Sends `cases` (pipelined when more than one) and checks every answer. */
    const exchange = async (conn, cases, action) => {
      valid += cases.length;
      let responses;
      try {
        const bytes = cases.length === 1 ? cases[0].bytes : cases.map((c) => c.bytes).join('');
        responses = await conn.request(bytes, cases.length);
      } catch (error) {
        const received = error instanceof ConnectionLost ? error.received : [];
        responses = received;
        fail(`${action}: ${error.message} (${received.length} of ${cases.length} answered${error.code ? `, ${error.code}` : ''})`);
        failures += cases.length - received.length - 1;
      }
      responses.forEach((response, i) => {
        if (response.status !== 200) return fail(`${action}: status ${response.status}: ${response.body.toString('latin1', 0, 120)}`);
        let echo;
        try {
          echo = JSON.parse(response.body.toString('utf8'));
        } catch {
          return fail(`${action}: a body that is not JSON`);
        }
        if (!cases[i].check(echo)) return fail(`${action}: the echo differs from the request: ${response.body.toString('utf8', 0, 200)}`);
        answered++;
      });
      return responses.length === cases.length && responses.every((r) => r.headers.get('connection') !== 'close');
    };

    /** A client that goes away mid-request: half a head, or a whole head and half a body. */
    const vanish = async (id) => {
      const conn = await ClientConnection.connect(port);
      connections++;
      const { bytes } = id % 2 === 0 ? getCase(id) : postCase(id);
      const whole = Buffer.from(bytes);
      const cut = id % 2 === 0 ? whole.indexOf('\r\n\r\n') >> 1 : whole.length - 5;
      conn.write(whole.subarray(0, cut));
      await sleep(id % 5);
      conn.destroy();
      vanished++;
    };

    const worker = async (w) => {
      let conn = null;
      while (performance.now() < deadline) {
        const id = nextId++;
        const action = pickAction(Math.random());
        byAction[action]++;
        try {
          if (action === 'vanish') {
            await vanish(id);
            continue;
          }
          if (conn === null) {
            conn = await ClientConnection.connect(port);
            connections++;
          }
          let cases;
          if (action === 'get') cases = [getCase(id)];
          else if (action === 'post') cases = [postCase(id)];
          else if (action === 'upload') cases = [uploadCase(id)];
          else cases = Array.from({ length: BURST }, (_, i) => getCase(id * 100 + i));
          const reusable = await exchange(conn, cases, action);
          if (!reusable) {
            conn.destroy();
            conn = null;
          }
        } catch (error) {
          fail(`${action} (worker ${w}): ${error.message}`);
          conn?.destroy();
          conn = null;
        }
      }
      await conn?.end();
    };
    // Halfway, the live heap after forced collections: a leak shows as growth from here to the end.
    let heapMid = NaN;
    const midway = setTimeout(() => {
      void server.ask('memory').then((m) => (heapMid = m.heapUsed), () => {});
    }, (seconds * 1000) / 2);
    await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
    clearTimeout(midway);
    const loadSeconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    rssSamples.push([performance.now(), rssOf(server.pid)]);
    log(`${valid} valid requests in ${loadSeconds.toFixed(1)} s, ${answered} answered exactly, ${failures} failures, ${vanished} vanished clients`);

    // Lingering closes end within 2 s (CLOSE_LINGER_MS); give them more.
    const fdsAfter = await pollUntil(() => descriptorsOf(server.pid), (d) => d.total <= fdsBefore.total && d.sockets <= fdsBefore.sockets, 10_000, 200);
    await sleep(1000);
    const rssEnd = rssOf(server.pid);
    const stats = await server.ask('stats');
    const heapAfter = (await server.ask('memory')).heapUsed;

    const half = rssSamples.filter(([t]) => t >= started + (loadSeconds * 1000) / 2);
    const halfMean = half.reduce((sum, [, r]) => sum + r, 0) / half.length;
    const slopePerMin = slope(half.map(([t, r]) => [t / 60_000, r]));
    return {
      seconds: loadSeconds,
      workers,
      valid,
      answered,
      failures,
      failureSamples,
      byAction,
      vanished,
      connections,
      fdsBefore,
      fdsAfter,
      rss: {
        start: rssSamples[0][1],
        peak: Math.max(...rssSamples.map(([, r]) => r)),
        end: rssEnd,
        // MiB per minute over the load's second half, and the growth that fit gives over that half
        // as a share of its mean RSS.
        slopeMiBPerMin: (slopePerMin || 0) / MiB,
        secondHalfGrowth: ((slopePerMin || 0) * (loadSeconds / 2 / 60)) / halfMean,
        samples: rssSamples.map(([, r]) => r),
      },
      // The live heap after forced collections, before the load and after it.
      heapUsed: { before: heapBefore, mid: heapMid, after: heapAfter },
      server: { seen: stats.seen, answered: stats.answered, errors: stats.errors },
    };
  } finally {
    await server.stop();
  }
}
