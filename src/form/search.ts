/**
 * A streaming needle search: Boyer–Moore–Horspool with a 256-entry skip table, over input that
 * arrives in chunks split anywhere, as streamsearch does for busboy.
 *
 * Pull contract: `step(buf, pos, end)` looks at buf[pos, end) and reports one event — a run of
 * bytes that are not part of a match (DATA), a MATCH, or NOTHING yet — and returns the new
 * position. The caller handles the event and calls again from there, so it may stop between any
 * two events (backpressure) and nothing but scalars survives between calls.
 *
 * The lookbehind. Bytes at the end of a chunk that could begin the needle must be held back until
 * the next chunk says whether they do. streamsearch copies them into a lookbehind buffer. But held
 * bytes are always a proper prefix of the needle — otherwise they could not begin a match — so
 * this search keeps only their count, `held`. When later bytes show they were data after all, it
 * hands them out from its own copy of the needle, with `isDataSafe` false. Every other data run is
 * a view of the caller's chunk (`isDataSafe` true: the caller may keep it without copying, for as
 * long as it keeps the chunk). No input byte is ever copied.
 *
 * Cost. For a needle whose first byte occurs nowhere else in it — a multipart delimiter starts
 * with the only CR it has — no held prefix has a border, a held run is compared once as it arrives
 * and once more after a mismatch, and every comparison from the window's start stops at the next
 * CR: the work is O(input) however the input is split. Periodic needles cost up to O(needle) per
 * byte, as in any Horspool search.
 *
 * This module imports nothing from `node:`: it works on any Uint8Array.
 */

export const Found = {
  /** No event: the bytes were consumed and are held back as a possible start of the needle. */
  NOTHING: 0,
  /** `dataBuf[dataStart, dataEnd)` is not part of a match. */
  DATA: 1,
  /** The needle, ending just before the returned position. */
  MATCH: 2,
} as const;
export type Found = (typeof Found)[keyof typeof Found];

/** Below this many windows one Horspool chain is as fast as two. */
const DUAL_CHAIN_MIN_WINDOWS = 512;

/** Needles up to 255 bytes, so that a skip fits a byte. A multipart delimiter is at most 74. */
export const MAX_NEEDLE_LENGTH = 255;

export class StreamSearch {
  readonly needle: Uint8Array;
  /** How many bytes at the end of the input so far are held back: they equal needle[0, held). */
  held = 0;

  /** The event of the last step. */
  found: Found = Found.NOTHING;
  /** For DATA: where the bytes are. Valid until the next call when `isDataSafe` is false. */
  dataBuf: Uint8Array;
  dataStart = 0;
  dataEnd = 0;
  /** For DATA: true when dataBuf is the caller's chunk, false when it is this search's copy of the needle. */
  isDataSafe = true;

  /** Horspool's bad-character table: how far the window may move when its last byte is `b`. */
  private readonly skip: Uint8Array;
  /** border[h]: the longest proper prefix of needle[0, h) that is also its suffix (KMP). */
  private readonly border: Uint8Array;
  /** What held bytes are handed out from: never read by the search, so a caller cannot corrupt it. */
  private readonly lookbehind: Uint8Array;
  /** A match the last step found and reported the data before: the next step starts on it. */
  private matchAt = -1;
  private matchIn: Uint8Array | null = null;
  /** Set by leftmostMatch when it finds none. */
  private scanned = 0;

  constructor(needle: Uint8Array) {
    const n = needle.length;
    if (n < 1 || n > MAX_NEEDLE_LENGTH) throw new RangeError(`a needle is 1 to ${MAX_NEEDLE_LENGTH} bytes`);
    this.needle = needle.slice();
    this.lookbehind = needle.slice();
    this.dataBuf = this.lookbehind;
    this.skip = new Uint8Array(256).fill(n);
    for (let i = 0; i < n - 1; i++) this.skip[needle[i]!] = n - 1 - i;
    this.border = new Uint8Array(n);
    for (let h = 2, k = 0; h < n; h++) {
      // border[h] extends the border of needle[0, h - 1) by needle[h - 1] when it can.
      while (k > 0 && needle[h - 1] !== needle[k]) k = this.border[k]!;
      if (needle[h - 1] === needle[k]) k++;
      this.border[h] = k;
    }
  }

  /**
   * Forgets the input. With `held`, behaves as if the input so far ended with needle[0, held):
   * multipart starts with an implied CRLF, so that the first delimiter may open the body.
   */
  reset(held = 0): void {
    if (held < 0 || held >= this.needle.length || !Number.isInteger(held)) throw new RangeError('held must be shorter than the needle');
    this.held = held;
    this.found = Found.NOTHING;
    this.matchIn = null;
  }

