/**
 * The `demo` app: what a person sees when trying Seal in a browser (CONTRACTS.md §2): a page
 * saying Hello, World!, a urlencoded form, an upload form, and for anything else a plain-text
 * report of the request as the server parsed it, also printed to stdout; and under /static/ a
 * small folder served from disk (a page, a style sheet, a script, a WAV) to see media types,
 * validators and ranges at work.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Handler } from '../http/options.js';
import { cipherLine, type Request } from '../http/request.js';
import { sendStatus } from '../http/static/send.js';
import { serveStatic } from '../http/static.js';
import { readFile } from 'node:fs/promises';
import type { FileEntry } from '../form/fields.js';
import type { FieldMap } from '../form/urlencoded.js';
import { pyRepr, pyAddress } from './report.js';

export interface DemoOptions {
  /** Largest body accepted; larger gets 413. */
  maxBodyBytes: number;
  /** Where reports go besides the response; undefined prints nothing. */
  out?: (text: string) => void;
}

const PAGE_STYLE = 'body{font-family:system-ui,sans-serif;max-width:40em;margin:2em auto;line-height:1.5}label{display:block;margin:.4em 0}';

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${title}</title><style>${PAGE_STYLE}</style></head>
<body>
${body}
</body>
</html>
`;
}

export const INDEX_PAGE = page(
  'Seal',
  `<h1>Hello, World!</h1>
<p>This is Seal, an HTTP/1.1 server written from the bytes up.</p>
<ul>
  <li><a href="/form.html">A form</a> (application/x-www-form-urlencoded)</li>
  <li><a href="/upload.html">A file upload</a> (multipart/form-data)</li>
  <li><a href="/foo/bar?hi=john%20doe">A report of your request</a></li>
  <li><a href="/static/">Static files</a> (media types, validators, ranges, a tone in an audio element)</li>
</ul>`,
);

export const FORM_PAGE = page(
  'Seal: a form',
  `<h1>A form</h1>
<form method="post" action="/foo/bar?hi=john%20doe" enctype="application/x-www-form-urlencoded">
  <label>User <input type="text" name="user" value=""></label>
  <label>User 2 <input type="text" name="user2" value=""></label>
  <fieldset><legend>Vote</legend>
    <label><input type="radio" name="vote" value="Y"> Yes</label>
    <label><input type="radio" name="vote" value="N"> No</label>
  </fieldset>
  <fieldset><legend>Pets</legend>
    <label><input type="checkbox" name="pets" value="dog"> Dog</label>
    <label><input type="checkbox" name="pets" value="cat"> Cat</label>
    <label><input type="checkbox" name="pets" value="fish"> Fish</label>
  </fieldset>
  <label>Comments <textarea name="comments" rows="4" cols="40"></textarea></label>
  <button type="submit">Send</button>
</form>`,
);

export const UPLOAD_PAGE = page(
  'Seal: an upload',
  `<h1>A file upload</h1>
<form method="post" action="/foo/bar" enctype="multipart/form-data">
  <label>File <input type="file" name="myfile"></label>
  <button type="submit">Upload</button>
