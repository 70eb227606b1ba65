/** Types of reliability-memory.js, for the tests in test/reliability/. */
export interface Memory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

export interface MemoryResult {
  server: string;
  connections: number;
  failed: number;
  openMs: number;
  before: Memory;
  open: Memory;
  after: Memory;
  procRssOpen: number;
  serverSockets: number;
  perConnection: { rss: number; heapUsed: number; external: number };
}

export function runMemory(settings: { connections: number; servers?: string[]; log?: (line: string) => void }): Promise<MemoryResult[]>;
