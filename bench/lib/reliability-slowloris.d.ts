/** Types of reliability-slowloris.js, for the tests in test/reliability/. */
import type { ClientRun as Run } from './reliability-clients.js';

/** A phase of the normal client, with the server's CPU time over it (µs). */
export interface ClientRun extends Run {
  serverCpuUs: number;
  cpuPerRequestUs: number;
}

export interface SlowlorisResult {
  client: 'wrk' | 'node';
  slowConnections: number;
  opened: number;
  headersTimeoutMs: number;
  sweepMs: number;
  cycles: { baseline: ClientRun; underAttack: ClientRun; ratio: number; openDuringMeasurement: number }[];
  baseline: ClientRun;
  underAttack: ClientRun;
  after: ClientRun;
  ratio: number;
  cpuRatio: number;
  openDuringMeasurement: number;
  closed408: number;
  closedBare: number;
  stillOpen: number;
  closeAfterMs: { min: number; median: number; max: number };
  earlyCloses: number;
  lateCloses: number;
  serverSocketsBefore: number;
  serverSocketsAfter: number;
}

export function runSlowloris(settings: {
  slowConnections: number;
  headersTimeoutMs: number;
  phaseSeconds: number;
  cycles?: number;
  preferWrk?: boolean;
  cpus?: { server?: string; load?: string };
  log?: (line: string) => void;
}): Promise<SlowlorisResult>;
