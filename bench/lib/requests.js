/**
 * Requests to parse, as data: each corpus is a list of messages, serialized to the bytes a client
 * sends and kept alongside as the event log a correct parser must report. Field values are the
 * lengths real browsers and clients send; random-looking parts (cookies, tokens) come from a
 * seeded generator so every run parses the same bytes.
 */

/**
 * @typedef {{ method: string, target: string, headers: [string, string][], body?: string, chunks?: string[] }} Request
 * @typedef {{ name: string, description: string, requests: Request[] }} Corpus
 */

/** mulberry32: a small seeded PRNG, so "random" tokens are the same on every run. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const HEX = '0123456789abcdef';
const random = prng(0x5ea1);

function token(length, alphabet = BASE64URL) {
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[Math.floor(random() * alphabet.length)];
  return s;
}

const CHROME_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const CHROME_ACCEPT =
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7';
const COOKIE = `_ga=GA1.1.1480397021.1714146214; _ga_X1Y2Z3W4V5=GS1.1.1714146214.1.1.1714146590.0.0.0; sessionid=${token(32)}; csrftoken=${token(32)}; theme=dark`;
const JWT = `eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.${token(220)}.${token(342)}`;

/** The eight fields of a typical browser navigation, in the order Chrome sends them. */
const BROWSER_GET = {
  method: 'GET',
  target: '/catalog/shoes/trail-runner-2?color=blue&size=42',
  headers: [
    ['Host', 'www.example.com'],
    ['Connection', 'keep-alive'],
    ['User-Agent', CHROME_UA],
    ['Accept', CHROME_ACCEPT],
    ['Referer', 'https://www.example.com/catalog/shoes?sort=price&page=2'],
    ['Accept-Encoding', 'gzip, deflate, br, zstd'],
    ['Accept-Language', 'en-US,en;q=0.9,de;q=0.8'],
    ['Cookie', COOKIE],
  ],
};

/** A browser navigation behind a proxy with a bearer token and a long cookie jar: ~2 KiB of fields. */
const LARGE_GET = {
  method: 'GET',
  target: '/dashboard/reports/2024/q2?view=summary&currency=EUR',
  headers: [
    ['Host', 'app.example.com'],
    ['Connection', 'keep-alive'],
    ['sec-ch-ua', '"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"'],
    ['sec-ch-ua-mobile', '?0'],
    ['sec-ch-ua-platform', '"Windows"'],
    ['Upgrade-Insecure-Requests', '1'],
    ['User-Agent', CHROME_UA],
    ['Accept', CHROME_ACCEPT],
    ['Sec-Fetch-Site', 'same-origin'],
    ['Sec-Fetch-Mode', 'navigate'],
    ['Sec-Fetch-User', '?1'],
    ['Sec-Fetch-Dest', 'document'],
    ['Referer', 'https://app.example.com/dashboard/reports/2024?view=list'],
    ['Accept-Encoding', 'gzip, deflate, br, zstd'],
    ['Accept-Language', 'en-US,en;q=0.9,de-DE;q=0.8,de;q=0.7,fr;q=0.6'],
    ['Authorization', `Bearer ${JWT}`],
    ['X-Forwarded-For', '203.0.113.195, 70.41.3.18, 150.172.238.178'],
    ['X-Forwarded-Proto', 'https'],
    ['X-Request-Id', `${token(8, HEX)}-${token(4, HEX)}-4${token(3, HEX)}-a${token(3, HEX)}-${token(12, HEX)}`],
    ['traceparent', `00-${token(32, HEX)}-${token(16, HEX)}-01`],
    ['Cookie', `${COOKIE}; _fbp=fb.1.1714146214.${token(10, '0123456789')}; prefs=${token(120)}; ab=${token(64)}`],
  ],
};

const FORM_BODY = `csrfmiddlewaretoken=${token(32)}&username=alice%40example.com&password=correct+horse+battery+staple&remember=on`;

const FORM_POST = {
  method: 'POST',
  target: '/account/login?next=%2Fdashboard',
  headers: [
    ['Host', 'www.example.com'],
    ['Connection', 'keep-alive'],
    ['Content-Length', String(FORM_BODY.length)],
    ['Origin', 'https://www.example.com'],
    ['Content-Type', 'application/x-www-form-urlencoded'],
    ['User-Agent', CHROME_UA],
    ['Accept', CHROME_ACCEPT],
    ['Referer', 'https://www.example.com/account/login?next=%2Fdashboard'],
    ['Accept-Encoding', 'gzip, deflate, br, zstd'],
    ['Accept-Language', 'en-US,en;q=0.9'],
    ['Cookie', COOKIE],
  ],
  body: FORM_BODY,
};

