import type { Connection, ConnectionHandler } from '../net/index.js';
import { NET_ERROR_CODES, NetError } from '../net/index.js';
import { pyAddress } from './report.js';

/** Largest request head tcp-echo reads; a longer one is abuse and the connection is closed. */
export const TCP_ECHO_MAX_HEAD_BYTES = 64 * 1024;

const PAGE = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Seal tcp-echo</title></head>
<body><h1>Hello, World!</h1><p>Served by Seal's TCP layer, without an HTTP parser.</p></body>
</html>
`;
const BODY = Buffer.from(PAGE, 'utf8');
const RESPONSE = Buffer.concat([
  Buffer.from(
    'HTTP/1.0 200 OK\r\n' +
      'Content-Type: text/html; charset=utf-8\r\n' +
      `Content-Length: ${BODY.length}\r\n` +
      '\r\n',
    'latin1',
  ),
  BODY,
]);

export interface TcpEchoOptions {
  /** Receives each report line, without its newline. Default: stdout. */
  out?: (line: string) => void;
  /** Extra report lines printed after `Server address` (a TLS layer adds `Cipher: …`). */
  describe?: (conn: Connection) => string[];
}

function writeLineToStdout(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** `('127.0.0.1', 51090)`, as Python prints a socket address tuple. */

/**
 * The `tcp-echo` app: reads a request head up to its first empty line, prints where it came
 * from and what it was, answers a fixed HTTP/1.0 page and closes. Uses no HTTP parser.
 */
export function tcpEcho(options: TcpEchoOptions = {}): ConnectionHandler {
  const out = options.out ?? writeLineToStdout;
  const describe = options.describe;
  return async (conn) => {
    const head = await readHead(conn);
    // An incomplete or oversized head gets no answer; returning closes the connection.
    if (head === undefined) return;
    out(`Client address: ${pyAddress(conn.clientAddress)}`);
    out(`Server address: ${pyAddress(conn.serverAddress)}`);
    if (describe !== undefined) for (const line of describe(conn)) out(line);
    out('BEGIN REQUEST');
    for (const line of head) out(line);
    out('END REQUEST');
    await conn.writer.end(RESPONSE);
  };
}

/**
 * The head's lines without their terminators (CRLF or LF), up to the first empty line;
 * undefined when the peer ends first or the head exceeds TCP_ECHO_MAX_HEAD_BYTES.
 */
async function readHead(conn: Connection): Promise<string[] | undefined> {
  const reader = conn.reader;
  const lines: string[] = [];
  let budget = TCP_ECHO_MAX_HEAD_BYTES;
  // Each pass consumes at least one byte of the budget, so the loop ends.
  while (budget > 0) {
    let line: Buffer | null;
    try {
      line = await reader.readLine(budget);
    } catch (err) {
      if (err instanceof NetError && err.code === NET_ERROR_CODES.LIMIT_EXCEEDED) return undefined;
      // A socket error was already dealt with by the connection; the peer is just gone.
      if (err === conn.error) return undefined;
      throw err;
    }
    if (line === null || line[line.length - 1] !== 0x0a) return undefined;
    if (lines.length === 0) conn.markActive();
    budget -= line.length;
    const text = stripLineEnd(line).toString('latin1');
    if (text === '') return lines;
    lines.push(text);
  }
  return undefined;
}

function stripLineEnd(line: Buffer): Buffer {
  const end = line.length >= 2 && line[line.length - 2] === 0x0d ? line.length - 2 : line.length - 1;
  return line.subarray(0, end);
}
