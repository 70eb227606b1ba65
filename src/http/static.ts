/**
 * Static files: `serveStatic(root)` is a handler serving a folder the way a person expects of a
 * small file server, and `sendFile` answers one request with one file.
 *
 *   GET/HEAD only (else 405 with Allow) · the media type from the extension · index.html for a
 *   folder, else a listing · a folder asked for without "/" is redirected to the "/" form ·
 *   ETag (weak) and Last-Modified, 304 and 412 (RFC 9110 §13) · Range: 206, multipart/byteranges,
 *   416 (RFC 9110 §14) · streamed from disk with backpressure · nothing outside the folder, ever:
 *   403 for paths that try (static/paths.ts), 404 for links leading out (static/resolve.ts).
 *
 * The parts live in static/: paths (URL → names), resolve (names → a file inside the folder),
 * conditional and range (the RFC 9110 rules, pure), send (the response), listing (the page).
 */
import type { Stats } from 'node:fs';
import type { Handler } from './options.js';
import { mediaTypeOf } from './media-types.js';
import { redirect } from './redirect.js';
import type { Request } from './request.js';
import type { Response } from './response.js';
import { splitTarget } from './target.js';
import { LISTING_CSP, listingPage, readListing } from './static/listing.js';
import { encodePath, isPlainName, parseStaticPath } from './static/paths.js';
import { MAX_RANGES } from './static/range.js';
import { openRegularFile, realRoot, resolveInside } from './static/resolve.js';
import { isGetOrHead, sendMethodNotAllowed, sendOpenFile, sendStatus, type FileResponseOptions } from './static/send.js';

export { MAX_RANGES } from './static/range.js';
export { MAX_LISTING_ENTRIES } from './static/listing.js';
export { READ_CHUNK_BYTES } from './static/send.js';

/**
 * `no-cache`: browsers keep the file but ask each time whether it changed, which costs a 304 when
 * it did not — right for a folder someone is editing, which is what a small file server serves.
 */
export const DEFAULT_CACHE_CONTROL = 'no-cache';

export interface SendFileOptions {
  /** Content-Type; default: from the file name's extension (see media-types.ts). */
  contentType?: string;
  /** Cache-Control; false for none. Default `no-cache`. */
  cacheControl?: string | false;
  /** Most ranges honoured in one request; beyond it the whole file is sent. Default 16. */
  maxRanges?: number;
}

export interface StaticOptions {
  /** The URL path the folder is served under, e.g. `/static`; default `/`. Other paths get 404. */
  prefix?: string;
  /** The file served for a folder's URL; false for none. Default `index.html`. */
  index?: string | false;
  /** List a folder without an index file (else 404). Default true. */
  listing?: boolean;
  /** Serve and list names starting with "." (`.git`, `.env`). Default false: 404, not listed. */
  dotfiles?: boolean;
  /** Cache-Control for files; false for none. Default `no-cache`. */
  cacheControl?: string | false;
  /** Most ranges honoured in one request; beyond it the whole file is sent. Default 16. */
  maxRanges?: number;
}

function checkMaxRanges(maxRanges: number): number {
  if (!Number.isSafeInteger(maxRanges) || maxRanges < 1) throw new RangeError('maxRanges must be a positive integer');
  return maxRanges;
}

/** The decoded names of a prefix such as `/static/` (["static"]). */
function prefixNames(prefix: string): string[] {
  if (!prefix.startsWith('/')) throw new TypeError('prefix must start with "/"');
  const names = prefix.split('/').filter((name) => name.length > 0);
  for (const name of names) if (!isPlainName(name)) throw new TypeError('prefix holds a "." or ".." segment or a control character');
  return names;
}

/**
 * A handler serving the files under `root` (resolved, symlinks and all, when this is called:
 * throws if it is not a folder).
 */
