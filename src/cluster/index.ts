/**
 * Every core: N worker processes sharing the listeners (node:cluster). The same call runs in the
 * primary, where it forks and supervises the workers, and in each worker, where it binds the
 * listeners with `start`:
 *
 *   await runWorkers({ workers: 4, start: async () => [await serve({ port: 8080, handler })] });
 */
import cluster from 'node:cluster';
import { Supervisor, type SupervisorOptions } from './supervisor.js';
import { runWorker, type StartListeners } from './worker.js';

export { Supervisor, ClusterError, RESTART_DELAY_MS, MAX_RESTART_DELAY_MS, STABLE_AFTER_MS, START_TIMEOUT_MS, STOP_DEADLINE_MS, HANDOVER_GRACE_MS, type SupervisorOptions } from './supervisor.js';
export { runWorker, type Listener, type StartListeners } from './worker.js';

export interface WorkersOptions<S> extends Omit<SupervisorOptions<S>, 'settings'> {
  /** In each worker: binds the listeners and returns them; receives the primary's settings. */
  start: StartListeners<S>;
  /** In the primary, once, before forking: what every worker's `start` receives (JSON over IPC). */
  settings?: () => S | Promise<S>;
  /** In the primary: every worker is listening; the ports of the listeners `start` returned, in order. */
  onListening?: (ports: readonly number[]) => void;
  /**
   * In the primary: SIGINT and SIGTERM stop every worker gracefully and exit (0, or 1 if one had
   * to be killed), SIGHUP reloads the workers one by one. Default true.
   */
  handleSignals?: boolean;
}

/** True in a process forked by node:cluster. */
export function isWorkerProcess(): boolean {
  return cluster.isWorker;
}

/**
 * In the primary: forks `workers` processes, resolves with the supervisor once all are listening
 * (rejects if one could not start). In a worker: runs `start` and resolves with undefined; the
 * worker then serves until the primary stops it.
 */
export async function runWorkers<S = undefined>(options: WorkersOptions<S>): Promise<Supervisor<S> | undefined> {
  if (cluster.isWorker) {
    runWorker(options.start);
    return undefined;
  }
  const { start: _start, settings, onListening, handleSignals = true, ...rest } = options;
  const supervisor = new Supervisor<S>({ ...rest, settings: (await settings?.()) as S });
  let signalled = false;
  if (handleSignals) {
    // Before the first fork: a signal sent as soon as `listening` is known must find the handlers.
    const stop = (): void => {
      signalled = true;
      void supervisor.stop().then((clean) => process.exit(clean ? 0 : 1));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    process.on('SIGHUP', () => void supervisor.reload());
  }
  try {
    const ports = await supervisor.start();
    onListening?.(ports);
  } catch (error) {
    // Stopped by a signal while starting: the signal handler exits.
    if (!signalled) throw error;
  }
  return supervisor;
}
