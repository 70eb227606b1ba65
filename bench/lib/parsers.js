/**
 * The three parsers under comparison, each driven the way its real user drives it and each
 * counting what it saw, so a suite can check that every parser parsed the corpus before timing it.
 *
 * - Seal's RequestParser with a sink: the lazy head untouched ("seal"), or with method, target and
 *   every field name and value decoded to strings ("seal+strings", what llhttp hands node:http).
 * - llhttp through node's own binding, with callbacks doing the minimal part of what node:http's
 *   callbacks in lib/_http_common.js do: take the strings, collect flushed headers, count body bytes.
 * - http-parser-js, the pure-JS parser, in node-compatible (positional callback) mode.
 */
import { createRequire } from 'node:module';
import { RequestParser } from '../../dist/http/parser.js';

const require = createRequire(import.meta.url);

// --- Seal ---------------------------------------------------------------------------------------

/**
 * A RequestParser with a counting sink. Both variants are one class so that the parser's calls
 * into the sink stay monomorphic, as they are in a server with one connection type.
 */
export class SealDriver {
  /**
   * @param {boolean} decodeStrings decode method, target and every field as node:http would
   * @param {import('../../dist/http/limits.js').ParserLimits} [limits]
   */
  constructor(decodeStrings, limits) {
    this.decodeStrings = decodeStrings;
    this.messages = 0;
    this.bodyBytes = 0;
    this.fields = 0;
    /** @type {import('../../dist/http/head.js').RequestHead | null} the head a connection would hold */
    this.head = null;
    /** @type {string} */
    this.method = '';
    /** @type {string} */
    this.target = '';
    this.parser = limits === undefined ? new RequestParser(this) : new RequestParser(this, limits);
  }

  /** Parses all of `buf`, as one socket read; anything short of that is a failure. */
  feed(buf) {
    const n = this.parser.execute(buf, 0, buf.length);
    if (n !== buf.length) throw this.parser.error ?? new Error(`seal consumed ${n} of ${buf.length} bytes`);
  }

  onRequestHead(head) {
    this.head = head;
    if (this.decodeStrings) {
      this.method = head.method;
      this.target = head.target;
      const fields = head.fields;
      const n = fields.length;
      // name(i) and value(i) decode and cache: the same strings llhttp's binding creates.
      for (let i = 0; i < n; i++) {
        fields.name(i);
        fields.value(i);
      }
      this.fields += n;
    }
  }

  onBody(buf, start, end) {
    this.bodyBytes += end - start;
  }

  onMessageComplete() {
    this.messages++;
  }

  resetCounters() {
    this.messages = 0;
    this.bodyBytes = 0;
    this.fields = 0;
  }
}

// --- llhttp (node's binding) --------------------------------------------------------------------

/** process.binding is deprecated (DEP0111) but is still the way to reach the parser node:http uses. */
function llhttpBinding() {
  const quiet = process.noDeprecation;
  process.noDeprecation = true;
  try {
    return process.binding('http_parser');
  } finally {
    process.noDeprecation = quiet;
  }
}

const { HTTPParser: LlhttpParser, allMethods } = llhttpBinding();
const { kOnHeaders, kOnHeadersComplete, kOnBody, kOnMessageComplete, kOnExecute } = LlhttpParser;

// The callbacks are plain functions with `this` bound to the parser, as node:http installs them.

/** The binding flushes headers here when a head has more than 32 fields (and for trailers). */
function llhttpOnHeaders(headers, url) {
  this._headers.push(...headers);
  this._url += url;
}

function llhttpOnHeadersComplete(versionMajor, versionMinor, headers, method, url, statusCode, statusMessage, upgrade, shouldKeepAlive) {
  if (headers === undefined) {
    headers = this._headers;
    this._headers = [];
  }
  if (url === undefined) {
    url = this._url;
    this._url = '';
  }
  this.method = allMethods[method];
  this.url = url;
  this.headers = headers;
  this.keepAlive = shouldKeepAlive;
  this.fields += headers.length >> 1;
  return 0;
}

function llhttpOnBody(b) {
  this.bodyBytes += b.length;
}

function llhttpOnMessageComplete() {
  if (this._headers.length > 0) {
    // Trailers arrived through kOnHeaders.
    this._headers = [];
    this._url = '';
  }
  this.messages++;
}

function llhttpOnExecute() {}

export class LlhttpDriver {
  /** @param {number} [maxHeaderSize] 0 means node's default (--max-http-header-size, 16 KiB) */
  constructor(maxHeaderSize = 0) {
    const parser = new LlhttpParser();
    // node:http's server passes a fifth argument, its ConnectionsList, which adds per-message
    // timeout bookkeeping; that belongs to the connection, not the parser, so it is left out here.
    // Lenient flags 0: strict, as node:http by default.
    parser.initialize(LlhttpParser.REQUEST, {}, maxHeaderSize, 0);
    parser._headers = [];
    parser._url = '';
    parser.method = '';
    parser.url = '';
    parser.headers = null;
    parser.keepAlive = false;
    parser.messages = 0;
    parser.bodyBytes = 0;
    parser.fields = 0;
    parser[kOnHeaders] = llhttpOnHeaders;
    parser[kOnHeadersComplete] = llhttpOnHeadersComplete;
    parser[kOnBody] = llhttpOnBody;
    parser[kOnMessageComplete] = llhttpOnMessageComplete;
    parser[kOnExecute] = llhttpOnExecute;
    this.parser = parser;
  }

  /** @param {Buffer} buf */
  feed(buf) {
    const n = this.parser.execute(buf);
    if (n !== buf.length) throw n instanceof Error ? n : new Error(`llhttp consumed ${n} of ${buf.length} bytes`);
  }

