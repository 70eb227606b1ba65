/**
 * The primary's side of `runWorkers`: N worker processes forked with node:cluster, sharing the
 * listeners the workers bind (in round-robin mode the primary owns each listening socket and
 * hands every accepted connection to a worker; a connection handed to a worker that has just
 * closed its listener is refused by it and handed to another, so no connection is lost while
 * workers come and go).
 *
 * A worker lives in a slot. The life of a slot:
 *   forked → listening (its `listening` message) → running
 *   running → exited unexpectedly → restart after a back-off → forked
 *   running → replaced by a reload (the new worker listens first, then the old one drains)
 *   any → stopped (asked to drain; killed if still alive at the deadline)
 */
import cluster, { type Worker } from 'node:cluster';
import { isListening, isSettingsRequest, type StartMessage, type StopMessage } from './messages.js';

/** The first restart of a crashed worker waits this long; every further one in a row twice as long… */
export const RESTART_DELAY_MS = 100;
/** …up to this: a worker that cannot start is retried every 10 s, not in a tight loop. */
export const MAX_RESTART_DELAY_MS = 10_000;
/** A worker that lived this long before dying starts the back-off over. */
export const STABLE_AFTER_MS = 10_000;
/** How long a worker may take to bind its listeners before it is killed. */
export const START_TIMEOUT_MS = 30_000;
/**
 * Between taking a worker out of the listeners and asking it to close: a connection handed to it
 * just before has this long to send its first bytes, so that the graceful close sees a request to
 * finish rather than an idle connection to close (loopback takes microseconds; a lost first
 * segment is retransmitted after ~200 ms).
 */
export const HANDOVER_GRACE_MS = 250;
/** How long a draining worker may take to exit: above the servers' own 5 s close deadline. */
export const STOP_DEADLINE_MS = 10_000;

export interface SupervisorOptions<S> {
  /** How many worker processes (≥ 1). */
  workers: number;
  /** Handed to every worker's `start` as it is forked (JSON-serializable: it travels over IPC). */
  settings: S;
  /** Receives each log line (no prefix, no newline). Default: `seal: LINE` on stderr. */
  log?: (line: string) => void;
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
  stableAfterMs?: number;
  startTimeoutMs?: number;
  stopDeadlineMs?: number;
  /** The worker's script and arguments; default: this process's own (`process.argv`). */
  exec?: string;
  args?: string[];
}

export class ClusterError extends Error {}

interface Slot {
  worker: Worker | undefined;
  /** Restarts in a row, each after a worker that did not live STABLE_AFTER_MS. */
  failures: number;
  forkedAt: number;
  restartTimer: NodeJS.Timeout | undefined;
}

interface Exit {
  code: number | null;
  signal: string | null;
}

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

function writeToStderr(line: string): void {
  process.stderr.write(`seal: ${line}\n`);
}

function describe(worker: Worker): string {
  return `worker ${worker.id} (pid ${worker.process.pid ?? '?'})`;
}

function describeExit({ code, signal }: Exit): string {
  return signal !== null ? `signal ${signal}` : `code ${code ?? '?'}`;
}

export class Supervisor<S = unknown> {
  readonly #options: Required<Omit<SupervisorOptions<S>, 'exec' | 'args'>>;
  readonly #slots: Slot[];
  /** Every worker forked and not yet exited, with the promise of its exit. */
  readonly #live = new Map<Worker, Promise<Exit>>();
  /** Workers asked to stop: their exit is expected. */
  readonly #retiring = new Set<Worker>();
  readonly #listening = new Map<Worker, Promise<number[]>>();
  #state: State = 'new';
  #ports: number[] = [];
  #reloading: Promise<boolean> | undefined;
  #stopped: Promise<boolean> | undefined;

