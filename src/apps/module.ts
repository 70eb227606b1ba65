/**
 * `seal serve --module FILE`: the application FILE's default export describes.
 *
 * - an object with a `fetch` method — a fetch-style application (`export default { fetch }`,
 *   `export default app` for Hono) — runs through the fetch adapter (`toHandler`);
 * - a function is a Seal handler, `(request, response) => …`, called as it is.
 *
 * FILE is resolved from the current folder and imported by its file: URL, so any ES module node
 * can load (.js in a "type": "module" package, .mjs) will do.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { toHandler } from '../adapters/fetch.js';
import type { Handler } from '../http/options.js';

/** FILE cannot be served: missing, failing to load, or exporting nothing a server can run. */
export class ModuleError extends Error {
  override name = 'ModuleError';
}

/** The first line of an error's message: the command reports one line. */
function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n', 1)[0] ?? '';
}

export async function moduleHandler(file: string, cwd = process.cwd()): Promise<Handler> {
  const path = resolve(cwd, file);
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new ModuleError(`--module ${file}: no such file`);
  }
  if (!isFile) throw new ModuleError(`--module ${file}: not a file`);
  let exports: { default?: unknown };
  try {
    exports = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (error) {
    throw new ModuleError(`--module ${file} could not be loaded: ${firstLine(error)}`);
  }
  const app = exports.default;
  if (app === undefined) throw new ModuleError(`--module ${file} has no default export`);
  if (typeof app === 'function') return app as Handler;
  if (typeof app === 'object' && app !== null && typeof (app as { fetch?: unknown }).fetch === 'function') {
    return toHandler(app as Parameters<typeof toHandler>[0]);
  }
  throw new ModuleError(`--module ${file}: the default export must be a fetch application ({ fetch(request) }) or a handler function`);
}
