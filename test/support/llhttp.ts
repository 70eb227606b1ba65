/**
 * Node's own llhttp, driven the way node:http drives it, as a reference for differential tests.
 *
 * Checked against Node 20 (llhttp 9) by hand before relying on it:
 * - `initialize(type, resource, maxHeaderSize, lenientFlags)`: a fifth argument must be a
 *   ConnectionsList when given, so it is left out; lenient flags 0 is llhttp's strict mode.
 * - Callbacks are set by numeric index. `kOnHeadersComplete(major, minor, headers, method, url,
 *   statusCode, statusMessage, upgrade, shouldKeepAlive)` gets headers as a flat [name, value, ...]
 *   list; past 32 pairs they are flushed early through `kOnHeaders(headers, url)`, and then
 *   headers and url are undefined in kOnHeadersComplete. Trailers arrive through kOnHeaders, after
 *   the body and before kOnMessageComplete.
 * - `method` indexes the binding's `allMethods` (QUERY is 46), not node:http's sorted METHODS;
 *   the binding's `methods` lists those accepted in HTTP (allMethods adds RTSP's, refused in HTTP).
 * - `kOnBody(buffer)` has one argument in Node 20: a Buffer.
 * - `execute(buf)` returns the bytes parsed, or an Error with `code` (HPE_*) and `bytesParsed`.
 *   Strict llhttp refuses data after a message that does not keep the connection alive.
 * - Header names, values and the URL are latin1 strings; values come without surrounding OWS.
 */

export interface LlhttpMessage {
  method: string;
  url: string;
  versionMajor: number;
  versionMinor: number;
  headers: [string, string][];
  body: Uint8Array;
  trailers: [string, string][];
  upgrade: boolean;
  keepAlive: boolean;
  complete: boolean;
}

export interface LlhttpResult {
  messages: LlhttpMessage[];
  /** llhttp's error code (HPE_*), or null. */
  error: string | null;
}

type Callback = (...args: never[]) => unknown;

interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(buf: Uint8Array): number | Error;
  finish(): Error | undefined;
  close(): void;
  [index: number]: Callback;
}

interface NativeParserClass {
  new (): NativeParser;
  readonly REQUEST: number;
  readonly kOnHeaders: number;
  readonly kOnHeadersComplete: number;
  readonly kOnBody: number;
  readonly kOnMessageComplete: number;
}

interface HttpParserBinding {
  HTTPParser: NativeParserClass;
  /** The HTTP methods llhttp accepts in a request. */
  methods: readonly string[];
  /** Every method llhttp knows, RTSP's included, indexed by llhttp's method number. */
  allMethods: readonly string[];
}

function isBinding(value: unknown): value is HttpParserBinding {
  if (typeof value !== 'object' || value === null) return false;
  const { HTTPParser, methods, allMethods } = value as { HTTPParser?: unknown; methods?: unknown; allMethods?: unknown };
  return typeof HTTPParser === 'function' && Array.isArray(methods) && Array.isArray(allMethods) && typeof (HTTPParser as { kOnBody?: unknown }).kOnBody === 'number';
}

let binding: HttpParserBinding | undefined;

function load(): HttpParserBinding {
  if (binding !== undefined) return binding;
  const proc = process as unknown as { binding(name: string): unknown; noDeprecation?: boolean };
  // process.binding is deprecated (DEP0111) but is the only way to reach llhttp itself; keep the warning out of test output.
  const previous = proc.noDeprecation;
  proc.noDeprecation = true;
  let value: unknown;
  try {
    value = proc.binding('http_parser');
  } finally {
    proc.noDeprecation = previous;
  }
  if (!isBinding(value)) throw new Error('process.binding("http_parser") does not look like llhttp');
  return (binding = value);
}

/** The methods llhttp accepts in an HTTP request; it refuses any other (RTSP's too). */
export function llhttpMethods(): readonly string[] {
  return load().methods;
}

function pairs(flat: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

/** Parses a whole request stream with llhttp in strict mode. */
export function parseWithLlhttp(input: Uint8Array): LlhttpResult {
  const { HTTPParser, allMethods } = load();
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.REQUEST, {}, 0, 0);
  const messages: LlhttpMessage[] = [];
  // Fields and URL flushed early (more than 32 pairs) wait here for kOnHeadersComplete.
  let pendingHeaders: string[] = [];
  let pendingUrl = '';
  let bodyParts: Uint8Array[] = [];
  let current: LlhttpMessage | null = null;

  parser[HTTPParser.kOnHeaders] = (headers: string[], url: string): void => {
    if (current !== null) {
      current.trailers.push(...pairs(headers));
      return;
    }
    pendingHeaders.push(...headers);
    pendingUrl += url;
  };
  parser[HTTPParser.kOnHeadersComplete] = (
    versionMajor: number,
    versionMinor: number,
    headers: string[] | undefined,
    method: number,
    url: string | undefined,
    _statusCode: unknown,
    _statusMessage: unknown,
    upgrade: boolean,
    keepAlive: boolean,
  ): number => {
    current = {
      method: allMethods[method] ?? `#${method}`,
      url: pendingUrl + (url ?? ''),
      versionMajor,
      versionMinor,
      headers: pairs([...pendingHeaders, ...(headers ?? [])]),
      body: new Uint8Array(0),
      trailers: [],
      upgrade,
      keepAlive,
      complete: false,
    };
    messages.push(current);
    pendingHeaders = [];
    pendingUrl = '';
    bodyParts = [];
    return 0;
  };
  parser[HTTPParser.kOnBody] = (chunk: Uint8Array): void => {
    bodyParts.push(Uint8Array.from(chunk));
  };
  parser[HTTPParser.kOnMessageComplete] = (): void => {
    if (current === null) return;
    current.body = concat(bodyParts);
    current.complete = true;
    current = null;
  };

  let error: string | null = null;
  try {
    const result = parser.execute(input);
    const outcome = result instanceof Error ? result : parser.finish();
    if (outcome instanceof Error) error = (outcome as Error & { code?: string }).code ?? outcome.message;
  } finally {
    parser.close();
  }
  return { messages, error };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
