/**
 * Replays multipart bodies through MultipartParser whole, one byte at a time, at seeded random
 * splits, pausing at every event, and between garbage that is scribbled over once a chunk is done;
 * checks the push contract on the way and that every replay gives the same log (STYLE.md 13).
 */
import { expect } from 'vitest';
import { FormError, FormErrorCode } from '../../src/form/errors.ts';
import { resolveMultipartLimits, type MultipartLimits } from '../../src/form/limits.ts';
import { MultipartParser, type MultipartSink, type PartInfo } from '../../src/form/multipart.ts';

export interface Piece {
  buf: Uint8Array;
  start: number;
  end: number;
}

export interface PartLog {
  name: string;
  filename: string | undefined;
  contentType: string;
  charset: string | undefined;
  transferEncoding: string | undefined;
  headers: [string, string][];
  /** The part's bytes as latin1 text; left out of compared logs for a part cut short by an error. */
  data?: string;
  complete: boolean;
}

export interface FormLog {
  parts: PartLog[];
  /** onEnd was called: the close delimiter was seen. */
  ended: boolean;
  error: { code: FormErrorCode; status: number; offset: number } | null;
  /** What finish() returned, or null when it was not called. */
  finished: boolean | null;
}

const ERROR_CODES = new Set<string>(Object.values(FormErrorCode));

/** Latin-1 text as bytes, one per character. */
export function bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw new RangeError(`not a latin1 character at ${i}`);
    out[i] = c;
  }
  return out;
}

export function latin1(buf: Uint8Array, start = 0, end = buf.length): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!);
  return s;
}

/** UTF-8 text as a latin1 string of its bytes, to write bodies that mix text and raw bytes. */
export function utf8Latin1(text: string): string {
  return latin1(new TextEncoder().encode(text));
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

export function hash(input: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of input) h = Math.imul(h ^ b, 0x01000193);
  return h >>> 0;
}

/** The input cut at the given positions. */
export function splitAt(input: Uint8Array, cuts: readonly number[]): Piece[] {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < input.length))].sort((a, b) => a - b);
  const pieces: Piece[] = [];
  let from = 0;
  for (const to of [...points, input.length]) {
    if (to > from) pieces.push({ buf: input.slice(from, to), start: 0, end: to - from });
    from = to;
  }
  return pieces;
}

export function oneBytePieces(input: Uint8Array): Piece[] {
  return splitAt(input, Array.from(input, (_, i) => i));
}

export function randomCuts(length: number, random: () => number, most = 12): number[] {
  const count = 1 + Math.floor(random() * Math.min(most, Math.max(1, length / 3)));
  return Array.from({ length: count }, () => Math.floor(random() * length));
}

/** Bytes that mean something to the parser: CR, LF, "-", SP, HTAB, ":", quotes, boundary letters. */
const MEANINGFUL = bytes('\r\n-- \t:;"=\\abcdefXYZ\x00\xff');
export type Garbage = (random: () => number) => number;
export const MEANINGFUL_GARBAGE: Garbage = (random) => MEANINGFUL[Math.floor(random() * MEANINGFUL.length)]!;
export const RANDOM_GARBAGE: Garbage = (random) => Math.floor(random() * 256);

/** Each piece copied between garbage; scribble() overwrites a buffer once the parser is done with it. */
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

/** Records events, checks they come in a possible order and that data is what the contract says. */
export class RecordingSink implements MultipartSink {
  readonly parts: PartLog[] = [];
  ended = false;
  error: FormError | null = null;
  /** The piece being executed, for checking views. */
  current: Piece | null = null;
  /** Events seen during the current execute() call. */
  events = 0;
  private partBytes = 0;
  private totalFieldBytes = 0;
  private data: string[] = [];

  constructor(
    private readonly limits: MultipartLimits,
    private readonly needleLength: number,
    private readonly pause: boolean,
  ) {}

  private open(): PartLog {
    const last = this.parts[this.parts.length - 1];
    if (last === undefined || last.complete || this.error !== null || this.ended) throw new Error('an event outside a part');
    return last;
  }

  onPartBegin(part: PartInfo): boolean {
    this.events++;
    const last = this.parts[this.parts.length - 1];
    if ((last !== undefined && !last.complete) || this.ended || this.error !== null) throw new Error('a part began inside another');
    this.parts.push({ ...part, headers: part.headers.map(([n, v]) => [n, v]), data: '', complete: false });
    this.data = [];
    this.partBytes = 0;
    const files = this.parts.filter((p) => p.filename !== undefined).length;
    if (this.parts.length > this.limits.maxParts) throw new Error('maxParts exceeded');
    if (files > this.limits.maxFiles || this.parts.length - files > this.limits.maxFields) throw new Error('maxFiles or maxFields exceeded');
    return this.pause;
  }

  onPartData(buf: Uint8Array, start: number, end: number, isView: boolean): boolean {
    this.events++;
    const part = this.open();
    if (!(start < end)) throw new Error(`empty onPartData(${start}, ${end})`);
    const piece = this.current;
    if (isView) {
      // Zero-copy: a view of the chunk being executed, inside [start, end).
      if (piece === null || buf !== piece.buf || start < piece.start || end > piece.end) throw new Error(`onPartData(${start}, ${end}) is not a view of the chunk`);
    } else {
      // Only held-back bytes, fewer than the delimiter, come from elsewhere.
      if (piece !== null && buf === piece.buf) throw new Error('a view of the chunk flagged as not a view');
      if (end - start >= this.needleLength) throw new Error('a non-view data run as long as the delimiter');
    }
    this.data.push(latin1(buf, start, end));
    this.partBytes += end - start;
    if (part.filename === undefined) {
      this.totalFieldBytes += end - start;
      if (this.partBytes > this.limits.maxFieldBytes || this.totalFieldBytes > this.limits.maxTotalFieldBytes) throw new Error('a field limit exceeded');
    } else if (this.partBytes > this.limits.maxFileBytes) {
      throw new Error('maxFileBytes exceeded');
    }
    return this.pause;
  }

