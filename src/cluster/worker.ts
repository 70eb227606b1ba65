/**
 * The worker side of `runWorkers`: wait for the primary's settings, bind the listeners, say so,
 * and stop gracefully when the primary asks. The primary drives the worker's life: the signals a
 * terminal sends to the whole process group (Ctrl-C's SIGINT, a hangup's SIGHUP) are ignored
 * here, because the primary got them too and answers them for every worker at once.
 */
import { isToWorker, type ListeningMessage, type SettingsRequest } from './messages.js';

/** What a worker's `start` returns: something that listens and can be closed gracefully. */
export interface Listener {
  /** Graceful: no new connections, requests in flight finish, idle connections close. */
  close(): Promise<void>;
  /** The bound address, once listening (Seal's servers have it). */
  readonly address?: { readonly port: number } | undefined;
}

export type StartListeners<S> = (settings: S) => Promise<readonly Listener[]>;

function log(line: string): void {
  process.stderr.write(`seal: ${line}\n`);
}

/**
 * Runs in a cluster worker until the primary asks it to stop, the channel to the primary closes,
 * or SIGTERM reaches it directly: then every listener is closed gracefully (requests in flight
 * finish, idle connections close) and the process exits 0 (1 if a close failed). A
 * `start` that fails is reported on stderr and exits 1; the primary decides what follows.
 */
export function runWorker<S>(start: StartListeners<S>): void {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error('runWorker() outside a cluster worker: no IPC channel to the primary');
  let listeners: readonly Listener[] | undefined;
  let starting = false;
  let stopping = false;

  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    // Not listening yet: nothing to drain (and a bind in flight may never finish once the
    // primary has let go of this worker).
    if (listeners === undefined) process.exit(0);
    void Promise.all(listeners.map((listener) => listener.close())).then(
      () => process.exit(0),
      (error: unknown) => {
        log(`worker ${process.pid} did not close cleanly: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };

  const begin = (settings: S): void => {
    if (starting || stopping) return;
    starting = true;
    start(settings).then(
      (bound) => {
        listeners = bound;
        const message: ListeningMessage = { seal: 'listening', ports: bound.map((listener) => listener.address?.port ?? 0) };
        if (process.connected) send(message);
      },
      (error: unknown) => {
        log(error instanceof Error ? error.message : String(error));
        process.exit(1);
      },
    );
  };

  process.on('message', (message: unknown) => {
    if (!isToWorker<S>(message)) return;
    if (message.seal === 'start') begin(message.settings);
    else stop();
  });
  process.on('SIGINT', () => undefined);
  process.on('SIGHUP', () => undefined);
  process.on('SIGTERM', stop);
  // The primary is gone, or the channel closed at the end of a drain: nothing else will come.
  process.on('disconnect', stop);
  const ready: SettingsRequest = { seal: 'settings' };
  send(ready);
}
