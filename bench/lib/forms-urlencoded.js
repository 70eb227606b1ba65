/**
 * application/x-www-form-urlencoded for the forms suite: two inputs, and the parsers under
 * comparison, each reduced to the same reading (a list of [name, value] in order) so the suite
 * can check they all read an input alike before timing them.
 *
 * - Seal's parseUrlencoded(text), and parseUrlencodedBytes over the body's bytes (what a server holding
 *   a whole body has; UrlencodedParser, the same parser, when the body streams in chunks).
 * - URLSearchParams (WHATWG; Node's own), node:querystring, fast-querystring.
 * Each is timed producing its own natural result; Seal's is the richest to build: a
 * null-prototype object with every value in a list.
 */
import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';
import querystring from 'node:querystring';
import { parseUrlencoded, parseUrlencodedBytes } from '../../dist/form/urlencoded.js';

const require = createRequire(import.meta.url);
/** @type {{ parse(input: string): Record<string, string | string[]> }} */
const fastQuerystring = require('fast-querystring');

/**
 * @typedef {{ name: string, description: string, text: string, bytes: Buffer }} Input
 */

/** A search form's query: five fields, "+" for spaces, one escape (59 bytes). */
const SHORT = 'q=seal+http+server&lang=en-US&page=2&sort=desc&filter=a%2Cb';

/**
 * A long form post: 200 fields, ~8 KiB. Most values plain, one in five with "+" for spaces, one in
 * five with escaped UTF-8 and punctuation, as browsers encode them.
 */
function longForm() {
  const fields = [];
  for (let i = 0; i < 200; i++) {
    const name = `field_${String(i).padStart(3, '0')}`;
    const value =
      i % 5 === 3 ? 'hello+world+from+a+form+body+x' : i % 5 === 4 ? 'caf%C3%A9+%26+cr%C3%A8me+br%C3%BBl%C3%A9e' : 'abcdefghijklmnopqrstuvwxyz0123';
    fields.push(`${name}=${value}`);
  }
  return fields.join('&');
}

/** @returns {Input[]} */
export function urlencodedInputs() {
  const long = longForm();
  return [
    { name: 'short', description: `a search query, 5 fields (${SHORT.length} B)`, text: SHORT, bytes: Buffer.from(SHORT) },
    { name: 'long', description: `a form post, 200 fields (${long.length} B)`, text: long, bytes: Buffer.from(long) },
  ];
}

/** Seal over the body's bytes, fields collected: what a server holding the whole body does. */
export function sealBytes(bytes) {
  return parseUrlencodedBytes(bytes);
}

/** Each parser, on a string (`text`) or on the body's bytes, as a peer must turn them to text first. */
export const urlencodedParsers = {
  seal: (text) => parseUrlencoded(text),
  URLSearchParams: (text) => new URLSearchParams(text),
  'node:querystring': (text) => querystring.parse(text),
  'fast-querystring': (text) => fastQuerystring.parse(text),
};

export const urlencodedByteParsers = {
  seal: (bytes) => sealBytes(bytes),
  URLSearchParams: (bytes) => new URLSearchParams(bytes.toString('utf8')),
  'node:querystring': (bytes) => querystring.parse(bytes.toString('utf8')),
  'fast-querystring': (bytes) => fastQuerystring.parse(bytes.toString('utf8')),
};

/** Any parser's result as [name, value] pairs, grouped by name in first-seen order. */
export function pairsOf(result) {
  if (result instanceof URLSearchParams) {
    const grouped = new Map();
    for (const [name, value] of result) grouped.set(name, [...(grouped.get(name) ?? []), value]);
    return Array.from(grouped, ([name, values]) => values.map((value) => [name, value])).flat();
  }
  return Object.keys(result).flatMap((name) => {
    const value = result[name];
    return (Array.isArray(value) ? value : [value]).map((v) => [name, v]);
  });
}