  onPartEnd(): boolean {
    this.events++;
    const part = this.open();
    part.data = this.data.join('');
    part.complete = true;
    return this.pause;
  }

  onEnd(): void {
    this.events++;
    const last = this.parts[this.parts.length - 1];
    if ((last !== undefined && !last.complete) || this.ended || this.error !== null) throw new Error('onEnd inside a part or twice');
    this.ended = true;
  }

  onError(error: FormError): void {
    this.events++;
    if (this.error !== null || this.ended) throw new Error('onError after the end or twice');
    this.error = error;
  }
}

export interface RunOptions {
  limits?: Partial<MultipartLimits>;
  pauseAlways?: boolean;
  finish?: boolean;
  afterPiece?: (piece: Piece) => void;
}

/**
 * Feeds the pieces to a new parser, in order, re-feeding the unread tail after a pause, and returns
 * the log. Checks execute(): it returns at most what it was given, makes progress unless an event
 * or an error stopped it, and after an error consumes nothing and keeps the same error.
 */
export function runPieces(boundary: string, pieces: Iterable<Piece>, options: RunOptions = {}): FormLog {
  const limits = resolveMultipartLimits(options.limits);
  const sink = new RecordingSink(limits, boundary.length + 4, options.pauseAlways === true);
  const parser = new MultipartParser(boundary, sink, options.limits);
  let error: FormError | null = null;
  for (const piece of pieces) {
    let start = piece.start;
    while (start < piece.end) {
      sink.current = { buf: piece.buf, start, end: piece.end };
      sink.events = 0;
      const n = parser.execute(piece.buf, start, piece.end);
      sink.current = null;
      if (!Number.isInteger(n) || n < 0 || n > piece.end - start) throw new Error(`execute returned ${n} for ${piece.end - start} bytes`);
      start += n;
      if (error !== null) {
        if (n !== 0 || parser.error !== error) throw new Error('an error did not stay sticky');
        break;
      }
      if (parser.error !== null) {
        error = parser.error;
        checkError(error);
        if (sink.error !== error) throw new Error('the sink was not told of the error');
        break;
      }
      if (n === 0 && sink.events === 0) throw new Error('execute made no progress without an event');
    }
    options.afterPiece?.(piece);
  }
  let finished: boolean | null = null;
  if (options.finish !== false) {
    finished = parser.finish();
    if (finished !== (parser.error === null) || finished !== parser.done) throw new Error('finish() disagrees with error and done');
    if (error === null && parser.error !== null) {
      error = parser.error;
      checkError(error);
      if (sink.error !== error) throw new Error('the sink was not told of the error');
    }
  }
  const parts = sink.parts.map((part) => (part.complete ? part : { ...part, data: undefined }));
  for (const part of parts) if (part.data === undefined) delete part.data;
  return {
    parts,
    ended: sink.ended,
    error: error === null ? null : { code: error.code, status: error.status, offset: error.offset },
    finished,
  };
}

function checkError(error: FormError): void {
  if (!(error instanceof FormError) || !ERROR_CODES.has(error.code)) throw new Error(`not a FormError: ${String(error)}`);
}

export interface ReplayOptions {
  limits?: Partial<MultipartLimits>;
  /** How many seeded random splits to try (default 4). */
  randomSplits?: number;
  /** Also one byte per chunk (default true; long bodies may turn it off). */
  oneByte?: boolean;
}

/** Parses `input` whole and in every layout above; asserts every replay gives the same log and returns it. */
export function replay(boundary: string, input: Uint8Array | string, options: ReplayOptions = {}): FormLog {
  const data = typeof input === 'string' ? bytes(input) : input;
  const limits = options.limits;
  const random = prng(hash(data));
  const whole = (): Piece[] => [{ buf: data.slice(), start: 0, end: data.length }];
  const reference = runPieces(boundary, whole(), { limits });
  const oneByte = options.oneByte !== false;

  const variants: [string, Piece[], RunOptions][] = [['whole, pausing at every event', whole(), { limits, pauseAlways: true }]];
  if (oneByte) {
    variants.push(['one byte per chunk', oneBytePieces(data), { limits }]);
    variants.push(['one byte per chunk, pausing at every event', oneBytePieces(data), { limits, pauseAlways: true }]);
  }
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
      ['random split', splitAt(data, randomCuts(data.length, random))],
    ];
    if (oneByte) layouts.push(['one byte per chunk', oneBytePieces(data)]);
    for (const [layout, pieces] of layouts) {
      const padded = padPieces(pieces, garbage, random);
      variants.push([`${layout} between ${kind} garbage`, padded.pieces, { limits, afterPiece: padded.scribble }]);
    }
  }
  for (const [name, pieces, runOptions] of variants) {
    expect(runPieces(boundary, pieces, runOptions), `replayed ${name}`).toEqual(reference);
  }
  return reference;
}

/**
 * Marks where an error is expected in table inputs: written into the text, removed from the
 * bytes; its position is the offset the error must report. No body byte here is U+23DA.
 */
export const AT = '\u23da';

export function marked(input: string): { text: string; at: number } {
  const at = input.indexOf(AT);
  if (at < 0 || input.indexOf(AT, at + 1) >= 0) throw new Error('a refusal case needs exactly one AT marker');
  return { text: input.slice(0, at) + input.slice(at + AT.length), at };
}