</form>`,
);

const PAGES: Record<string, string> = {
  '/': INDEX_PAGE,
  '/index.html': INDEX_PAGE,
  '/form.html': FORM_PAGE,
  '/upload.html': UPLOAD_PAGE,
};

/**
 * The folder behind /static/. tsc does not copy non-TypeScript files to dist/, so it is found
 * where it is kept, src/apps/demo-static/, from this module's URL: this module is two levels
 * below the package root both as src/apps/demo.ts (run from source) and dist/apps/demo.js
 * (built), so the same relative URL works for both.
 */
export const DEMO_STATIC_ROOT = fileURLToPath(new URL('../../src/apps/demo-static/', import.meta.url));

/** /static/ from DEMO_STATIC_ROOT; a build installed without src/ answers 404 there, nothing worse. */
function demoFiles(): Handler {
  if (existsSync(DEMO_STATIC_ROOT)) return serveStatic(DEMO_STATIC_ROOT, { prefix: '/static' });
  return (_request, response) => sendStatus(response, 404);
}

export function demo(options: DemoOptions): Handler {
  const files = demoFiles();
  return async (request, response) => {
    if (request.path === '/static' || request.path.startsWith('/static/')) return files(request, response);
    const html = request.method === 'GET' || request.method === 'HEAD' ? PAGES[request.path] : undefined;
    if (html !== undefined) {
      response.setHeader('Content-Type', 'text/html; charset=utf-8');
      response.end(html);
      return;
    }
    const form = await formOf(request, options.maxBodyBytes);
    const text = report(request, form);
    options.out?.(text);
    response.setHeader('Content-Type', 'text/plain; charset=utf-8');
    response.end(text);
  };
}

/** An uploaded file as the report shows it: its text when it is small text, else its name and size. */
const SMALL_TEXT_BYTES = 1024;

interface ReportForm {
  fields: FieldMap;
  /** Field name and how the file is shown, in the order received. */
  files: [string, string][];
}

/** The query's fields for GET and HEAD, the body's (a form, or nothing) for anything else. */
async function formOf(request: Request, maxBodyBytes: number): Promise<ReportForm> {
  const type = request.headers.get('content-type')?.split(';', 1)[0]?.trim().toLowerCase();
  const isForm = type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data';
  if (request.method !== 'GET' && request.method !== 'HEAD' && !isForm) {
    await request.bytes(maxBodyBytes); // read (and bound) it, to report nothing of it
    return { fields: Object.create(null) as FieldMap, files: [] };
  }
  // Uploads stream to temporary files, removed once the response has ended: never whole in memory.
  const form = await request.form({
    keepBlankValues: true,
    files: 'temp',
    maxBodyBytes,
    limits: { maxFileBytes: maxBodyBytes, maxTotalFieldBytes: maxBodyBytes },
  });
  const files: [string, string][] = [];
  for (const file of form.files) files.push([file.field, await showFile(file)]);
  return { fields: form.fields(), files };
}

async function showFile(file: FileEntry): Promise<string> {
  if (file.path !== undefined && file.size <= SMALL_TEXT_BYTES) {
    const text = new TextDecoder('utf-8', { fatal: true });
    try {
      const content = text.decode(await readFile(file.path));
      if (!/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(content)) return `[${pyRepr(content)}]`;
    } catch {
      // not UTF-8: shown by name and size
    }
  }
  return `<${pyRepr(file.filename)}, ${file.size} bytes>`;
}

/** The report, in the layout of Python's classic CGI test page. */
export function report(request: Request, form: ReportForm): string {
  const version = `HTTP/${request.version}`;
  const lines = [
    `Client address: ${pyAddress(request.client)}`,
    `Server address: ${pyAddress(request.server)}`,
    `Server name: ${serverName(request.server.address)}`,
  ];
  if (request.tls !== null) lines.push(`Cipher: ${cipherLine(request.tls)}`);
  lines.push(
    `requestline: ${request.method} ${request.target} ${version}`,
    `command: ${request.method}`,
    `path: ${request.target}`,
    `request_version: ${version}`,
    'Headers:',
  );
  for (const [name, value] of request.headers.pairs()) lines.push(`  ${name.toLowerCase()}: ${pyRepr(value)}`);
  lines.push('Form:');
  const { fields, files } = form;
  for (const name of Object.keys(fields)) lines.push(`  ${name} [${fields[name]!.map(pyRepr).join(', ')}]`);
  for (const [name, shown] of files) lines.push(`  ${name} ${shown}`);
  return lines.join('\n') + '\n';
}

/** As Python's socket.getfqdn would name the server's own address. */
function serverName(address: string): string {
  if (address.startsWith('127.') || address === '::1' || address === '::ffff:127.0.0.1') return 'localhost';
  return hostname();
}
