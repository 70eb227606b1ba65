/** Types of reliability-graceful.js, for the tests in test/reliability/. */
export interface GracefulResult {
  clients: number;
  loadSeconds: number;
  delayMs: number;
  complete: number;
  completeAfterClose: number;
  closeAnswers: number;
  unanswered: number;
  refused: number;
  otherErrors: number;
  errorSamples: string[];
  serverSeen: number;
  serverAnswered: number;
  lost: number;
  closeMs: number;
  rateBeforeClose: number;
}

export function runGraceful(settings: {
  clients: number;
  loadSeconds: number;
  delayMs?: number;
  log?: (line: string) => void;
}): Promise<GracefulResult>;
