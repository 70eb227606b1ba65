/**
 * Runs bytes through a RequestParser and writes down what it saw as a plain, comparable log;
 * `replay` feeds the same bytes in many different ways and asserts that every way gives the same
 * log (STYLE.md, practice 13: every data test is also a split test).
 *
 * The ways: whole; one byte per chunk; at seeded random split points; each chunk placed inside a
 * larger buffer between garbage bytes (so a read before `start` or past `end` changes the result),
 * scribbled over once consumed (so a parser that keeps a reference to a chunk instead of copying
 * what it needs is caught); and with a sink that pauses at every event.
 */
import { expect } from 'vitest';
import { ErrorCode, SealError } from '../../src/http/errors.js';
import type { Fields, RequestHead } from '../../src/http/head.js';
import type { ParserLimits } from '../../src/http/limits.js';
import { RequestParser, type RequestSink } from '../../src/http/parser.js';

export interface HeadSummary {
  method: string;
  target: string;
  version: '1.0' | '1.1';
  /** [name, value] in the order received, names with their case. */
  fields: [string, string][];
  contentLength: number;
  chunked: boolean;
  keepAlive: boolean;
  expectContinue: boolean;
  unsupportedExpectation: boolean;
  upgrade: boolean;
}

export interface MessageLog {
  head: HeadSummary;
  /** Every body byte of the message, concatenated, as latin1. */
  body: string;
  trailers: [string, string][] | null;
  complete: boolean;
}

export interface ErrorLog {
  code: ErrorCode;
  status: number;
  offset: number;
}

export interface ParseLog {
  messages: MessageLog[];
  error: ErrorLog | null;
  /** Total of what every execute() call returned. */
  consumed: number;
  /** What finish() returned at the end of input, or null when it was not called. */
  finished: boolean | null;
}

/** A chunk as handed to execute(): bytes buf[start, end). */
export interface Piece {
  buf: Uint8Array;
  start: number;
  end: number;
}

export interface RunOptions {
  limits?: ParserLimits;
  /** Every sink method returns true, so execute() returns after each event. */
  pauseAlways?: boolean;
  /** Call finish() after the last piece (default true). */
  finish?: boolean;
  /** Called after each piece has been consumed: used to scribble over buffers the driver owns. */
  afterPiece?: (piece: Piece) => void;
}

const ERROR_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** Latin1 text as bytes; refuses characters that are not one byte. */
export function bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw new RangeError(`not a latin1 character at ${i}: U+${c.toString(16)}`);
    out[i] = c;
  }
  return out;
}

export function text(buf: Uint8Array, start = 0, end = buf.length): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!);
  return s;
}

function summarize(head: RequestHead): HeadSummary {
  return {
    method: head.method,
    target: head.target,
    version: head.version,
    fields: head.fields.pairs(),
    contentLength: head.contentLength,
    chunked: head.chunked,
    keepAlive: head.keepAlive,
    expectContinue: head.expectContinue,
    unsupportedExpectation: head.unsupportedExpectation,
    upgrade: head.upgrade,
  };
}

/** A sink that records events and checks that they come in a possible order, as views of the current piece. */
class RecordingSink implements RequestSink {
  readonly messages: MessageLog[] = [];
  current: Piece | null = null;
  private readonly pause: boolean;

  constructor(pause: boolean) {
    this.pause = pause;
  }

  private open(): MessageLog {
    const last = this.messages[this.messages.length - 1];
    if (last === undefined || last.complete) throw new Error('an event outside a message');
    return last;
  }

  onRequestHead(head: RequestHead): boolean {
    const last = this.messages[this.messages.length - 1];
    if (last !== undefined && !last.complete) throw new Error('a head before the previous message completed');
    this.messages.push({ head: summarize(head), body: '', trailers: null, complete: false });
    return this.pause;
  }

  onBody(buf: Uint8Array, start: number, end: number): boolean {
    const message = this.open();
    const piece = this.current;
    // Body bytes are views of the chunk being executed (zero-copy), inside [start, end).
    if (piece === null || buf !== piece.buf || start < piece.start || end > piece.end || start >= end) {
      throw new Error(`onBody(${start}, ${end}) is not a non-empty view of the chunk being executed`);
    }
    message.body += text(buf, start, end);
    return this.pause;
  }

  onTrailers(fields: Fields): void {
    const message = this.open();
    if (!message.head.chunked) throw new Error('trailers on a message that is not chunked');
    if (message.trailers !== null) throw new Error('trailers delivered twice');
    message.trailers = fields.pairs();
  }

  onMessageComplete(): boolean {
    this.open().complete = true;
    return this.pause;
  }
}

