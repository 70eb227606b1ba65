/**
 * `seal serve --tls-port` (CONTRACTS.md §1): the same app over HTTPS, with a self-signed
 * certificate for localhost/127.0.0.1 made at start when no --cert/--key is given.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { Agent, fetch } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { generateCertificate } from '../../src/tls/certificate.js';
import { killAllSeals, startSeal, within } from '../support/seal-process.js';

afterEach(killAllSeals);

/** The generated certificate's file, as announced on stderr. */
function certificateFile(stderr: string): string {
  const match = /certificate for localhost, 127\.0\.0\.1 and ::1 in (\S+)/.exec(stderr);
  if (match === null) throw new Error(`no certificate announced on stderr: ${stderr}`);
  return match[1]!;
}

describe('seal serve --tls-port', () => {
  it('prints one listening line per listener and serves the echo app over both', async () => {
    const seal = await startSeal(['--app', 'echo'], { tlsPort0: true });
    const lines = seal.stdout().trim().split('\n');
    expect(lines).toEqual([`listening on http://127.0.0.1:${seal.port}`, `listening on https://127.0.0.1:${seal.tlsPort}`]);
    expect(seal.stderr()).toMatch(/SHA-256 fingerprint ([0-9A-F]{2}:){31}[0-9A-F]{2}/);

    const ca = readFileSync(certificateFile(seal.stderr()), 'utf8');
    const dispatcher = new Agent({ connect: { ca } });
    try {
      const secure = (await (await fetch(`https://127.0.0.1:${seal.tlsPort}/foo/bar?hi=john%20doe`, { dispatcher })).json()) as Record<string, unknown>;
      const plain = (await (await fetch(`http://127.0.0.1:${seal.port}/foo/bar?hi=john%20doe`)).json()) as Record<string, unknown>;
      expect(secure.tls).toEqual({ protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', bits: 256, alpn: 'http/1.1' });
      expect(plain.tls).toBeNull();
      expect(secure.query).toEqual({ hi: ['john doe'] });
      expect(secure.path).toBe(plain.path);
    } finally {
      await dispatcher.close();
    }
    expect(await seal.stop('SIGTERM')).toBe(0);
  });

  it('--port none serves TLS alone; the demo report carries the Cipher line', async () => {
    const seal = await startSeal(['--port', 'none'], { port0: false, tlsPort0: true });
    expect(Number.isNaN(seal.port)).toBe(true);
    const ca = readFileSync(certificateFile(seal.stderr()), 'utf8');
    const dispatcher = new Agent({ connect: { ca } });
    try {
      const text = await (await fetch(`https://127.0.0.1:${seal.tlsPort}/report`, { dispatcher })).text();
      expect(text).toContain('Cipher: TLS_AES_256_GCM_SHA384 TLSv1.3 256\nrequestline: GET /report HTTP/1.1\n');
    } finally {
      await dispatcher.close();
    }
    expect(await seal.stop('SIGINT')).toBe(0);
  });

  it('--cert and --key serve the given certificate', async () => {
    const generated = generateCertificate({ hostnames: ['localhost'], ips: ['127.0.0.1'] });
    const dir = mkdtempSync(join(tmpdir(), 'seal-cli-tls-'));
    writeFileSync(join(dir, 'cert.pem'), generated.certPem);
    writeFileSync(join(dir, 'key.pem'), generated.keyPem);
    const seal = await startSeal(['--app', 'hello', '--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem')], { tlsPort0: true });
    expect(seal.stderr()).not.toContain('self-signed');
    const socket = tls.connect({ host: '127.0.0.1', port: seal.tlsPort, ca: generated.certPem, servername: 'localhost', ALPNProtocols: ['http/1.1'] });
    const response = await within(
      new Promise<string>((resolve, reject) => {
        let text = '';
        socket.on('secureConnect', () => socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'));
        socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      }),
      5000,
      'the HTTPS response',
    );
    expect(socket.getPeerCertificate().fingerprint256).toBe(generated.fingerprint256);
    expect(response).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(response.endsWith('\r\n\r\nHello, World!')).toBe(true);
    expect(await seal.stop('SIGTERM')).toBe(0);
  });

  it('tcp-echo over TLS prints the Cipher line after the addresses', async () => {
    const seal = await startSeal(['--app', 'tcp-echo', '--port', 'none'], { port0: false, tlsPort0: true, quiet: false });
    const ca = readFileSync(certificateFile(seal.stderr()), 'utf8');
    const socket = tls.connect({ host: '127.0.0.1', port: seal.tlsPort, ca, servername: 'localhost' });
    const response = await within(
      new Promise<string>((resolve, reject) => {
        let text = '';
        socket.on('secureConnect', () => socket.write('GET /x HTTP/1.0\r\n\r\n'));
        socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      }),
      5000,
      'the tcp-echo response',
    );
    expect(response).toMatch(/^HTTP\/1\.0 200 OK\r\n/);
    const out = await seal.waitForStdout((text) => text.includes('END REQUEST'), 'the tcp-echo report');
    expect(out).toMatch(/Client address: \('127\.0\.0\.1', \d+\)\nServer address: \('127\.0\.0\.1', \d+\)\nCipher: TLS_AES_256_GCM_SHA384 TLSv1\.3 256\nBEGIN REQUEST\nGET \/x HTTP\/1\.0\nEND REQUEST\n/);
    expect(await seal.stop('SIGTERM')).toBe(0);
  });
});
