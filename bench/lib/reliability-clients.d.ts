/** Types of reliability-clients.js, for the tests in test/reliability/. */
export interface ClientRun {
  via: 'wrk' | 'node';
  requests: number;
  seconds: number;
  rate: number;
  errors: number;
}

export function haveWrk(): boolean;
export function runWrkClient(port: number, seconds: number, cpu?: string): Promise<ClientRun>;
export function runNodeClient(port: number, seconds: number): Promise<ClientRun>;
export function runNormalClient(port: number, seconds: number, preferWrk: boolean, cpu?: string): Promise<ClientRun>;
