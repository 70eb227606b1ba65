import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function importsOf(file: string): string[] {
  const source = readFileSync(join(root, file), 'utf8');
  return Array.from(source.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm), (match) => match[1] ?? '');
}

describe('layering', () => {
  it('src/net depends only on itself and node:net/node:stream — nothing about HTTP', () => {
    const files = readdirSync(join(root, 'src', 'net')).filter((name) => name.endsWith('.ts'));
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const file of files) {
      for (const specifier of importsOf(join('src', 'net', file))) {
        const allowed = /^\.\/[a-z-]+\.js$/.test(specifier) || specifier === 'node:net' || specifier === 'node:stream';
        expect(allowed, `${file} imports ${specifier}`).toBe(true);
      }
    }
  });

  it('the tcp-echo app is built on src/net alone (plus the report notation)', () => {
    const specifiers = importsOf(join('src', 'apps', 'tcp-echo.ts'));
    expect(specifiers).toContain('../net/index.js');
    for (const specifier of specifiers) expect(['../net/index.js', './report.js']).toContain(specifier);
  });
});
