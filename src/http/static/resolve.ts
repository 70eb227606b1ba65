/**
 * Finding a file inside the served folder, and opening it, without ever leaving the folder.
 *
 * The names come from static/paths.ts, already free of "..", separators and NULs, and are joined
 * onto the folder's real path. That is not enough: a name inside the folder may be a symlink
 * leading out of it. So every candidate is resolved with realpath (which follows every link on
 * the way) and the result must lie within the folder's own real path; only then is it opened,
 * with O_NOFOLLOW, and the open file checked to be the one that was resolved (same device and
 * inode). A writer racing the server inside the folder (swapping a folder for a link between the
 * check and the open) is beyond what Node's file API lets a server rule out; such a swap of the
 * file itself is caught by O_NOFOLLOW and the inode check.
 */
import type { Stats } from 'node:fs';
import { constants, realpathSync, statSync } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { join, sep } from 'node:path';

export interface Refusal {
  readonly kind: 'refused';
  readonly status: 403 | 404;
}

export type Resolved = { readonly kind: 'file' | 'directory'; readonly path: string; readonly stats: Stats } | Refusal;

export interface OpenFile {
  readonly kind: 'open';
  readonly file: FileHandle;
  readonly stats: Stats;
}

const NOT_FOUND: Refusal = Object.freeze({ kind: 'refused', status: 404 });
const FORBIDDEN: Refusal = Object.freeze({ kind: 'refused', status: 403 });

/**
 * The served folder's real path. Resolved once, when the handler is made, so that a missing
 * folder is an error at start rather than a 404 on every request.
 */
export function realRoot(root: string): string {
  const real = realpathSync(root);
  if (!statSync(real).isDirectory()) throw new Error(`${root} is not a folder`);
  return real;
}

/** Whether `path` (a real path) is `root` or lies below it. */
export function isInside(root: string, path: string): boolean {
  if (path === root) return true;
  return path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** A file system error as a status: what does not exist (or cannot) is 404, what may not be read 403. */
function refusalFor(error: unknown): Refusal {
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
    case 'ENAMETOOLONG':
    case 'ELOOP':
    case 'EINVAL':
      return NOT_FOUND;
    case 'EACCES':
    case 'EPERM':
      return FORBIDDEN;
    default:
      throw error;
  }
}

/**
 * Resolves `names` below the real folder `root`: a regular file or a folder inside it, or a
 * refusal. Symlinks are followed, but a result outside `root` is 404, as is anything that is
 * neither a regular file nor a folder (a FIFO would block the reader, a device is not content).
 */
export async function resolveInside(root: string, names: readonly string[]): Promise<Resolved> {
  let path: string;
  let stats: Stats;
  try {
    path = await realpath(join(root, ...names));
    if (!isInside(root, path)) return NOT_FOUND;
    stats = await stat(path);
  } catch (error) {
    return refusalFor(error);
  }
  if (stats.isFile()) return { kind: 'file', path, stats };
  if (stats.isDirectory()) return { kind: 'directory', path, stats };
  return NOT_FOUND;
}

/** O_NONBLOCK: opening a FIFO cannot block (0 where the platform lacks it). */
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);
/** O_NOFOLLOW too, for a path realpath returned: it had no links, so a link found now was put there since. */
const RESOLVED_FLAGS = READ_FLAGS | (constants.O_NOFOLLOW ?? 0);

/**
 * Opens a regular file for reading. With `expected` (the stats `resolveInside` found), the path
 * is a resolved one: it is opened without following links and must still be that same file
 * (device and inode). Returns the handle and its current stats, or a refusal; the caller closes
 * the handle.
 */
export async function openRegularFile(path: string, expected?: Stats): Promise<OpenFile | Refusal> {
  let file: FileHandle;
  try {
    file = await open(path, expected === undefined ? READ_FLAGS : RESOLVED_FLAGS);
  } catch (error) {
    return refusalFor(error);
  }
  try {
    const stats = await file.stat();
    if (!stats.isFile() || (expected !== undefined && (stats.ino !== expected.ino || stats.dev !== expected.dev))) {
      await file.close();
      return NOT_FOUND;
    }
    return { kind: 'open', file, stats };
  } catch (error) {
    await file.close();
    throw error;
  }
}