/**
 * Feeds the pieces to a new parser, in order, re-feeding the unread tail after a pause, and returns
 * the log. Checks the contract of execute() on the way: it returns at most what it was given, makes
 * progress unless it failed, records an error offset equal to the bytes consumed, and after an error
 * consumes nothing and keeps the same error.
 */
export function runPieces(pieces: Iterable<Piece>, options: RunOptions = {}): ParseLog {
  const steps = stepPieces(pieces, options);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

/**
 * Several streams, each with a parser of its own, fed a piece at a time in turn (one piece of the
 * first, one of the second, ...), as a server's connections are; returns each stream's log.
 */
export function runInterleaved(streams: readonly (readonly Piece[])[], options: RunOptions = {}): ParseLog[] {
  const steppers = streams.map((pieces) => stepPieces(pieces, options));
  const logs: (ParseLog | undefined)[] = streams.map(() => undefined);
  while (logs.some((log) => log === undefined)) {
    steppers.forEach((steps, i) => {
      if (logs[i] !== undefined) return;
      const step = steps.next();
      if (step.done === true) logs[i] = step.value;
    });
  }
  return logs as ParseLog[];
}

/** runPieces, yielding after each piece. */
function* stepPieces(pieces: Iterable<Piece>, options: RunOptions): Generator<void, ParseLog, void> {
  const sink = new RecordingSink(options.pauseAlways === true);
  const parser = new RequestParser(sink, options.limits);
  let consumed = 0;
  let error: SealError | null = null;
  for (const piece of pieces) {
    let start = piece.start;
    while (start < piece.end) {
      sink.current = { buf: piece.buf, start, end: piece.end };
      const n = parser.execute(piece.buf, start, piece.end);
      sink.current = null;
      if (!Number.isInteger(n) || n < 0 || n > piece.end - start) throw new Error(`execute returned ${n} for ${piece.end - start} bytes`);
      consumed += n;
      start += n;
      if (error !== null) {
        if (n !== 0 || parser.error !== error) throw new Error('an error did not stay sticky');
        break;
      }
      if (parser.error !== null) {
        error = parser.error;
        checkError(error);
        if (error.offset !== consumed) throw new Error(`error offset ${error.offset} but ${consumed} bytes consumed`);
        break;
      }
      if (n === 0) throw new Error('execute made no progress without an error');
    }
    options.afterPiece?.(piece);
    yield;
  }
  let finished: boolean | null = null;
  if (options.finish !== false) {
    finished = parser.finish();
    if (finished === (parser.error !== null)) throw new Error('finish() disagrees with parser.error');
    if (error === null && parser.error !== null) {
      error = parser.error;
      checkError(error);
      if (error.code !== ErrorCode.INCOMPLETE_MESSAGE || error.offset !== consumed) throw new Error('finish() failed other than at the end of input');
    }
  }
  return {
    messages: sink.messages,
    error: error === null ? null : { code: error.code, status: error.status, offset: error.offset },
    consumed,
    finished,
  };
}

function checkError(error: SealError): void {
  if (!(error instanceof SealError) || !ERROR_CODES.has(error.code)) throw new Error(`not a SealError: ${String(error)}`);
}

/** A small seeded PRNG (mulberry32), so every replay is reproducible from its input. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hash(input: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of input) h = Math.imul(h ^ b, 0x01000193);
  return h >>> 0;
}

/** The input cut at the given positions (sorted, deduplicated, inside (0, length)). */
export function splitAt(input: Uint8Array, cuts: readonly number[]): Piece[] {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < input.length))].sort((a, b) => a - b);
  const pieces: Piece[] = [];
  let from = 0;
  for (const to of [...points, input.length]) {
    pieces.push({ buf: input.slice(from, to), start: 0, end: to - from });
    from = to;
  }
  return pieces.filter((p) => p.end > p.start);
}

export function oneBytePieces(input: Uint8Array): Piece[] {
  return splitAt(input, Array.from(input, (_, i) => i));
}

function randomCuts(length: number, random: () => number): number[] {
  const count = 1 + Math.floor(random() * Math.min(12, Math.max(1, length / 3)));
  return Array.from({ length: count }, () => Math.floor(random() * length));
}

export type Garbage = (random: () => number) => number;
const MEANINGFUL = bytes('\r\n \t:;0aF"\\#\x00\xff');
/** Bytes that mean something to the parser: CR, LF, SP, HTAB, separators, a digit, letters, NUL, obs-text. */
export const MEANINGFUL_GARBAGE: Garbage = (random) => MEANINGFUL[Math.floor(random() * MEANINGFUL.length)]!;
export const RANDOM_GARBAGE: Garbage = (random) => Math.floor(random() * 256);

/**
 * Each piece copied into a larger buffer with garbage before `start` and after `end`. The
 * returned scribble() overwrites a whole buffer with new garbage once the parser is done with it.
 */
