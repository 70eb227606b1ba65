import type { Connection } from './connection.js';
import { toError } from './errors.js';

/**
 * The stream-handler contract, called once per accepted connection.
 *
 * - Returning a promise: the handler owns the connection until the promise settles. When it
 *   fulfils and the socket is still open, the connection is closed gracefully (FIN after the
 *   written bytes); when it rejects, the error is reported and the connection destroyed.
 * - Returning nothing: the handler took the connection over (e.g. it drives socket events
 *   itself) and closes it when it is done; only a synchronous throw is caught, as above.
 * Either way, one failing connection never affects the server or any other connection.
 */
export type ConnectionHandler = (conn: Connection) => void | Promise<void>;

/** @internal Runs `handler` for `conn` under the contract above. */
export function runConnectionHandler(
  handler: ConnectionHandler,
  conn: Connection,
  reportError: (err: Error, conn: Connection) => void,
): void {
  const fail = (thrown: unknown): void => {
    const err = toError(thrown);
    // A rejection with the socket's own error (e.g. a read seeing ECONNRESET) was already
    // handled by the connection, which reports only the non-routine ones.
    if (err !== conn.error) reportError(err, conn);
    conn.destroy(err);
  };
  let result: unknown;
  try {
    result = handler(conn);
  } catch (thrown) {
    fail(thrown);
    return;
  }
  if (isPromiseLike(result)) {
    result.then(() => conn.close(), fail);
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
