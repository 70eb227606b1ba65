/**
 * The `echo` app: answers every request with a JSON description of what the server parsed
 * (see CONTRACTS.md §2). Other programs test Seal through it, key for key.
 */
import type { Handler } from '../http/options.js';
import type { Request } from '../http/request.js';
import type { FieldMap } from '../form/urlencoded.js';
import { formOfBytes } from '../http/form.js';

export interface EchoOptions {
  /** Largest body accepted; larger gets 413. */
  maxBodyBytes: number;
}

export interface EchoFile {
  field: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
}

export interface EchoReport {
  method: string;
  target: string;
  path: string;
  query: FieldMap;
  version: string;
  headers: [string, string][];
  body: string;
  form: FieldMap | null;
  files: EchoFile[];
  tls: Request['tls'];
  client: { address: string; port: number };
  server: { address: string; port: number };
}

export function echo(options: EchoOptions): Handler {
  return async (request, response) => {
    const body = await request.bytes(options.maxBodyBytes);
    // Files are hashed and counted, not kept: the echo describes them.
    const form = await formOfBytes(body, request.headers.get('content-type'), {
      keepBlankValues: true,
      files: 'discard',
      hash: true,
      limits: { maxFileBytes: options.maxBodyBytes, maxTotalFieldBytes: options.maxBodyBytes },
    });
    const report: EchoReport = {
      method: request.method,
      target: request.target,
      path: request.path,
      query: request.query,
      version: request.version,
      headers: request.headers.pairs(),
      body: body.toString('base64'),
      form: form === null ? null : form.fields(),
      files: (form?.files ?? []).map((file) => ({
        field: file.field,
        filename: file.filename,
        contentType: file.contentType,
        size: file.size,
        sha256: file.sha256 ?? '',
      })),
      tls: request.tls,
      client: { address: request.client.address, port: request.client.port },
      server: { address: request.server.address, port: request.server.port },
    };
    response.setHeader('Content-Type', 'application/json');
    response.end(JSON.stringify(report));
  };
}
