/**
 * The architecture, checked from the import lines (STYLE.md): dependencies point one way
 * (http → net, http → form; form is a leaf; the parsers import nothing from node:), and no
 * node:http anywhere in src/.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const src = join(root, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return Array.from(source.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm), (m) => m[1]!);
}

const files = sourceFiles(src).map((path) => ({ path, name: relative(src, path), imports: importsOf(path) }));
const layerOf = (name: string): string => (name.includes('/') ? name.split('/')[0]! : name);

describe('layering (STYLE.md)', () => {
  it('finds the source tree', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it('no node:http or node:https anywhere in src/', () => {
    for (const file of files) {
      for (const specifier of file.imports) expect(specifier, file.name).not.toMatch(/^(node:)?https?$/);
    }
  });

  const allowed: Record<string, string[]> = {
    net: ['net'],
    form: ['form'],
    http: ['http', 'net', 'form'],
    tls: ['tls', 'net', 'http'],
    apps: ['apps', 'net', 'http', 'form', 'adapters'],
    adapters: ['adapters', 'http', 'form', 'net'],
    cluster: ['cluster'],
  };
  for (const [layer, targets] of Object.entries(allowed)) {
    it(`${layer}/ imports only from ${targets.join(', ')}`, () => {
      for (const file of files.filter((f) => layerOf(f.name) === layer)) {
        for (const specifier of file.imports.filter((s) => s.startsWith('.'))) {
          const target = relative(src, join(src, file.name, '..', specifier));
          expect(targets, `${file.name} imports ${specifier}`).toContain(layerOf(target));
        }
      }
    });
  }

  it('the parsers, byte tables and form/ import nothing from node:', () => {
    const pure = files.filter(
      (f) => ['http/parser.ts', 'http/chars.ts', 'http/head.ts', 'http/semantics.ts', 'http/limits.ts', 'http/errors.ts'].includes(f.name) || layerOf(f.name) === 'form',
    );
    expect(pure.length).toBeGreaterThanOrEqual(7);
    for (const file of pure) {
      for (const specifier of file.imports) expect(specifier, file.name).not.toMatch(/^node:/);
    }
  });
});
