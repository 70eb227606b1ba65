/**
 * The PROXY header parser, the address code and the Forwarded parser are pure (STYLE.md §14):
 * nothing from `node:`, so they can be fuzzed, benchmarked and reused alone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = join(import.meta.dirname, '..', '..', 'src');
const importsOf = (file: string): string[] =>
  Array.from(readFileSync(join(src, file), 'utf8').matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm), (m) => m[1]!);

describe('pure modules', () => {
  for (const file of ['net/proxy-protocol.ts', 'net/ip.ts', 'net/errors.ts', 'http/forwarded.ts']) {
    it(`${file} imports nothing from node:`, () => {
      const imports = importsOf(file);
      for (const specifier of imports) expect(specifier, file).not.toMatch(/^node:/);
    });
  }
});
