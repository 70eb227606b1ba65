/**
 * The platform's own Request and Response classes, captured when this module loads, before
 * `installFetchGlobals()` replaces the globals with the adapter's; and what the platform's
 * bodies look like once read, which the adapter's Request and Response imitate.
 */
export const PlatformRequest = globalThis.Request;
export const PlatformResponse = globalThis.Response;

const noop = (): void => undefined;

/** A second read of a body, refused as undici refuses it (applications may test the message). */
export function bodyUnusable(): Promise<never> {
  return Promise.reject(new TypeError('Body is unusable: Body has already been read'));
}

/** What a body read to its end leaves behind: a closed stream, locked by its reader. */
export function spentStream(): ReadableStream<Uint8Array> {
  const spent = new ReadableStream<Uint8Array>({ start: (controller) => controller.close() });
  spent.getReader().read().then(noop, noop);
  return spent;
}