export function serveStatic(root: string, options: StaticOptions = {}): Handler {
  const rootPath = realRoot(root);
  const prefix = prefixNames(options.prefix ?? '/');
  const index = options.index ?? 'index.html';
  if (index !== false && !isPlainName(index)) throw new TypeError('index must be a file name');
  const listing = options.listing ?? true;
  const dotfiles = options.dotfiles ?? false;
  const cacheControl = options.cacheControl ?? DEFAULT_CACHE_CONTROL;
  const maxRanges = checkMaxRanges(options.maxRanges ?? MAX_RANGES);

  const sendFound = async (request: Request, response: Response, path: string, expected: Stats, name: string): Promise<void> => {
    const opened = await openRegularFile(path, expected);
    if (opened.kind === 'refused') return sendStatus(response, opened.status);
    try {
      await sendOpenFile(request, response, opened.file, opened.stats, { contentType: mediaTypeOf(name), cacheControl, maxRanges });
    } finally {
      await opened.file.close();
    }
  };

  return async (request, response) => {
    if (!isGetOrHead(request)) return sendMethodNotAllowed(response);
    const { rawPath, query } = splitTarget(request.target);
    const path = parseStaticPath(rawPath, { prefix, dotfiles });
    if (!path.ok) return sendStatus(response, path.status);
    const found = await resolveInside(rootPath, path.names);
    if (found.kind === 'refused') return sendStatus(response, found.status);
    if (found.kind === 'file') {
      // "/file.txt/" names a folder that is not there.
      if (path.trailingSlash) return sendStatus(response, 404);
      return sendFound(request, response, found.path, found.stats, path.names.at(-1) ?? '');
    }
    // A folder's links are relative to its URL, which must therefore end in "/". The Location is
    // rebuilt from the checked names, never copied from the request: "//evil.example" would be
    // a redirect to another site.
    const names = [...prefix, ...path.names];
    if (!path.trailingSlash) return redirect(response, encodePath(names, true) + (query.length > 0 ? `?${query}` : ''), 301);
    if (index !== false) {
      const indexFile = await resolveInside(rootPath, [...path.names, index]);
      if (indexFile.kind === 'file') return sendFound(request, response, indexFile.path, indexFile.stats, index);
      if (indexFile.kind === 'refused' && indexFile.status === 403) return sendStatus(response, 403);
    }
    if (!listing) return sendStatus(response, 404);
    const page = listingPage(listingTitle(names), await readListing(rootPath, found.path, dotfiles), path.names.length === 0);
    response.setHeader('Content-Type', 'text/html; charset=utf-8');
    response.setHeader('Cache-Control', 'no-cache');
    response.setHeader('Content-Security-Policy', LISTING_CSP);
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.end(page);
  };
}

/** The title of a listing: the folder's decoded path, ending in "/". */
function listingTitle(names: readonly string[]): string {
  return names.length === 0 ? '/' : `/${names.join('/')}/`;
}

/**
 * Answers a GET or HEAD with the file at `path` (405 for other methods, 404 when it is missing or
 * not a regular file, 403 when it may not be read), with validators, conditional requests and
 * ranges as `serveStatic` does. The caller chose the path: nothing here confines it.
 */
export async function sendFile(request: Request, response: Response, path: string, options: SendFileOptions = {}): Promise<void> {
  if (!isGetOrHead(request)) return sendMethodNotAllowed(response);
  const settings: FileResponseOptions = {
    contentType: options.contentType ?? mediaTypeOf(path),
    cacheControl: options.cacheControl ?? DEFAULT_CACHE_CONTROL,
    maxRanges: checkMaxRanges(options.maxRanges ?? MAX_RANGES),
  };
  const opened = await openRegularFile(path);
  if (opened.kind === 'refused') return sendStatus(response, opened.status);
  try {
    await sendOpenFile(request, response, opened.file, opened.stats, settings);
  } finally {
    await opened.file.close();
  }
}

// Re-exported for tests and for handlers that build their own file serving.
export { decodeSegment, parseStaticPath } from './static/paths.js';
export { parseRange, type ByteRange, type RangeRequest } from './static/range.js';
export { evaluatePreconditions, parseHttpDate, rangeConditionHolds, type Precondition, type Validators } from './static/conditional.js';