/** A JSON body streamed by a programmatic client in a few chunks of uneven size. */
function jsonChunk(length) {
  let s = '{"events":[';
  while (s.length < length - 40) s += `{"id":"${token(12)}","t":${Math.floor(random() * 1e9)}},`;
  return (s + '{"end":true}]}').padEnd(length, ' ');
}

const CHUNKED_POST = {
  method: 'POST',
  target: '/api/v1/events',
  headers: [
    ['Host', 'api.example.com'],
    ['User-Agent', 'okhttp/4.12.0'],
    ['Accept', 'application/json'],
    ['Accept-Encoding', 'gzip'],
    ['Authorization', `Bearer ${JWT.slice(0, 200)}`],
    ['Content-Type', 'application/json; charset=utf-8'],
    ['Transfer-Encoding', 'chunked'],
    ['Connection', 'keep-alive'],
  ],
  chunks: [jsonChunk(256), jsonChunk(1024), jsonChunk(512), jsonChunk(100)],
};

/** @type {Corpus[]} */
export const CORPORA = [
  { name: 'small GET', description: 'a browser GET with 8 typical fields', requests: [BROWSER_GET] },
  { name: '2 KiB head', description: 'a GET with ~2 KiB of fields (21 fields)', requests: [LARGE_GET] },
  { name: 'urlencoded POST', description: 'a login form POST with Content-Length', requests: [FORM_POST] },
  { name: 'chunked POST', description: 'a JSON POST in 4 chunks', requests: [CHUNKED_POST] },
  { name: '32 pipelined GETs', description: '32 copies of the small GET in one buffer', requests: Array(32).fill(BROWSER_GET) },
];

/** The bytes a client sends for `request`. */
export function serialize(request) {
  let s = `${request.method} ${request.target} HTTP/1.1\r\n`;
  for (const [name, value] of request.headers) s += `${name}: ${value}\r\n`;
  s += '\r\n';
  if (request.body !== undefined) s += request.body;
  if (request.chunks !== undefined) {
    for (const chunk of request.chunks) s += `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
    s += '0\r\n\r\n';
  }
  return Buffer.from(s, 'latin1');
}

/** The corpus as one buffer, as it would arrive in one socket read. */
export function corpusBytes(corpus) {
  return Buffer.concat(corpus.requests.map(serialize));
}

/** What a correct parser reports for the corpus, in the shape of the event logs of parsers.js. */
export function expectedLog(corpus) {
  return corpus.requests.map((r) => ({
    method: r.method,
    target: r.target,
    headers: r.headers,
    body: r.body ?? (r.chunks ?? []).join(''),
    complete: true,
  }));
}

/** Realistic field lines to fill a large head: proxies, tracing, feature flags, client hints. */
function fillerLine(i) {
  switch (i % 6) {
    case 0:
      return `X-Forwarded-For-${i}: 203.0.113.${i % 250}, 70.41.3.18, 150.172.238.178`;
    case 1:
      return `X-Amzn-Trace-Id-${i}: Root=1-${token(8, HEX)}-${token(24, HEX)};Parent=${token(16, HEX)};Sampled=1`;
    case 2:
      return `X-Feature-Flags-${i}: ${token(24)},${token(16)},checkout-v2,new-nav,dark-mode-default`;
    case 3:
      return `Cookie: pref_${i}=${token(96)}; seen_${i}=1714146214`;
    case 4:
      return `X-Client-Context-${i}: locale=en-US; tz=Europe/Berlin; screen=2560x1440; dpr=2; build=${token(12, HEX)}`;
    default:
      return `traceparent-${i}: 00-${token(32, HEX)}-${token(16, HEX)}-01`;
  }
}

/**
 * A GET whose head (request line, field lines and the final CRLF) is exactly `size` bytes:
 * the browser fields, then realistic filler lines, the last one padded to land on the size.
 * Returns the bytes and the number of field lines.
 */
export function headOfSize(size) {
  const lines = [`GET /search?q=${token(40)}&page=3 HTTP/1.1`];
  for (const [name, value] of BROWSER_GET.headers) lines.push(`${name}: ${value}`);
  const length = () => lines.reduce((n, line) => n + line.length + 2, 0) + 2;
  const padding = 'X-Padding: ';
  for (let i = 0; ; i++) {
    const line = fillerLine(i);
    if (length() + line.length + 2 + padding.length + 2 > size) break;
    lines.push(line);
  }
  const missing = size - length() - padding.length - 2;
  lines.push(padding + 'p'.repeat(Math.max(1, missing)));
  const bytes = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
  if (bytes.length !== size) throw new Error(`head of ${bytes.length} bytes, wanted ${size}`);
  return { bytes, fields: lines.length - 1 };
}
