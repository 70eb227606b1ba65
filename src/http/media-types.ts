/**
 * Media types by file-name extension, for the static file server and anyone else naming what a
 * file holds. The table is the IANA registrations browsers act on (RFC 9239 for JavaScript,
 * RFC 8081 for fonts, RFC 7763 for Markdown, RFC 4180 for CSV); an unknown extension is
 * `application/octet-stream` (RFC 9110 §8.3: a recipient treats content of unknown type as that).
 *
 * Text types get `charset=utf-8`: a browser that is not told guesses (windows-1252 for text/plain),
 * and UTF-8 is what files written today hold. This module imports nothing.
 */

/** What content of an unknown type is (RFC 9110 §8.3, RFC 2046 §4.5.1). */
export const DEFAULT_MEDIA_TYPE = 'application/octet-stream';

/** The parameter added to textual types. */
export const UTF8_CHARSET = 'charset=utf-8';

/** Extension (lower case, without the dot) → media type, without parameters. */
export const MEDIA_TYPES: ReadonlyMap<string, string> = new Map([
  // Documents and text
  ['html', 'text/html'],
  ['htm', 'text/html'],
  ['css', 'text/css'],
  ['js', 'text/javascript'], // RFC 9239 §6: text/javascript, not application/javascript
  ['mjs', 'text/javascript'],
  ['cjs', 'text/javascript'],
  ['json', 'application/json'],
  ['map', 'application/json'], // source maps are JSON
  ['webmanifest', 'application/manifest+json'],
  ['txt', 'text/plain'],
  ['text', 'text/plain'],
  ['md', 'text/markdown'],
  ['markdown', 'text/markdown'],
  ['csv', 'text/csv'],
  ['tsv', 'text/tab-separated-values'],
  ['xml', 'application/xml'], // RFC 7303 §4.1 prefers it to text/xml
  ['xhtml', 'application/xhtml+xml'],
  ['pdf', 'application/pdf'],
  ['wasm', 'application/wasm'],
  // Images
  ['png', 'image/png'],
  ['jpg', 'image/jpeg'],
  ['jpeg', 'image/jpeg'],
  ['gif', 'image/gif'],
  ['svg', 'image/svg+xml'],
  ['webp', 'image/webp'],
  ['avif', 'image/avif'],
  ['ico', 'image/vnd.microsoft.icon'],
  ['bmp', 'image/bmp'],
  // Audio and video
  ['mp4', 'video/mp4'],
  ['m4v', 'video/mp4'],
  ['webm', 'video/webm'],
  ['ogv', 'video/ogg'],
  ['wav', 'audio/wav'],
  ['mp3', 'audio/mpeg'],
  ['m4a', 'audio/mp4'],
  ['ogg', 'audio/ogg'],
  ['oga', 'audio/ogg'],
  ['opus', 'audio/ogg'],
  ['flac', 'audio/flac'],
  // Fonts (RFC 8081)
  ['woff', 'font/woff'],
  ['woff2', 'font/woff2'],
  ['ttf', 'font/ttf'],
  ['otf', 'font/otf'],
  // Archives
  ['zip', 'application/zip'],
  ['gz', 'application/gzip'],
  ['tar', 'application/x-tar'],
]);

/**
 * Types whose content is text a browser decodes with a charset: every text/* one, and the
 * JSON ones (RFC 8259 §8.1 makes JSON UTF-8 anyway; the parameter only stops old clients guessing).
 * XML and SVG are left alone: an XML document names its own encoding in its prolog
 * (RFC 7303 §3.2), which a charset parameter would override.
 */
function isTextual(type: string): boolean {
  return type.startsWith('text/') || type === 'application/json' || type === 'application/manifest+json';
}

/** The extension of the last segment of `name`, lower case, without the dot ("" when there is none). */
export function extensionOf(name: string): string {
  const slash = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
  const dot = name.lastIndexOf('.');
  // ".bashrc" is a name, not an extension; "a." has an empty one.
  if (dot <= slash + 1) return '';
  return name.slice(dot + 1).toLowerCase();
}

/** The media type for a file name, with `charset=utf-8` on text types; unknown → application/octet-stream. */
export function mediaTypeOf(name: string): string {
  const type = MEDIA_TYPES.get(extensionOf(name));
  if (type === undefined) return DEFAULT_MEDIA_TYPE;
  return isTextual(type) ? `${type}; ${UTF8_CHARSET}` : type;
}
