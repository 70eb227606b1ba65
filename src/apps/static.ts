/**
 * The `static` app (CONTRACTS.md §2): the files under `--root`, as `python -m http.server` or
 * `npx serve` would serve them, with one log line per request in http.server's layout:
 *
 *   127.0.0.1 - - [25/Nov/2025 14:03:07] "GET /notes.txt HTTP/1.1" 200 -
 */
import type { Handler } from '../http/options.js';
import type { Request } from '../http/request.js';
import { serveStatic, type StaticOptions } from '../http/static.js';

export interface StaticAppOptions extends StaticOptions {
  /** The folder to serve. */
  root: string;
  /** Where request log lines go; undefined prints nothing. */
  out?: (text: string) => void;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `25/Nov/2025 14:03:07`, local time, as http.server's log_date_time_string. */
function logTime(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(date.getDate())}/${MONTHS[date.getMonth()]}/${date.getFullYear()} ${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/** One request's log line; the target is printable ASCII (the parser admits nothing else). */
export function logLine(request: Request, status: number, date = new Date()): string {
  return `${request.client.address} - - [${logTime(date)}] "${request.method} ${request.target} HTTP/${request.version}" ${status} -\n`;
}

/** The handler; throws at once if `root` is not a folder. */
export function staticApp(options: StaticAppOptions): Handler {
  const { root, out, ...rest } = options;
  const files = serveStatic(root, rest);
  if (out === undefined) return files;
  return async (request, response) => {
    try {
      await files(request, response);
    } catch (error) {
      // The connection loop answers 500 (or the error's status) if nothing left yet.
      out(logLine(request, response.headersSent ? response.status : 500));
      throw error;
    }
    out(logLine(request, response.status));
  };
}