  get messages() {
    return this.parser.messages;
  }
  get bodyBytes() {
    return this.parser.bodyBytes;
  }
  get fields() {
    return this.parser.fields;
  }

  resetCounters() {
    this.parser.messages = 0;
    this.parser.bodyBytes = 0;
    this.parser.fields = 0;
  }
}

// --- http-parser-js -----------------------------------------------------------------------------

const HttpParserJs = require('http-parser-js').HTTPParser;
const httpParserJsMethods = require('http-parser-js').methods;
// Reading kOnExecute switches http-parser-js to node's positional kOnHeadersComplete arguments.
const kHpjsOnExecute = HttpParserJs.kOnExecute;

function hpjsOnHeaders(headers, url) {
  this._headers.push(...headers);
  this._url += url;
}

function hpjsOnHeadersComplete(versionMajor, versionMinor, headers, method, url, statusCode, statusMessage, upgrade, shouldKeepAlive) {
  this.method = httpParserJsMethods[method];
  this.url = url;
  this.headers = headers;
  this.keepAlive = shouldKeepAlive;
  this.fields += headers.length >> 1;
  return 0;
}

function hpjsOnBody(b, start, length) {
  this.bodyBytes += length;
}

function hpjsOnMessageComplete() {
  if (this._headers.length > 0) {
    this._headers = [];
    this._url = '';
  }
  this.messages++;
}

export class HttpParserJsDriver {
  constructor() {
    const parser = new HttpParserJs(HttpParserJs.REQUEST);
    parser._headers = [];
    parser._url = '';
    parser.method = '';
    parser.url = '';
    parser.headers = null;
    parser.keepAlive = false;
    parser.messages = 0;
    parser.bodyBytes = 0;
    parser.fields = 0;
    parser[HttpParserJs.kOnHeaders] = hpjsOnHeaders;
    parser[HttpParserJs.kOnHeadersComplete] = hpjsOnHeadersComplete;
    parser[HttpParserJs.kOnBody] = hpjsOnBody;
    parser[HttpParserJs.kOnMessageComplete] = hpjsOnMessageComplete;
    parser[kHpjsOnExecute] = llhttpOnExecute;
    this.parser = parser;
  }

  /** @param {Buffer} buf */
  feed(buf) {
    const n = this.parser.execute(buf);
    if (n !== buf.length) throw n instanceof Error ? n : new Error(`http-parser-js consumed ${n} of ${buf.length} bytes`);
  }

  get messages() {
    return this.parser.messages;
  }
  get bodyBytes() {
    return this.parser.bodyBytes;
  }
  get fields() {
    return this.parser.fields;
  }

  resetCounters() {
    this.parser.messages = 0;
    this.parser.bodyBytes = 0;
    this.parser.fields = 0;
  }
}

// --- Event logs, for checking that the parsers agree --------------------------------------------

/**
 * @typedef {{ method: string, target: string, headers: [string, string][], body: string, complete: boolean }} Message
 */

function pairsOf(flat) {
  /** @type {[string, string][]} */
  const pairs = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
  return pairs;
}

/** Every message Seal parses out of `buf`, fed as one chunk. @returns {Message[]} */
export function sealLog(buf, limits) {
  /** @type {Message[]} */
  const log = [];
  const sink = {
    onRequestHead(head) {
      log.push({ method: head.method, target: head.target, headers: head.fields.pairs(), body: '', complete: false });
    },
    onBody(b, start, end) {
      log[log.length - 1].body += Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
    },
    onMessageComplete() {
      log[log.length - 1].complete = true;
    },
  };
  const parser = limits === undefined ? new RequestParser(sink) : new RequestParser(sink, limits);
  parser.execute(buf, 0, buf.length);
  if (parser.error) throw parser.error;
  return log;
}

/** Every message llhttp parses out of `buf`. @returns {Message[]} */
export function llhttpLog(buf, maxHeaderSize = 0) {
  /** @type {Message[]} */
  const log = [];
  const parser = new LlhttpParser();
  parser.initialize(LlhttpParser.REQUEST, {}, maxHeaderSize, 0);
  let pending = [];
  let pendingUrl = '';
  parser[kOnHeaders] = (headers, url) => {
    pending.push(...headers);
    pendingUrl += url;
  };
  parser[kOnHeadersComplete] = (major, minor, headers, method, url) => {
    log.push({ method: allMethods[method], target: url ?? pendingUrl, headers: pairsOf(headers ?? pending), body: '', complete: false });
    pending = [];
    pendingUrl = '';
    return 0;
  };
  parser[kOnBody] = (b) => {
    log[log.length - 1].body += b.toString('latin1');
  };
  parser[kOnMessageComplete] = () => {
    log[log.length - 1].complete = true;
  };
  const n = parser.execute(buf);
  if (n instanceof Error) throw n;
  return log;
}

/** Every message http-parser-js parses out of `buf`. @returns {Message[]} */
export function httpParserJsLog(buf) {
  /** @type {Message[]} */
  const log = [];
  const parser = new HttpParserJs(HttpParserJs.REQUEST);
  parser[HttpParserJs.kOnHeadersComplete] = (major, minor, headers, method, url) => {
    log.push({ method: httpParserJsMethods[method], target: url, headers: pairsOf(headers), body: '', complete: false });
    return 0;
  };
  parser[HttpParserJs.kOnBody] = (b, start, length) => {
    log[log.length - 1].body += b.toString('latin1', start, start + length);
  };
  parser[HttpParserJs.kOnMessageComplete] = () => {
    log[log.length - 1].complete = true;
  };
  const n = parser.execute(buf);
  if (n instanceof Error) throw n;
  return log;
}
