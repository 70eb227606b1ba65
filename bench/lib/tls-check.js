/**
 * Before any timing, each TLS server must answer correctly what wrk will send: two keep-alive GETs
 * on one TLS connection, each answered with exactly the hello-world response (`HTTP/1.1 200 OK`,
 * `Content-Type: text/plain;charset=utf-8`, `Content-Length: 13`, a `Date`, `Hello, World!`);
 * and, for the servers of the handshake scenario, a GET with `Connection: close`, answered with
 * the same response plus `Connection: close`, after which the server closes the connection (wrk
 * reconnects only when the response says so). Certificates are not verified, as wrk does not.
 */
import tls from 'node:tls';

const HELLO = 'Hello, World!';
const TIMEOUT_MS = 5_000;

/** Sends `bytes` over a new TLS connection; resolves with what came back, once `done(text)` says so. */
function exchange(url, bytes, done) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: hostname, port: Number(port), rejectUnauthorized: false });
    let text = '';
    let closed = false;
    const timer = setTimeout(() => finish(new Error(`no complete answer in ${TIMEOUT_MS} ms: ${JSON.stringify(text.slice(0, 300))}`)), TIMEOUT_MS);
    const finish = (error) => {
      clearTimeout(timer);
      const info = { protocol: socket.getProtocol(), cipher: socket.getCipher()?.name };
      socket.destroy();
      if (error) reject(error);
      else resolve({ text, closed, ...info });
    };
    socket.on('secureConnect', () => socket.write(bytes));
    socket.on('error', (error) => finish(error));
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => {
      text += chunk;
      if (done(text, false)) finish();
    });
    socket.on('end', () => {
      closed = true;
      if (done(text, true)) finish();
      else finish(new Error(`connection closed early: ${JSON.stringify(text.slice(0, 300))}`));
    });
  });
}

/** The responses in `text`, split by the head and a 13-byte body; null where one is incomplete. */
function parseResponses(text) {
  const out = [];
  let pos = 0;
  while (pos < text.length) {
    const headEnd = text.indexOf('\r\n\r\n', pos);
    if (headEnd === -1) return null;
    const lines = text.slice(pos, headEnd).split('\r\n');
    const body = text.slice(headEnd + 4, headEnd + 4 + HELLO.length);
    if (body.length < HELLO.length) return null;
    const headers = new Map();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    out.push({ status: lines[0], headers, body });
    pos = headEnd + 4 + HELLO.length;
  }
  return out;
}

function expectHello(response, what, { close = false } = {}) {
  const problems = [];
  if (response.status !== 'HTTP/1.1 200 OK') problems.push(`status line ${JSON.stringify(response.status)}`);
  const type = response.headers.get('content-type');
  if (type !== 'text/plain;charset=utf-8') problems.push(`Content-Type ${type}`);
  const length = response.headers.get('content-length');
  if (length !== '13') problems.push(`Content-Length ${length}`);
  if (!response.headers.has('date')) problems.push('no Date');
  if (response.body !== HELLO) problems.push(`body ${JSON.stringify(response.body)}`);
  if (close && !/(^|[\s,])close($|[\s,])/i.test(response.headers.get('connection') ?? '')) {
    problems.push(`Connection ${response.headers.get('connection')} (wanted close)`);
  }
  if (problems.length > 0) throw new Error(`${what}: ${problems.join(', ')}`);
}

/**
 * Resolves with the negotiated `{ protocol, cipher }` when the server at `url` answers correctly;
 * `connectionClose`: also check a `Connection: close` request.
 */
export async function checkTlsServer(url, { connectionClose }) {
  const host = new URL(url).host;
  const get = `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
  const twoDone = (text) => parseResponses(text)?.length === 2;
  const ka = await exchange(url, get + get, twoDone);
  const kaResponses = parseResponses(ka.text);
  if (kaResponses === null || kaResponses.length !== 2) throw new Error(`2 keep-alive GETs: ${JSON.stringify(ka.text.slice(0, 300))}`);
  kaResponses.forEach((r, i) => expectHello(r, `keep-alive GET ${i + 1}`));
  if (connectionClose) {
    const closing = await exchange(url, `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, (_text, closed) => closed);
    const responses = parseResponses(closing.text);
    if (responses === null || responses.length !== 1) throw new Error(`GET with Connection: close: ${JSON.stringify(closing.text.slice(0, 300))}`);
    expectHello(responses[0], 'GET with Connection: close', { close: true });
  }
  return { protocol: ka.protocol, cipher: ka.cipher };
}