export function padPieces(pieces: readonly Piece[], garbage: Garbage, random: () => number): { pieces: Piece[]; scribble: (piece: Piece) => void } {
  const fill = (buf: Uint8Array, from: number, to: number): void => {
    for (let i = from; i < to; i++) buf[i] = garbage(random);
  };
  const padded = pieces.map((piece) => {
    const before = 1 + Math.floor(random() * 8);
    const after = 1 + Math.floor(random() * 8);
    const length = piece.end - piece.start;
    const buf = new Uint8Array(before + length + after);
    fill(buf, 0, before);
    buf.set(piece.buf.subarray(piece.start, piece.end), before);
    fill(buf, before + length, buf.length);
    return { buf, start: before, end: before + length };
  });
  return { pieces: padded, scribble: (piece) => fill(piece.buf, 0, piece.buf.length) };
}

export interface ReplayOptions {
  limits?: ParserLimits;
  /** How many seeded random splits to try (default 4). */
  randomSplits?: number;
}

/**
 * Parses `input` whole, one byte at a time, at random splits, padded between garbage and
 * scribbled over, and with a pausing sink; asserts every replay gives the same log and returns it.
 */
export function replay(input: Uint8Array | string, options: ReplayOptions = {}): ParseLog {
  const data = typeof input === 'string' ? bytes(input) : input;
  const limits = options.limits;
  const random = prng(hash(data));
  const whole = (): Piece[] => [{ buf: data.slice(), start: 0, end: data.length }];
  const reference = runPieces(whole(), { limits });

  const variants: [string, Piece[], RunOptions][] = [
    ['one byte per chunk', oneBytePieces(data), { limits }],
    ['whole, pausing at every event', whole(), { limits, pauseAlways: true }],
    ['one byte per chunk, pausing at every event', oneBytePieces(data), { limits, pauseAlways: true }],
  ];
  const randomSplits = options.randomSplits ?? 4;
  for (let i = 0; i < randomSplits; i++) {
    const cuts = randomCuts(data.length, random);
    variants.push([`split at ${cuts.join(',')}`, splitAt(data, cuts), { limits, pauseAlways: i % 2 === 1 }]);
  }
  const garbageKinds: [string, Garbage][] = [
    ['meaningful', MEANINGFUL_GARBAGE],
    ['random', RANDOM_GARBAGE],
  ];
  for (const [kind, garbage] of garbageKinds) {
    const layouts: [string, Piece[]][] = [
      ['whole', whole()],
      ['one byte per chunk', oneBytePieces(data)],
      ['random split', splitAt(data, randomCuts(data.length, random))],
    ];
    for (const [layout, pieces] of layouts) {
      const padded = padPieces(pieces, garbage, random);
      variants.push([`${layout} between ${kind} garbage`, padded.pieces, { limits, afterPiece: padded.scribble }]);
    }
  }
  for (const [name, pieces, runOptions] of variants) {
    expect(runPieces(pieces, runOptions), `replayed ${name}`).toEqual(reference);
  }
  return reference;
}

/**
 * Marks where an error is expected in table inputs: written into the text, removed from the
 * bytes, and its position is the offset the error must report. No request byte can be U+23DA.
 */
export const AT = '\u23da';

/** The input without its AT marker, and the marker's position. */
export function marked(input: string): { text: string; at: number } {
  const at = input.indexOf(AT);
  if (at < 0 || input.indexOf(AT, at + 1) >= 0) throw new Error('a refusal case needs exactly one AT marker');
  return { text: input.slice(0, at) + input.slice(at + AT.length), at };
}

/** Replays `input`, which must parse cleanly and end between requests; returns the log. */
export function expectAccepted(input: string, options: ReplayOptions = {}): ParseLog {
  const log = replay(input, options);
  expect(log.error).toBeNull();
  expect(log.finished).toBe(true);
  expect(log.messages.every((m) => m.complete)).toBe(true);
  return log;
}

/** The only message of an input that must parse cleanly. */
export function expectOne(input: string, options: ReplayOptions = {}): MessageLog {
  const log = expectAccepted(input, options);
  expect(log.messages).toHaveLength(1);
  return log.messages[0]!;
}

/**
 * Replays `input`, which holds one AT marker, and expects it refused with `code` at the marker,
 * with the status statusOf(code) gives; returns the log.
 */
export function expectRefused(input: string, code: ErrorCode, status: number, options: ReplayOptions = {}): ParseLog {
  const { text: bytesText, at } = marked(input);
  const log = replay(bytesText, options);
  expect(log.error).toEqual({ code, status, offset: at });
  expect(log.finished).toBe(false);
  return log;
}
