/**
 * Media types by extension: the table the issue asks for, charset=utf-8 on text types only,
 * application/octet-stream for anything unknown (RFC 9110 §8.3), and names that only look like
 * extensions.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MEDIA_TYPE, MEDIA_TYPES, extensionOf, mediaTypeOf } from '../../src/http/media-types.js';

const EXPECTED: [string, string][] = [
  ['index.html', 'text/html; charset=utf-8'],
  ['old.htm', 'text/html; charset=utf-8'],
  ['style.css', 'text/css; charset=utf-8'],
  ['app.js', 'text/javascript; charset=utf-8'],
  ['module.mjs', 'text/javascript; charset=utf-8'],
  ['data.json', 'application/json; charset=utf-8'],
  ['notes.txt', 'text/plain; charset=utf-8'],
  ['paper.pdf', 'application/pdf'],
  ['image.png', 'image/png'],
  ['photo.jpeg', 'image/jpeg'],
  ['photo.jpg', 'image/jpeg'],
  ['anim.gif', 'image/gif'],
  ['logo.svg', 'image/svg+xml'],
  ['image.webp', 'image/webp'],
  ['favicon.ico', 'image/vnd.microsoft.icon'],
  ['movie.mp4', 'video/mp4'],
  ['clip.webm', 'video/webm'],
  ['tone.wav', 'audio/wav'],
  ['song.mp3', 'audio/mpeg'],
  ['font.woff2', 'font/woff2'],
  ['module.wasm', 'application/wasm'],
  ['feed.xml', 'application/xml'],
  ['table.csv', 'text/csv; charset=utf-8'],
  ['README.md', 'text/markdown; charset=utf-8'],
  ['app.js.map', 'application/json; charset=utf-8'],
];

describe('mediaTypeOf', () => {
  it.each(EXPECTED)('%s → %s', (name, type) => {
    expect(mediaTypeOf(name)).toBe(type);
  });

  it('ignores the case of the extension', () => {
    expect(mediaTypeOf('PHOTO.JPG')).toBe('image/jpeg');
    expect(mediaTypeOf('Index.HTML')).toBe('text/html; charset=utf-8');
  });

  it('is application/octet-stream for an unknown extension, no extension, or a dotfile', () => {
    for (const name of ['archive.unknown', 'Makefile', '.bashrc', 'file.', '', 'dir.d/file', 'a.b\\c']) {
      expect(mediaTypeOf(name), name).toBe(DEFAULT_MEDIA_TYPE);
    }
    expect(DEFAULT_MEDIA_TYPE).toBe('application/octet-stream');
  });

  it('is not fooled by names of Object.prototype members', () => {
    for (const name of ['x.constructor', 'x.__proto__', 'x.toString', 'x.hasOwnProperty', 'x.valueOf']) {
      expect(mediaTypeOf(name), name).toBe(DEFAULT_MEDIA_TYPE);
    }
  });

  it('uses the last extension of the last segment', () => {
    expect(mediaTypeOf('archive.tar.gz')).toBe('application/gzip');
    expect(mediaTypeOf('/srv/www.example/page.html')).toBe('text/html; charset=utf-8');
    expect(mediaTypeOf('/srv/site.html/README')).toBe(DEFAULT_MEDIA_TYPE);
  });

  it('puts charset=utf-8 on text/* and JSON, and nowhere else', () => {
    for (const [extension, type] of MEDIA_TYPES) {
      const textual = type.startsWith('text/') || type === 'application/json' || type === 'application/manifest+json';
      expect(mediaTypeOf(`f.${extension}`), extension).toBe(textual ? `${type}; charset=utf-8` : type);
    }
  });

  it('every type in the table is a syntactically valid media type (RFC 9110 §8.3.1)', () => {
    for (const type of MEDIA_TYPES.values()) expect(type).toMatch(/^[a-z]+\/[a-z0-9.+-]+$/);
  });
});

describe('extensionOf', () => {
  it.each([
    ['a.txt', 'txt'],
    ['a.TXT', 'txt'],
    ['.env', ''],
    ['dir/.env', ''],
    ['dir.x/file', ''],
    ['a.', ''],
    ['noext', ''],
  ])('%s → %j', (name, extension) => {
    expect(extensionOf(name)).toBe(extension);
  });
});
