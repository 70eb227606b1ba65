/**
 * Replays urlencoded bodies through UrlencodedParser in every way the push contract allows — whole,
 * cut at every byte position, one byte per chunk, at seeded random splits, and between garbage that
 * is scribbled over once a chunk is done — checks the contract on the way, and asserts that every
 * replay reads the same (STYLE.md 13).
 */
import { expect } from 'vitest';
import { FormError, FormErrorCode } from '../../src/form/errors.ts';
import { resolveUrlencodedLimits, UrlencodedParser, type UrlencodedLimits, type UrlencodedSink } from '../../src/form/urlencoded.ts';
import { MEANINGFUL_GARBAGE, RANDOM_GARBAGE, oneBytePieces, padPieces, prng, randomCuts, splitAt, hash, type Garbage, type Piece } from './support.ts';

export interface UrlencodedLog {
  /** The fields, [name, value], in the order the sink got them. */
  fields: [string, string][];
  error: { code: FormErrorCode; status: number; offset: number } | null;
  /** What finish() returned, or null when it was not called. */
  finished: boolean | null;
}

export interface RunOptions {
  keepBlankValues?: boolean;
  limits?: Partial<UrlencodedLimits>;
  /** Call finish() after the last piece (default true). */
  finish?: boolean;
  afterPiece?: (piece: Piece) => void;
}

const ERROR_CODES = new Set<string>(Object.values(FormErrorCode));

/** Records fields, and checks they never break a limit and never follow an error. */
class RecordingSink implements UrlencodedSink {
  readonly fields: [string, string][] = [];
  error: FormError | null = null;

  constructor(private readonly limits: UrlencodedLimits) {}

  onField(name: string, value: string): void {
    if (this.error !== null) throw new Error('a field after the error');
    if (typeof name !== 'string' || typeof value !== 'string') throw new Error('a field that is not two strings');
    this.fields.push([name, value]);
    // A byte decodes to at most one UTF-16 code unit (a 4-byte sequence to two), so the decoded
    // text is never longer than the bytes that were sent and limited.
    if (this.fields.length > this.limits.maxFields) throw new Error('maxFields exceeded');
    if (name.length > this.limits.maxFieldNameBytes) throw new Error('maxFieldNameBytes exceeded');
    if (value.length > this.limits.maxFieldBytes) throw new Error('maxFieldBytes exceeded');
  }

  onError(error: FormError): void {
    if (this.error !== null) throw new Error('onError twice');
    this.error = error;
  }
}

/**
 * Feeds the pieces to a new parser, in order, and returns the log. Checks execute(): it consumes
 * everything it is given unless it fails, the error's offset is the bytes consumed, the error is
 * sticky, and the sink heard of it once.
 */
export function runPieces(pieces: Iterable<Piece>, options: RunOptions = {}): UrlencodedLog {
  const limits = resolveUrlencodedLimits(options.limits);
  const sink = new RecordingSink(limits);
  const parser = new UrlencodedParser(sink, { keepBlankValues: options.keepBlankValues ?? true, limits: options.limits });
  let consumed = 0;
  let error: FormError | null = null;
  for (const piece of pieces) {
    const n = parser.execute(piece.buf, piece.start, piece.end);
    if (!Number.isInteger(n) || n < 0 || n > piece.end - piece.start) throw new Error(`execute returned ${n} for ${piece.end - piece.start} bytes`);
    consumed += n;
    if (error !== null) {
      if (n !== 0 || parser.error !== error) throw new Error('an error did not stay sticky');
    } else if (parser.error !== null) {
      error = parser.error;
      if (!(error instanceof FormError) || !ERROR_CODES.has(error.code)) throw new Error(`not a FormError: ${String(error)}`);
      if (error.offset !== consumed) throw new Error(`error offset ${error.offset}, ${consumed} bytes consumed`);
      if (sink.error !== error) throw new Error('the sink was not told of the error');
    } else if (n !== piece.end - piece.start) {
      throw new Error('execute stopped early without an error');
    }
    options.afterPiece?.(piece);
  }
  let finished: boolean | null = null;
  if (options.finish !== false) {
    finished = parser.finish();
    if (finished !== (parser.error === null)) throw new Error('finish() disagrees with error');
  }
  return {
    fields: sink.fields,
    error: error === null ? null : { code: error.code, status: error.status, offset: error.offset },
    finished,
  };
}

export interface ReplayOptions {
  keepBlankValues?: boolean;
  limits?: Partial<UrlencodedLimits>;
  /** Every two-piece split (default true; long bodies may turn it off). */
  everySplit?: boolean;
}

/**
 * Parses `input` whole, at every split into two pieces, into three pieces at every pair of cuts
 * for short inputs, one byte per chunk, at random splits, and between scribbled garbage; asserts
 * every replay gives the same log and returns it.
 */
export function replay(input: Uint8Array, options: ReplayOptions = {}): UrlencodedLog {
  const run = { keepBlankValues: options.keepBlankValues, limits: options.limits };
  const whole = (): Piece[] => [{ buf: input.slice(), start: 0, end: input.length }];
  const reference = runPieces(whole(), run);
  const random = prng(hash(input));

  const variants: [string, Piece[], RunOptions][] = [['one byte per chunk', oneBytePieces(input), run]];
  if (options.everySplit !== false) {
    for (let cut = 0; cut <= input.length; cut++) variants.push([`split at ${cut}`, splitAt(input, [cut]), run]);
    // An escape straddles up to three chunks: "%", one digit, the other.
    if (input.length <= 40) {
      for (let a = 1; a < input.length; a++) {
        for (let b = a + 1; b < input.length; b++) variants.push([`split at ${a},${b}`, splitAt(input, [a, b]), run]);
      }
    }
  }
  for (let i = 0; i < 4; i++) {
    const cuts = randomCuts(input.length, random);
    variants.push([`split at ${cuts.join(',')}`, splitAt(input, cuts), run]);
  }
  const garbageKinds: [string, Garbage][] = [
    ['meaningful', (r) => MEANINGFUL[Math.floor(r() * MEANINGFUL.length)]!],
    ['multipart-meaningful', MEANINGFUL_GARBAGE],
    ['random', RANDOM_GARBAGE],
  ];
  for (const [kind, garbage] of garbageKinds) {
    const layouts: [string, Piece[]][] = [
      ['whole', whole()],
      ['one byte per chunk', oneBytePieces(input)],
      ['random split', splitAt(input, randomCuts(input.length, random))],
    ];
    for (const [layout, pieces] of layouts) {
      const padded = padPieces(pieces, garbage, random);
      variants.push([`${layout} between ${kind} garbage`, padded.pieces, { ...run, afterPiece: padded.scribble }]);
    }
  }
  for (const [name, pieces, runOptions] of variants) {
    expect(runPieces(pieces, runOptions), `replayed ${name}`).toEqual(reference);
  }
  return reference;
}

/** Bytes that mean something to this parser: separators, escapes, hex digits, a UTF-8 lead and continuation. */
const MEANINGFUL = Uint8Array.from('&=%+0aF\xc3\xa9\xe2\x82\xac\xff', (c) => c.charCodeAt(0));
