/**
 * The parts of a request-target (RFC 9112 §3.2) a handler asks for: its path, percent-decoded,
 * and its query string. Only computed when asked.
 */
import { percentDecode } from '../form/percent.js';

export interface TargetParts {
  /** The path as received (still percent-encoded), "*" for asterisk-form, "" for authority-form. */
  rawPath: string;
  /** The query without its "?", or "" when there is none. */
  query: string;
}

export function splitTarget(target: string): TargetParts {
  if (target === '*') return { rawPath: '*', query: '' };
  let pathStart = 0;
  if (target.charCodeAt(0) !== 0x2f /* / */) {
    // absolute-form: scheme "://" authority path-abempty [ "?" query ]; authority-form has no path.
    const scheme = target.indexOf(':');
    if (scheme < 0) return { rawPath: '', query: '' };
    if (target.startsWith('//', scheme + 1)) {
      const authorityStart = scheme + 3;
      let i = authorityStart;
      while (i < target.length && target[i] !== '/' && target[i] !== '?') i++;
      pathStart = i;
    } else pathStart = scheme + 1;
  }
  const q = target.indexOf('?', pathStart);
  const rawPath = q < 0 ? target.slice(pathStart) : target.slice(pathStart, q);
  return { rawPath: rawPath === '' && pathStart > 0 ? '/' : rawPath, query: q < 0 ? '' : target.slice(q + 1) };
}

/** The path with percent-escapes decoded to UTF-8 ("+" stays "+": it is a space only in queries). */
export function decodePath(rawPath: string): string {
  return percentDecode(rawPath, false);
}
