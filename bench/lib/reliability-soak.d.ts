/** Types of reliability-soak.js, for the tests in test/reliability/. */
export interface Descriptors {
  total: number;
  sockets: number;
}

export interface SoakResult {
  seconds: number;
  workers: number;
  valid: number;
  answered: number;
  failures: number;
  failureSamples: string[];
  byAction: Record<string, number>;
  vanished: number;
  connections: number;
  fdsBefore: Descriptors;
  fdsAfter: Descriptors;
  rss: { start: number; peak: number; end: number; slopeMiBPerMin: number; secondHalfGrowth: number; samples: number[] };
  heapUsed: { before: number; mid: number; after: number };
  server: { seen: number; answered: number; errors: Record<string, number> };
}

export function runSoak(settings: { seconds: number; workers?: number; log?: (line: string) => void }): Promise<SoakResult>;
