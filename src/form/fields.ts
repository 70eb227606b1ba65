/**
 * One form API whatever the fields came from (the query string, a urlencoded body or a
 * multipart upload), in the manner of the classic cgi.FieldStorage: `get` the first value,
 * `getAll` every value, the names in order, and the uploaded files. Depends on nothing.
 */
import type { FieldMap } from './urlencoded.js';

/** An uploaded file (a multipart part with a filename). */
export interface FileEntry {
  /** The form field it was sent as. */
  readonly field: string;
  /** The file name the client gave (may be ""). */
  readonly filename: string;
  readonly contentType: string;
  /** Bytes received. */
  readonly size: number;
  /** Lower-case hex SHA-256 of the content, when hashing was asked for. */
  readonly sha256: string | undefined;
  /** Where the content was saved (a temporary file, removed once the response has ended). */
  readonly path: string | undefined;
  /** The content itself, when it was kept in memory. */
  readonly bytes: Uint8Array | undefined;
}

export class Form {
  private readonly values: FieldMap;
  /** Uploaded files, in the order received. */
  readonly files: readonly FileEntry[];

  constructor(values: FieldMap, files: readonly FileEntry[] = []) {
    this.values = values;
    this.files = files;
  }

  /** The first value of field `name`, or undefined. */
  get(name: string): string | undefined {
    return this.values[name]?.[0];
  }

  /** Every value of field `name`, in order ([] when absent). */
  getAll(name: string): string[] {
    return this.values[name]?.slice() ?? [];
  }

  has(name: string): boolean {
    return this.values[name] !== undefined;
  }

  /** Field names (files excluded), in the order first seen. */
  names(): string[] {
    return Object.keys(this.values);
  }

  /** The fields as name → values, files excluded; no prototype. */
  fields(): FieldMap {
    const copy = Object.create(null) as FieldMap;
    for (const name of Object.keys(this.values)) copy[name] = this.values[name]!.slice();
    return copy;
  }

  /** The first file sent as field `name`, or undefined. */
  file(name: string): FileEntry | undefined {
    return this.files.find((file) => file.field === name);
  }
}
