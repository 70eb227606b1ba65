/**
 * application/x-www-form-urlencoded and query strings, parsed as the WHATWG URL standard's
 * urlencoded parser does (the same results as URLSearchParams): fields split on "&", name and
 * value on the first "=", "+" as space, percent-decoding to UTF-8.
 */
import { percentDecode } from './percent.js';

/** Field name → every value, in order. No prototype: `__proto__` is an ordinary field name. */
export type FieldMap = Record<string, string[]>;

export interface UrlencodedOptions {
  /** Keep fields whose value is empty (`a=` or `a`). Default true, as URLSearchParams does. */
  keepBlankValues?: boolean;
}

export function emptyFieldMap(): FieldMap {
  return Object.create(null) as FieldMap;
}

/** Parses a whole query string or urlencoded body (without a leading "?"). */
export function parseUrlencoded(text: string, options: UrlencodedOptions = {}): FieldMap {
  const keepBlank = options.keepBlankValues ?? true;
  const fields = emptyFieldMap();
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('&', start);
    if (end < 0) end = text.length;
    if (end > start) {
      let eq = text.indexOf('=', start);
      if (eq < 0 || eq > end) eq = end;
      const name = percentDecode(text, true, start, eq);
      const value = eq < end ? percentDecode(text, true, eq + 1, end) : '';
      if (keepBlank || value !== '') (fields[name] ??= []).push(value);
    }
    start = end + 1;
  }
  return fields;
}
