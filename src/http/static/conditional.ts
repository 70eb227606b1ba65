/**
 * Conditional requests (RFC 9110 §13): HTTP-dates, entity-tags, and the order in which the
 * precondition fields are evaluated. This module imports nothing.
 */

/** The validators of a representation. */
export interface Validators {
  /** The ETag field value, e.g. `W/"3039-18c2b5e1a40"`. */
  readonly etag: string;
  /** Last-Modified in milliseconds since the epoch, a whole second (what an HTTP-date can say). */
  readonly lastModified: number;
}

/** What a request's header fields are asked for: `Fields` fits. */
export interface FieldLookup {
  get(name: string): string | undefined;
  getAll(name: string): string[];
}

/** A weak entity-tag from a file's size and modification time (RFC 9110 §8.8.3). */
export function weakEtag(size: number, mtimeMs: number): string {
  return `W/"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
}

// --- HTTP-date (RFC 9110 §5.6.7) -----------------------------------------------------------------

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = MONTHS.join('|');

/** IMF-fixdate = day-name "," SP date1 SP time-of-day SP GMT;  `Sun, 06 Nov 1994 08:49:37 GMT` */
const IMF_FIXDATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) (${MONTH}) (\\d{4}) (\\d{2}):(\\d{2}):(\\d{2}) GMT$`);
/** rfc850-date = day-name-l "," SP date2 SP time-of-day SP GMT;  `Sunday, 06-Nov-94 08:49:37 GMT` */
const RFC850_DATE = new RegExp(
  `^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-(${MONTH})-(\\d{2}) (\\d{2}):(\\d{2}):(\\d{2}) GMT$`,
);
/** asctime-date = day-name SP date3 SP time-of-day SP year;  `Sun Nov  6 08:49:37 1994` */
const ASCTIME_DATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (${MONTH}) ([ \\d]\\d) (\\d{2}):(\\d{2}):(\\d{2}) (\\d{4})$`);

function utc(year: number, month: string, day: number, hour: number, minute: number, second: number): number | undefined {
  const m = MONTHS.indexOf(month);
  // time-of-day allows second 60 (a leap second); it is taken as the next second.
  if (hour > 23 || minute > 59 || second > 60 || day < 1) return undefined;
  const time = Date.UTC(year, m, day, hour, minute, second);
  // 31 Feb does not exist: Date.UTC would roll it into March.
  if (new Date(Date.UTC(year, m, day)).getUTCDate() !== day) return undefined;
  return time;
}

/**
 * Milliseconds since the epoch for an HTTP-date in any of the three formats a recipient MUST
 * accept (RFC 9110 §5.6.7), or undefined when `text` is none of them.
 */
export function parseHttpDate(text: string, now = Date.now()): number | undefined {
  let match = IMF_FIXDATE.exec(text);
  if (match !== null) return utc(Number(match[3]), match[2]!, Number(match[1]), Number(match[4]), Number(match[5]), Number(match[6]));
  match = RFC850_DATE.exec(text);
  if (match !== null) {
    // A two-digit year more than 50 years in the future is the most recent past year with
    // those digits (§5.6.7).
    const thisYear = new Date(now).getUTCFullYear();
    let year = Math.floor(thisYear / 100) * 100 + Number(match[3]);
    if (year > thisYear + 50) year -= 100;
    return utc(year, match[2]!, Number(match[1]), Number(match[4]), Number(match[5]), Number(match[6]));
  }
  match = ASCTIME_DATE.exec(text);
  if (match !== null) return utc(Number(match[6]), match[1]!, Number(match[2]!.trim()), Number(match[3]), Number(match[4]), Number(match[5]));
  return undefined;
}

/** An IMF-fixdate for a time, e.g. for Last-Modified (RFC 9110 §5.6.7). */
export function formatHttpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

// --- entity-tags (RFC 9110 §8.8.3) ---------------------------------------------------------------

export interface EntityTag {
  readonly weak: boolean;
  /** The opaque-tag with its double quotes. */
  readonly opaque: string;
}

/**
 * `If-Match` and `If-None-Match`: "*" or 1#entity-tag, over every field line of that name.
 *   entity-tag = [ weak ] opaque-tag;  weak = %s"W/";  opaque-tag = DQUOTE *etagc DQUOTE
 *   etagc = %x21 / %x23-7E / obs-text
 * Returns undefined when a value is neither, so that the field is ignored rather than guessed at.
 */
export function parseEntityTags(values: readonly string[]): '*' | EntityTag[] | undefined {
  const tags: EntityTag[] = [];
  let star = false;
  for (const value of values) {
    let i = 0;
    const n = value.length;
    for (;;) {
      while (i < n && (value[i] === ' ' || value[i] === '\t' || value[i] === ',')) i++;
      if (i >= n) break;
      if (value[i] === '*') {
        star = true;
        i++;
        continue;
      }
      let weak = false;
      if (value.startsWith('W/', i)) {
        weak = true;
        i += 2;
      }
      if (value[i] !== '"') return undefined;
      const close = value.indexOf('"', i + 1);
      if (close < 0) return undefined;
      for (let j = i + 1; j < close; j++) {
        const c = value.charCodeAt(j);
        if (c < 0x21 || c === 0x7f || c > 0xff) return undefined;
      }
      tags.push({ weak, opaque: value.slice(i, close + 1) });
      i = close + 1;
      while (i < n && (value[i] === ' ' || value[i] === '\t')) i++;
      if (i < n && value[i] !== ',') return undefined; // members are separated by commas
    }
  }
  if (star) return tags.length === 0 ? '*' : undefined; // "*" is the whole field value, never a member
  return tags.length === 0 ? undefined : tags;
}

function parseOne(etag: string): EntityTag {
  const weak = etag.startsWith('W/');
  return { weak, opaque: weak ? etag.slice(2) : etag };
}

/** §8.8.3.2: strong comparison — both strong, same opaque-tag. */
export function strongMatch(a: EntityTag, b: EntityTag): boolean {
  return !a.weak && !b.weak && a.opaque === b.opaque;
}

/** §8.8.3.2: weak comparison — same opaque-tag, whichever is weak. */
export function weakMatch(a: EntityTag, b: EntityTag): boolean {
  return a.opaque === b.opaque;
}

// --- preconditions (RFC 9110 §13.2.2) ------------------------------------------------------------

/** What to answer: the normal response, 304 Not Modified, or 412 Precondition Failed. */
export type Precondition = 'proceed' | 'not-modified' | 'failed';

/** A date field: undefined when absent or not a valid HTTP-date (§13.1.3, §13.1.4: ignored then). */
function dateField(fields: FieldLookup, name: string): number | undefined {
  const values = fields.getAll(name);
  // More than one field line is "more than one member" of a single-valued field: ignored.
  if (values.length !== 1) return undefined;
  return parseHttpDate(values[0]!.trim());
}

/**
 * Evaluates the preconditions of a request for an existing representation, in the order of
 * RFC 9110 §13.2.2 (If-Range is the Range's business: see `rangeConditionHolds`).
 */
export function evaluatePreconditions(fields: FieldLookup, validators: Validators, method: string): Precondition {
  const current = parseOne(validators.etag);
  const getOrHead = method === 'GET' || method === 'HEAD';
  // 1. If-Match (§13.1.1): true for "*" (the representation exists) or a strong match.
  const ifMatch = parseEntityTags(fields.getAll('if-match'));
  if (ifMatch !== undefined) {
    if (ifMatch !== '*' && !ifMatch.some((tag) => strongMatch(tag, current))) return 'failed';
  } else {
    // 2. If-Unmodified-Since (§13.1.4), only without If-Match: false when modified after the date.
    const since = dateField(fields, 'if-unmodified-since');
    if (since !== undefined && validators.lastModified > since) return 'failed';
  }
  // 3. If-None-Match (§13.1.2): false for "*" or a weak match → 304 for GET/HEAD, else 412.
  const ifNoneMatch = parseEntityTags(fields.getAll('if-none-match'));
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch === '*' || ifNoneMatch.some((tag) => weakMatch(tag, current))) return getOrHead ? 'not-modified' : 'failed';
  } else if (getOrHead) {
    // 4. If-Modified-Since (§13.1.3), only for GET/HEAD without If-None-Match: false when not
    //    modified since the date → 304.
    const since = dateField(fields, 'if-modified-since');
    if (since !== undefined && validators.lastModified <= since) return 'not-modified';
  }
  return 'proceed';
}

/**
 * If-Range (§13.1.5): whether the Range may be honoured. An entity-tag must match strongly, so
 * a weak ETag (Seal's) never does and the whole representation is sent; an HTTP-date must equal
 * Last-Modified exactly. Anything else is false.
 */
export function rangeConditionHolds(ifRange: string, validators: Validators): boolean {
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/"')) {
    const tags = parseEntityTags([value]);
    return tags !== undefined && tags !== '*' && tags.length === 1 && strongMatch(tags[0]!, parseOne(validators.etag));
  }
  const date = parseHttpDate(value);
  return date !== undefined && date === validators.lastModified;
}
