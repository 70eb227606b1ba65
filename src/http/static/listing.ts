/**
 * The page listing a folder that has no index file: every entry a request could be answered for
 * (files and folders inside the served folder, symlinks only when they lead to one), names
 * HTML-escaped in the text and percent-encoded in the links.
 */
import { opendir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeName, isPlainName } from './paths.js';
import { isInside } from './resolve.js';

export interface ListingEntry {
  readonly name: string;
  readonly directory: boolean;
}

/** Entries listed per folder: a page of 10 000 links is already more than a person reads. */
export const MAX_LISTING_ENTRIES = 10_000;

export interface Listing {
  /** Folders first, then files, each by name. */
  readonly entries: readonly ListingEntry[];
  /** Entries left out past `MAX_LISTING_ENTRIES`. */
  readonly omitted: number;
}

/** What a symlink in the listing leads to, when that is a file or folder inside `root`. */
async function linkTarget(root: string, path: string): Promise<boolean | undefined> {
  try {
    const target = await realpath(path);
    if (!isInside(root, target)) return undefined;
    const stats = await stat(target);
    if (stats.isDirectory()) return true;
    return stats.isFile() ? false : undefined;
  } catch {
    return undefined; // a broken link or a loop: nothing to serve, nothing to list
  }
}

/**
 * Reads the folder `dir` (a real path inside the real folder `root`). Names a request could not
 * reach are left out: dotfiles unless allowed, names with control characters or backslashes,
 * symlinks leading outside `root`, and anything that is neither a file nor a folder.
 */
export async function readListing(root: string, dir: string, dotfiles: boolean, limit = MAX_LISTING_ENTRIES): Promise<Listing> {
  const entries: ListingEntry[] = [];
  let omitted = 0;
  for await (const entry of await opendir(dir)) {
    const name = entry.name;
    if ((!dotfiles && name.startsWith('.')) || !isPlainName(name)) continue;
    let directory: boolean | undefined;
    if (entry.isDirectory()) directory = true;
    else if (entry.isFile()) directory = false;
    else if (entry.isSymbolicLink()) directory = await linkTarget(root, join(dir, name));
    if (directory === undefined) continue;
    if (entries.length >= limit) omitted++;
    else entries.push({ name, directory });
  }
  entries.sort((a, b) => (a.directory !== b.directory ? (a.directory ? -1 : 1) : compareNames(a.name, b.name)));
  return { entries, omitted };
}

function compareNames(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x !== y) return x < y ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe inside HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

const STYLE =
  'body{font-family:system-ui,sans-serif;max-width:50em;margin:2em auto;padding:0 1em;line-height:1.6}' +
  'ul{list-style:none;padding:0}a{text-decoration:none}a:hover{text-decoration:underline}.more{color:#666}';

/**
 * The listing page. `title` is the folder's path as the URL names it, decoded, e.g. `/docs/`.
 * Links are relative (the folder's URL ends in "/"), one segment each.
 */
export function listingPage(title: string, listing: Listing, atRoot: boolean): string {
  const items: string[] = [];
  if (!atRoot) items.push('<li><a href="../">../</a></li>');
  for (const { name, directory } of listing.entries) {
    const suffix = directory ? '/' : '';
    items.push(`<li><a href="${escapeHtml(encodeName(name))}${suffix}">${escapeHtml(name)}${suffix}</a></li>`);
  }
  if (listing.omitted > 0) items.push(`<li class="more">… and ${listing.omitted} more not listed</li>`);
  const heading = `Index of ${escapeHtml(title)}`;
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${heading}</title><style>${STYLE}</style></head>
<body>
<h1>${heading}</h1>
<ul>
${items.join('\n')}
</ul>
</body>
</html>
`;
}

/**
 * A listing holds names anyone who could write to the folder chose: its policy allows no script
 * at all, only the page's own inline style, so a name that got past the escaping could still
 * do nothing.
 */
export const LISTING_CSP = "default-src 'none'; style-src 'unsafe-inline'";
