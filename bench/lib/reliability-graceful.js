/**
 * Graceful stop under load: clients load a Seal server (the hello app in a child process,
 * answering each request `delayMs` after its handler saw it, so that requests are in flight), and
 * `close()` is called mid-run through the IPC channel. Every request the handler saw must have
 * reached a client as a complete response: the clients count complete responses, the server the
 * requests its handler saw. Half the clients keep their connection alive, the other half ask for
 * `Connection: close` and open a new connection per request, so that the close also meets
 * connections just accepted. Requests the server never read (sent on a connection as it was being
 * closed idle) and connections refused once the listener is closed are expected, counted apart.
 */
import { ClientConnection, ConnectionLost, getRequest } from './reliability-http.js';
import { launchReliabilityServer } from './reliability-servers.js';
import { sleep } from './reliability-proc.js';

/** How long the clients may go on after close() before they are stopped whatever happens. */
const AFTER_CLOSE_MS = 10_000;

/**
 * @typedef {{ clients: number, loadSeconds: number, delayMs: number, complete: number,
 *   completeAfterClose: number, closeAnswers: number, unanswered: number, refused: number,
 *   otherErrors: number, errorSamples: string[], serverSeen: number, serverAnswered: number,
 *   lost: number, closeMs: number, rateBeforeClose: number }} GracefulResult
 */

/**
 * @param {{ clients: number, loadSeconds: number, delayMs?: number, log?: (line: string) => void }} settings
 * @returns {Promise<GracefulResult>}
 */
export async function runGraceful({ clients, loadSeconds, delayMs = 1, log = () => {} }) {
  const server = await launchReliabilityServer('seal', { options: { delayMs } });
  try {
    const keepAlive = getRequest('/');
    const oneShot = getRequest('/', 'Connection: close\r\n');
    let complete = 0;
    let completeAfterClose = 0;
    let closeAnswers = 0;
    let unanswered = 0;
    let refused = 0;
    let otherErrors = 0;
    const errorSamples = [];
    let closeAskedAt = Infinity;
    let stopAt = Infinity;

    const worker = async (w) => {
      const request = w % 2 === 0 ? keepAlive : oneShot;
      let conn = null;
      while (performance.now() < stopAt) {
        try {
          conn ??= await ClientConnection.connect(server.port);
        } catch (error) {
          if (error.code === 'ECONNREFUSED') {
            refused++;
            return; // the listener is closed: this client is done
          }
          otherErrors++;
          if (errorSamples.length < 10) errorSamples.push(`connect: ${error.code ?? error.message}`);
          await sleep(10);
          continue;
        }
        try {
          const [response] = await conn.request(request);
          if (response.status === 200 && response.body.toString('latin1') === 'Hello, World!') {
            complete++;
            if (performance.now() > closeAskedAt) completeAfterClose++;
          } else {
            otherErrors++;
            if (errorSamples.length < 10) errorSamples.push(`status ${response.status}`);
          }
          if (response.headers.get('connection') === 'close') {
            closeAnswers++;
            await conn.end();
            conn = null;
          }
        } catch (error) {
          // The connection closed with our request unanswered: the server had not read it (it
          // was closing an idle connection), or it lost it — the server's count tells which.
          if (error instanceof ConnectionLost) unanswered++;
          else {
            otherErrors++;
            if (errorSamples.length < 10) errorSamples.push(error.message);
          }
          conn?.destroy();
          conn = null;
        }
      }
      await conn?.end();
    };

    const started = performance.now();
    const workers = Promise.all(Array.from({ length: clients }, (_, w) => worker(w)));
    await sleep(loadSeconds * 1000);
    closeAskedAt = performance.now();
    const rateBeforeClose = complete / ((closeAskedAt - started) / 1000);
    log(`${complete} responses in ${loadSeconds} s (${rateBeforeClose.toFixed(0)}/s); closing the server`);
    stopAt = closeAskedAt + AFTER_CLOSE_MS;
    const closed = await server.ask('close');
    await workers;
    const lost = closed.seen - complete;
    log(`close() took ${closed.closeMs.toFixed(0)} ms; the handler saw ${closed.seen}, the clients got ${complete} complete responses`);
    return {
      clients,
      loadSeconds,
      delayMs,
      complete,
      completeAfterClose,
      closeAnswers,
      unanswered,
      refused,
      otherErrors,
      errorSamples,
      serverSeen: closed.seen,
      serverAnswered: closed.answered,
      lost,
      closeMs: closed.closeMs,
      rateBeforeClose,
    };
  } finally {
    await server.stop();
  }
}
