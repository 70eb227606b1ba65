/**
 * A deliberately small HTTP/1.1 client over one raw socket, for the reliability benchmark: it
 * writes whatever bytes it is given (one request, a pipelined burst, half a request) and reads
 * responses framed by Content-Length, in order. Every wait is bounded.
 */
import net from 'node:net';

/** How long a connect or a response may take before the client gives up on the connection. */
export const CLIENT_TIMEOUT_MS = 10_000;

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * @typedef {{ status: number, headers: Map<string, string>, body: Buffer }} ClientResponse
 */

/** A request's connection closed (or failed) before all its responses arrived. */
export class ConnectionLost extends Error {
  /**
   * @param {string} message
   * @param {ClientResponse[]} received  the responses that did arrive
   * @param {string | undefined} code  the socket error's code, if it failed
   */
  constructor(message, received, code) {
    super(message);
    this.received = received;
    this.code = code;
  }
}

export class ClientConnection {
  /** @param {net.Socket} socket */
  constructor(socket) {
    this.socket = socket;
    /** Bytes received and not yet parsed. */
    this.buffered = Buffer.alloc(0);
    /** @type {{ count: number, responses: ClientResponse[], resolve: Function, reject: Function, timer: NodeJS.Timeout }[]} */
    this.waiting = [];
    /** The server sent its FIN, or the socket closed. */
    this.ended = false;
    this.closed = false;
    /** @type {string | undefined} */
    this.errorCode = undefined;
    socket.on('data', (chunk) => this.#onData(chunk));
    socket.on('error', (error) => (this.errorCode ??= error.code ?? 'ERROR'));
    socket.on('end', () => (this.ended = true));
    socket.on('close', () => {
      this.ended = true;
      this.closed = true;
      this.#failAll('the connection closed');
    });
  }

  /**
   * Connects to 127.0.0.1:`port`. Rejects with the socket error (ECONNREFUSED once a server has
   * stopped listening) or after CLIENT_TIMEOUT_MS.
   * @returns {Promise<ClientConnection>}
   */
  static connect(port) {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
      }, CLIENT_TIMEOUT_MS);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new ClientConnection(socket));
      });
    });
  }

  /**
   * Writes `bytes` (one request, or `count` pipelined ones) and resolves with the next `count`
   * responses. Rejects with ConnectionLost when the connection closes first.
   * @param {string | Uint8Array | (string | Uint8Array)[]} bytes
   * @returns {Promise<ClientResponse[]>}
   */
  request(bytes, count = 1) {
    return new Promise((resolve, reject) => {
      if (this.closed || this.ended) {
        reject(new ConnectionLost('the connection was closed before the request', [], this.errorCode));
        return;
      }
      const timer = setTimeout(() => {
        this.socket.destroy();
        this.#failAll(`no response within ${CLIENT_TIMEOUT_MS} ms`);
      }, CLIENT_TIMEOUT_MS);
      this.waiting.push({ count, responses: [], resolve, reject, timer });
      for (const piece of Array.isArray(bytes) ? bytes : [bytes]) this.socket.write(piece);
    });
  }

  /** Writes bytes with no response expected (a request cut short). */
  write(bytes) {
    if (!this.closed) this.socket.write(bytes);
  }

  destroy() {
    this.socket.destroy();
  }

  /** Closes our side and resolves when the socket is closed (bounded: destroyed after the timeout). */
  end() {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.socket.destroy(), CLIENT_TIMEOUT_MS);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.end();
    });
  }

  #onData(chunk) {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    for (;;) {
      const response = this.#parseOne();
      if (response === null) return;
      const first = this.waiting[0];
      if (first === undefined) {
        this.socket.destroy();
        this.#failAll('a response nobody asked for');
        return;
      }
      first.responses.push(response);
      if (first.responses.length === first.count) {
        this.waiting.shift();
        clearTimeout(first.timer);
        first.resolve(first.responses);
      }
    }
  }

  /** One whole response off the front of `buffered`, or null when it has not all arrived. */
  #parseOne() {
    const buf = this.buffered;
    const headEnd = buf.indexOf(HEAD_END);
    if (headEnd === -1) return null;
    const lines = buf.subarray(0, headEnd).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0])?.[1] ?? NaN);
    const headers = new Map();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const length = Number(headers.get('content-length') ?? NaN);
    if (Number.isNaN(status) || !Number.isInteger(length)) {
      this.socket.destroy();
      this.#failAll(`a response the client cannot frame: ${lines[0]}`);
      return null;
    }
    const end = headEnd + 4 + length;
    if (buf.length < end) return null;
    this.buffered = buf.subarray(end);
    return { status, headers, body: buf.subarray(headEnd + 4, end) };
  }

  #failAll(reason) {
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) {
      clearTimeout(w.timer);
      w.reject(new ConnectionLost(reason, w.responses, this.errorCode));
    }
  }
}

/** A GET request head, keep-alive. */
export function getRequest(target, extra = '') {
  return `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`;
}