  /**
   * Forgets a match found ahead of the reported data, so the next step compares those bytes again.
   * For callers that may hand back a chunk whose bytes changed in between (a reused read buffer).
   */
  rescan(): void {
    this.matchIn = null;
  }

  /**
   * Searches buf[pos, end) (pos < end) and reports one event in `found`. Returns the position to
   * continue from: after a MATCH, just past the needle; after DATA from the held bytes, `pos`
   * itself (no byte of this chunk was consumed).
   */
  step(buf: Uint8Array, pos: number, end: number): number {
    const needle = this.needle;
    const n = needle.length;
    const held = this.held;

    if (pos === this.matchAt && buf === this.matchIn && pos + n <= end) {
      // The match found by the last step, after the data it reported.
      this.matchIn = null;
      this.found = Found.MATCH;
      return pos + n;
    }
    if (held > 0) {
      // Go on matching the needle from where the held bytes left off.
      const want = n - held;
      const have = end - pos < want ? end - pos : want;
      let i = 0;
      while (i < have && buf[pos + i] === needle[held + i]) i++;
      if (i === want) {
        this.held = 0;
        this.found = Found.MATCH;
        return pos + want;
      }
      if (i === have) {
        this.held = held + have;
        this.found = Found.NOTHING;
        return end;
      }
      // A mismatch: the held bytes up to their longest border cannot begin a match. The chunk's
      // bytes are not consumed yet; the next step compares them again against the shorter border.
      const keep = this.border[held]!;
      this.held = keep;
      return this.data(this.lookbehind, 0, held - keep, false, pos);
    }

    // Horspool over the chunk's windows pos..stop.
    const stop = end - n;
    const at = stop >= pos ? this.leftmostMatch(buf, pos, stop) : -1;
    if (at >= 0) {
      if (at > pos) {
        this.matchAt = at;
        this.matchIn = buf;
        return this.data(buf, pos, at, true, at);
      }
      this.found = Found.MATCH;
      return at + n;
    }
    let m = stop >= pos ? this.scanned : pos;

    // Fewer than n bytes are left after m: hold back the earliest tail that begins the needle.
    const first = needle[0]!;
    for (; m < end; m++) {
      if (buf[m] !== first) continue;
      let j = 1;
      while (m + j < end && buf[m + j] === needle[j]) j++;
      if (m + j === end) break;
    }
    this.held = end - m;
    if (m > pos) return this.data(buf, pos, m, true, end);
    this.found = Found.NOTHING;
    return end;
  }

  /**
   * The leftmost window in [pos, stop] where the needle is, or -1; then `scanned` is where the
   * windows not yet ruled out begin (past stop). Horspool: compare the window's last byte first,
   * skip by the table. Long runs are searched as two halves at once: the two chains of loads do
   * not wait on each other, which about doubles the speed (each chain alone is bound by the
   * latency of its load → table → add cycle, not by memory bandwidth).
   */
  private leftmostMatch(buf: Uint8Array, pos: number, stop: number): number {
    const last = this.needle.length - 1;
    const lastByte = this.needle[last]!;
    const skip = this.skip;
    let a = pos;
    if (stop - pos >= DUAL_CHAIN_MIN_WINDOWS) {
      const mid = pos + ((stop - pos + 1) >> 1);
      let b = mid;
      while (a < mid && b <= stop) {
        const x = buf[a + last]!;
        const y = buf[b + last]!;
        if (x === lastByte && this.matchesAt(buf, a)) return a;
        if (y === lastByte && this.matchesAt(buf, b)) {
          // A match in the first half would be further left: finish that half first.
          while (a < mid) {
            const z = buf[a + last]!;
            if (z === lastByte && this.matchesAt(buf, a)) return a;
            a += skip[z]!;
          }
          return b;
        }
        a += skip[x]!;
        b += skip[y]!;
      }
      while (a < mid) {
        const z = buf[a + last]!;
        if (z === lastByte && this.matchesAt(buf, a)) return a;
        a += skip[z]!;
      }
      // No window before a nor in [mid, b) holds the needle, and a ≥ mid.
      if (b > a) a = b;
    }
    while (a <= stop) {
      const z = buf[a + last]!;
      if (z === lastByte && this.matchesAt(buf, a)) return a;
      a += skip[z]!;
    }
    this.scanned = a;
    return -1;
  }

  /** Whether buf holds the needle at m, given that its last byte is there. */
  private matchesAt(buf: Uint8Array, m: number): boolean {
    const needle = this.needle;
    const last = needle.length - 1;
    let j = 0;
    while (j < last && buf[m + j] === needle[j]) j++;
    return j === last;
  }

  private data(buf: Uint8Array, start: number, end: number, safe: boolean, next: number): number {
    this.found = Found.DATA;
    this.dataBuf = buf;
    this.dataStart = start;
    this.dataEnd = end;
    this.isDataSafe = safe;
    return next;
  }
}
