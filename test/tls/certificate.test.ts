/**
 * The development certificate, read back by node:crypto's X509Certificate and by openssl (when it
 * is installed), and used by a real TLS client.
 */
import { Buffer } from 'node:buffer';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CLOCK_SKEW_MS,
  DEFAULT_VALID_DAYS,
  fingerprint256,
  generateCertificate,
  ipAddressBytes,
  pem,
} from '../../src/tls/certificate.js';
import { developmentCertificate } from '../../src/tls/development.js';
import { cleanup, hasCommand, runCommand, startTls, tempFile, tlsConnect } from './helpers.js';

afterEach(cleanup);

const HAS_OPENSSL = hasCommand('openssl', ['version']);
const DAY_MS = 86_400_000;

function derOf(certPem: string): Buffer {
  return Buffer.from(certPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

describe('generateCertificate', () => {
  const now = new Date();
  const generated = generateCertificate({ now });
  const x509 = new X509Certificate(generated.certPem);

  it('is a self-signed certificate for CN=localhost', () => {
    expect(x509.subject).toBe('CN=localhost');
    expect(x509.issuer).toBe('CN=localhost');
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(x509.publicKey.asymmetricKeyType).toBe('ec');
    expect(x509.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('names localhost, 127.0.0.1 and ::1 in subjectAltName', () => {
    expect(x509.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(x509.checkHost('localhost')).toBe('localhost');
    expect(x509.checkHost('LOCALHOST')).toBe('localhost'); // returns the name it matched
    expect(x509.checkHost('example.com')).toBeUndefined();
    expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x509.checkIP('::1')).toBe('::1');
    expect(x509.checkIP('127.0.0.2')).toBeUndefined();
  });

  it('is valid from an hour ago for a year, in whole seconds', () => {
    const from = new Date(x509.validFrom).getTime();
    const to = new Date(x509.validTo).getTime();
    expect(from).toBe(generated.notBefore.getTime());
    expect(to).toBe(generated.notAfter.getTime());
    expect(Math.abs(from - (now.getTime() - CLOCK_SKEW_MS))).toBeLessThan(1_000);
    expect(Math.abs(to - (now.getTime() + DEFAULT_VALID_DAYS * DAY_MS))).toBeLessThan(1_000);
  });

  it('is a server certificate, not a CA: the key signs TLS handshakes only', () => {
    expect(x509.ca).toBe(false);
    expect(x509.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']); // node names extKeyUsage keyUsage: serverAuth
    // OpenSSL does not take a certificate without keyCertSign as its own issuer.
    expect(x509.checkIssued(x509)).toBe(false);
  });

  it('comes with its private key, PKCS #8 PEM', () => {
    expect(generated.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(x509.checkPrivateKey(createPrivateKey(generated.keyPem))).toBe(true);
    expect(x509.checkPrivateKey(createPrivateKey(generateCertificate().keyPem))).toBe(false);
  });

  it('reports the SHA-256 fingerprint as X509Certificate does', () => {
    expect(generated.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(generated.fingerprint256).toBe(x509.fingerprint256);
    expect(fingerprint256(derOf(generated.certPem))).toBe(x509.fingerprint256);
  });

  it('has a random positive 16-byte serial; each call makes a new key and serial', () => {
    expect(x509.serialNumber).toMatch(/^[0-7][0-9A-F]{31}$/);
    const other = new X509Certificate(generateCertificate().certPem);
    expect(other.serialNumber).not.toBe(x509.serialNumber);
    expect(other.fingerprint256).not.toBe(x509.fingerprint256);
    expect(other.publicKey.export({ type: 'spki', format: 'der' })).not.toEqual(x509.publicKey.export({ type: 'spki', format: 'der' }));
  });

  it('is PEM in lines of 64 characters', () => {
    const lines = generated.certPem.trimEnd().split('\n');
    expect(lines[0]).toBe('-----BEGIN CERTIFICATE-----');
    expect(lines.at(-1)).toBe('-----END CERTIFICATE-----');
    for (const line of lines.slice(1, -2)) expect(line).toHaveLength(64);
    expect(pem('CERTIFICATE', derOf(generated.certPem))).toBe(generated.certPem);
  });

  it('is trusted by a TLS client given it as its CA, by name and by address', async () => {
    // A client refusing the certificate may cut the handshake short; that is expected here.
    const { port } = await startTls({ key: generated.keyPem, cert: generated.certPem, handler: () => undefined, onError: () => undefined });
    const byName = await tlsConnect(port, { servername: 'localhost', ca: generated.certPem });
    expect(byName.authorized).toBe(true);
    expect(byName.getPeerX509Certificate()?.fingerprint256).toBe(generated.fingerprint256);
    const byAddress = await tlsConnect(port, { ca: generated.certPem });
    expect(byAddress.authorized).toBe(true);
    await expect(tlsConnect(port, { servername: 'localhost', ca: generateCertificate().certPem })).rejects.toMatchObject({
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
  });

  it('takes other names, validity and moments', () => {
    const moment = new Date(Date.UTC(2049, 11, 1));
    const other = generateCertificate({ hostnames: ['app.test', '*.app.test'], ips: ['10.1.2.3', 'fe80::1'], validDays: 60, now: moment });
    const parsed = new X509Certificate(other.certPem);
    expect(parsed.subject).toBe('CN=app.test');
    expect(parsed.subjectAltName).toBe('DNS:app.test, DNS:*.app.test, IP Address:10.1.2.3, IP Address:FE80:0:0:0:0:0:0:1');
    expect(parsed.checkHost('x.app.test')).toBe('*.app.test');
    expect(parsed.checkHost('localhost')).toBeUndefined();
    expect(parsed.checkIP('10.1.2.3')).toBe('10.1.2.3');
    // Not after is past 2049, so it is a GeneralizedTime; not before still a UTCTime.
    expect(new Date(parsed.validTo).getTime()).toBe(moment.getTime() + 60 * DAY_MS);
    expect(new Date(parsed.validFrom).getTime()).toBe(moment.getTime() - CLOCK_SKEW_MS);
    const ipOnly = new X509Certificate(generateCertificate({ hostnames: [], ips: ['127.0.0.1'] }).certPem);
    expect(ipOnly.subject).toBe('CN=127.0.0.1');
    expect(ipOnly.subjectAltName).toBe('IP Address:127.0.0.1');
  });

  it('makes a self-signed CA on request', () => {
    const authority = new X509Certificate(generateCertificate({ ca: true }).certPem);
    expect(authority.ca).toBe(true);
    expect(authority.checkIssued(authority)).toBe(true);
  });

  it('refuses names it cannot encode', () => {
    expect(() => generateCertificate({ hostnames: [], ips: [] })).toThrow(RangeError);
    expect(() => generateCertificate({ hostnames: ['bad name'] })).toThrow(/not a DNS name/);
    expect(() => generateCertificate({ hostnames: ['héllo.test'] })).toThrow(/punycode/);
    expect(() => generateCertificate({ hostnames: ['-x.test'] })).toThrow(/not a DNS name/);
    expect(() => generateCertificate({ ips: ['256.1.1.1'] })).toThrow(/not an IP address/);
    expect(() => generateCertificate({ ips: ['fe80::1%eth0'] })).toThrow(/not an IP address/);
    expect(() => generateCertificate({ validDays: 0 })).toThrow(RangeError);
  });

  it.skipIf(!HAS_OPENSSL)('reads as intended in `openssl x509 -noout -text`, and `openssl verify` trusts it', async () => {
    const file = tempFile('cert.pem', generated.certPem);
    const text = await runCommand('openssl', ['x509', '-in', file, '-noout', '-text']);
    expect(text.code).toBe(0);
    const out = text.stdout.toString('utf8');
    expect(out).toContain('Version: 3 (0x2)');
    expect(out).toContain('Signature Algorithm: ecdsa-with-SHA256');
    expect(out).toMatch(/Issuer: CN ?= ?localhost/);
    expect(out).toMatch(/Subject: CN ?= ?localhost/);
    expect(out).toContain('NIST CURVE: P-256');
    expect(out).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(out).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
    expect(out).toMatch(/X509v3 Extended Key Usage: ?\s+TLS Web Server Authentication/);
    expect(out).toMatch(/X509v3 Subject Alternative Name: ?\s+DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1/);
    expect(out).toContain('X509v3 Subject Key Identifier');
    expect(out).toContain('X509v3 Authority Key Identifier');
    expect(out).not.toMatch(/unable|error/i);
    const serial = /Serial Number:\s+([0-9a-f:]+)/.exec(out)?.[1]?.replace(/:/g, '').toUpperCase();
    expect(serial).toBe(x509.serialNumber);
    const fingerprint = await runCommand('openssl', ['x509', '-in', file, '-noout', '-fingerprint', '-sha256']);
    expect(fingerprint.stdout.toString('utf8').trim()).toMatch(new RegExp(`=${generated.fingerprint256}$`));
    // A strict DER parse: any encoding slip (a length, a sign byte) fails here.
    const parse = await runCommand('openssl', ['asn1parse', '-in', file, '-strictpem']);
    expect(parse.code).toBe(0);
    const verify = await runCommand('openssl', ['verify', '-CAfile', file, '-purpose', 'sslserver', file]);
    expect(verify.stdout.toString('utf8').trim()).toBe(`${file}: OK`);
  });

  it.skipIf(!HAS_OPENSSL)('the CA variant shows CA:TRUE, pathlen:0 and Certificate Sign', async () => {
    const file = tempFile('ca.pem', generateCertificate({ ca: true }).certPem);
    const out = (await runCommand('openssl', ['x509', '-in', file, '-noout', '-text'])).stdout.toString('utf8');
    expect(out).toMatch(/CA:TRUE, pathlen:0/);
    expect(out).toMatch(/Digital Signature, Certificate Sign/);
  });
});

describe('developmentCertificate', () => {
  it('saves the certificate, not the key, for clients to trust', () => {
    const development = developmentCertificate();
    expect(readFileSync(development.certFile, 'utf8')).toBe(development.certPem);
    expect(new X509Certificate(development.certPem).fingerprint256).toBe(development.fingerprint256);
    expect(development.certFile).toMatch(/localhost\.pem$/);
    expect(developmentCertificate().certFile).not.toBe(development.certFile);
  });
});

describe('ipAddressBytes', () => {
  it.each([
    ['127.0.0.1', '7f000001'],
    ['0.0.0.0', '00000000'],
    ['::1', '00000000000000000000000000000001'],
    ['::', '00000000000000000000000000000000'],
    ['1::', '00010000000000000000000000000000'],
    ['fe80::1:2', 'fe800000000000000000000000010002'],
    ['2001:db8::8:800:200c:417a', '20010db80000000000080800200c417a'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
    ['::ffff:1.2.3.4', '00000000000000000000ffff01020304'],
    ['1:2:3:4:5:6:1.2.3.4', '00010002000300040005000601020304'],
  ])('%s → %s', (ip, expected) => {
    expect(ipAddressBytes(ip).toString('hex')).toBe(expected);
  });

  it('refuses what is not an address', () => {
    for (const bad of ['localhost', '1.2.3', '1::2::3', '12345::', '']) expect(() => ipAddressBytes(bad), bad).toThrow(RangeError);
  });
});