  constructor(options: SupervisorOptions<S>) {
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new ClusterError(`workers must be a positive integer, got ${options.workers}`);
    if (!cluster.isPrimary) throw new ClusterError('a Supervisor runs in the primary process, not in a worker');
    this.#options = {
      workers: options.workers,
      settings: options.settings,
      log: options.log ?? writeToStderr,
      restartDelayMs: options.restartDelayMs ?? RESTART_DELAY_MS,
      maxRestartDelayMs: options.maxRestartDelayMs ?? MAX_RESTART_DELAY_MS,
      stableAfterMs: options.stableAfterMs ?? STABLE_AFTER_MS,
      startTimeoutMs: options.startTimeoutMs ?? START_TIMEOUT_MS,
      stopDeadlineMs: options.stopDeadlineMs ?? STOP_DEADLINE_MS,
    };
    if (options.exec !== undefined || options.args !== undefined) {
      cluster.setupPrimary({ ...(options.exec !== undefined && { exec: options.exec }), ...(options.args !== undefined && { args: options.args }) });
    }
    this.#slots = Array.from({ length: options.workers }, () => ({ worker: undefined, failures: 0, forkedAt: 0, restartTimer: undefined }));
  }

  /** The ports the workers' listeners are bound to, in the order their `start` returned them. */
  get ports(): readonly number[] {
    return this.#ports;
  }

  /** The pids of the workers in their slots now (a slot waiting for a restart has none). */
  get pids(): number[] {
    return this.#slots.flatMap((slot) => (slot.worker?.process.pid !== undefined ? [slot.worker.process.pid] : []));
  }

  /** True from the moment stop() is called. */
  get stopping(): boolean {
    return this.#state === 'stopping' || this.#state === 'stopped';
  }

  /**
   * Forks every worker and resolves with the listeners' ports once all are listening. A worker
   * that exits first (a port in use, a module that fails) stops the others and rejects.
   */
  async start(): Promise<number[]> {
    if (this.#state !== 'new') throw new ClusterError('start() more than once');
    this.#state = 'starting';
    const started = this.#slots.map((slot) => this.#listening.get(this.#forkInto(slot))!);
    try {
      const ports = await Promise.all(started);
      this.#ports = ports[0] ?? [];
    } catch (error) {
      await this.stop();
      throw error;
    }
    if (this.stopping) throw new ClusterError('stopped before every worker was listening');
    this.#state = 'running';
    return this.#ports;
  }

  /**
   * Zero-downtime reload: for each worker in turn, a new one is forked and, once it listens, the
   * old one drains. Resolves true when every worker was replaced; false when a new worker failed
   * to start (the old ones are kept, the reload ends there) or the supervisor was stopped. A
   * reload asked for during another returns the one in progress.
   */
  reload(): Promise<boolean> {
    if (this.#state !== 'running') return Promise.resolve(false);
    this.#reloading ??= this.#rollingReload().finally(() => (this.#reloading = undefined));
    return this.#reloading;
  }

  /**
   * Every worker drains (no new connections, requests in flight finish, idle connections close)
   * and exits. Resolves true when all exited with status 0 within the deadline; one still alive
   * then is killed, and it resolves false. Idempotent.
   */
  stop(): Promise<boolean> {
    this.#stopped ??= this.#stopAll();
    return this.#stopped;
  }

  async #rollingReload(): Promise<boolean> {
    this.#options.log(`reloading ${this.#slots.length} workers, one at a time`);
    for (const slot of this.#slots) {
      const old = slot.worker;
      // A slot waiting for its restart gets a new worker anyway.
      if (old === undefined) continue;
      const fresh = this.#fork();
      try {
        await this.#listening.get(fresh);
      } catch (error) {
        this.#options.log(`reload stopped, the other workers kept: ${(error as Error).message}`);
        return false;
      }
      if (this.#state !== 'running') return false;
      // The old worker may have died meanwhile and its slot be waiting for a restart: take it over.
      clearTimeout(slot.restartTimer);
      slot.restartTimer = undefined;
      slot.worker = fresh;
      slot.forkedAt = Date.now();
      slot.failures = 0;
      await this.#retire(old);
    }
    this.#options.log('reload done');
    return this.#state === 'running';
  }

  async #stopAll(): Promise<boolean> {
    this.#state = 'stopping';
    for (const slot of this.#slots) clearTimeout(slot.restartTimer);
    const results = await Promise.all(Array.from(this.#live.keys(), (worker) => this.#retire(worker)));
    this.#state = 'stopped';
    return results.every(Boolean);
  }

  /** Forks a worker, hands it the settings, and tracks its `listening` message and its exit. */
  #fork(): Worker {
    const worker = cluster.fork();
    const exited = new Promise<Exit>((resolve) => worker.once('exit', (code: number | null, signal: string | null) => resolve({ code, signal })));
    this.#live.set(worker, exited);
    // An IPC failure (a message to a worker that just died) must not bring the primary down.
    worker.on('error', (error: Error) => this.#options.log(`${describe(worker)}: ${error.message}`));
    const listening = new Promise<number[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#options.log(`${describe(worker)} not listening after ${this.#options.startTimeoutMs} ms; killing it`);
        worker.process.kill('SIGKILL');
      }, this.#options.startTimeoutMs);
      const onMessage = (message: unknown): void => {
        if (!isListening(message)) return;
        worker.off('message', onMessage);
        clearTimeout(timer);
        resolve(message.ports);
      };
      worker.on('message', onMessage);
      void exited.then((exit) => {
        clearTimeout(timer);
        reject(new ClusterError(`${describe(worker)} exited with ${describeExit(exit)} before listening`));
      });
    });
    // Whoever waits for it handles a failure; a restarted worker that fails is seen by its exit.
    this.#listening.set(worker, listening);
    listening.then(
      (ports) => this.#checkPorts(worker, ports),
      () => undefined,
    );
    void exited.then((exit) => this.#exited(worker, exit));
    const start: StartMessage<S> = { seal: 'start', settings: this.#options.settings };
    worker.on('message', (message: unknown) => {
      if (isSettingsRequest(message) && worker.isConnected()) worker.send(start);
    });
    return worker;
  }

  #forkInto(slot: Slot): Worker {
    const worker = this.#fork();
    slot.worker = worker;
    slot.forkedAt = Date.now();
    return worker;
  }

  #checkPorts(worker: Worker, ports: number[]): void {
    if (this.#state !== 'running' || ports.join() === this.#ports.join()) return;
    this.#options.log(`${describe(worker)} listens on ports ${ports.join(', ')}, not ${this.#ports.join(', ')} as the others`);
  }

  #exited(worker: Worker, exit: Exit): void {
    this.#live.delete(worker);
    this.#listening.delete(worker);
    if (this.#retiring.delete(worker)) return;
    const slot = this.#slots.find((s) => s.worker === worker);
    // Not in a slot: a reload's new worker that failed (the reload says so). While starting,
    // start() reports it; while stopping, it is expected.
    if (slot === undefined || this.#state !== 'running') return;
    slot.worker = undefined;
    if (Date.now() - slot.forkedAt >= this.#options.stableAfterMs) slot.failures = 0;
    const delay = Math.min(this.#options.restartDelayMs * 2 ** slot.failures, this.#options.maxRestartDelayMs);
    slot.failures++;
    this.#options.log(`${describe(worker)} exited with ${describeExit(exit)}; restarting in ${delay} ms`);
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (this.#state === 'running' && slot.worker === undefined) this.#forkInto(slot);
    }, delay);
  }

  /** Asks `worker` to drain and waits for its exit; kills it at the deadline. True: exit status 0 in time. */
  async #retire(worker: Worker): Promise<boolean> {
    const exited = this.#live.get(worker);
    if (exited === undefined) return true;
    this.#retiring.add(worker);
    // node:cluster's disconnect takes the worker out of every shared listener at once, here in
    // the primary (no connection is handed to it any more; one in flight to it is handed back
    // and to another worker), and closes its listeners without touching its connections. Then,
    // after a grace, the worker closes them gracefully and exits.
    if (worker.isConnected()) {
      worker.disconnect();
      const stop: StopMessage = { seal: 'stop' };
      const grace = setTimeout(() => {
        if (worker.isConnected()) worker.send(stop);
      }, HANDOVER_GRACE_MS);
      void exited.then(() => clearTimeout(grace));
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), this.#options.stopDeadlineMs)));
    const outcome = await Promise.race([exited, deadline]);
    clearTimeout(timer);
    if (outcome === 'deadline') {
      this.#options.log(`${describe(worker)} still running ${this.#options.stopDeadlineMs} ms after being asked to stop; killing it`);
      worker.process.kill('SIGKILL');
      await exited;
      return false;
    }
    if (outcome.code !== 0) this.#options.log(`${describe(worker)} exited with ${describeExit(outcome)} while stopping`);
    return outcome.code === 0;
  }
}
