/**
 * The demo's /static/ folder, src/apps/demo-static/: the four files it promises, found from both
 * src/apps/ and dist/apps/, and a tone.wav that is exactly what `toneWav()` below makes — one
 * second of a 440 Hz sine, 8 kHz, mono, 16-bit PCM — so the committed bytes can be regenerated.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEMO_STATIC_ROOT } from '../../src/apps/demo.js';

/** A canonical 44-byte-header PCM WAV of a sine with 10 ms fades (no clicks at either end). */
function toneWav(rate = 8000, seconds = 1, frequency = 440, amplitude = 0.25, fadeSeconds = 0.01): Buffer {
  const samples = Math.round(rate * seconds);
  const data = samples * 2;
  const wav = Buffer.alloc(44 + data);
  wav.write('RIFF', 0, 'latin1');
  wav.writeUInt32LE(36 + data, 4);
  wav.write('WAVE', 8, 'latin1');
  wav.write('fmt ', 12, 'latin1');
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28); // bytes per second
  wav.writeUInt16LE(2, 32); // block align
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write('data', 36, 'latin1');
  wav.writeUInt32LE(data, 40);
  const fade = Math.round(rate * fadeSeconds);
  for (let i = 0; i < samples; i++) {
    const envelope = Math.min(1, i / fade, (samples - 1 - i) / fade);
    wav.writeInt16LE(Math.round(32767 * amplitude * envelope * Math.sin((2 * Math.PI * frequency * i) / rate)), 44 + 2 * i);
  }
  return wav;
}

describe("the demo's static folder", () => {
  it('holds a page, a style sheet, a script and a WAV, and nothing else', () => {
    expect(readdirSync(DEMO_STATIC_ROOT).sort()).toEqual(['index.html', 'script.js', 'style.css', 'tone.wav']);
  });

  it('is found from dist/apps/ as from src/apps/: both are two levels below the package root', () => {
    const fromDist = fileURLToPath(new URL('../../src/apps/demo-static/', new URL('../../dist/apps/demo.js', import.meta.url)));
    expect(fromDist).toBe(DEMO_STATIC_ROOT);
    expect(existsSync(fromDist)).toBe(true);
  });

  it('tone.wav is the generated tone, at most 20 KB', () => {
    const committed = readFileSync(join(DEMO_STATIC_ROOT, 'tone.wav'));
    const generated = toneWav();
    expect(committed.length).toBe(16_044);
    expect(committed.length).toBeLessThanOrEqual(20_000);
    expect(committed.subarray(0, 44).equals(generated.subarray(0, 44))).toBe(true);
    // Math.sin may differ in the last bit between engines: a sample may be off by one.
    for (let at = 44; at < committed.length; at += 2) expect(Math.abs(committed.readInt16LE(at) - generated.readInt16LE(at))).toBeLessThanOrEqual(1);
  });

  it('the page links the style sheet, the script (a module) and the WAV in an <audio> element', () => {
    const page = readFileSync(join(DEMO_STATIC_ROOT, 'index.html'), 'utf8');
    expect(page).toContain('<link rel="stylesheet" href="style.css">');
    expect(page).toContain('<script type="module" src="script.js"></script>');
    expect(page).toMatch(/<audio id="tone" [^>]*src="tone.wav"/);
  });
});
