/**
 * A self-signed development certificate, made at start so that `seal serve --tls-port` works with
 * no files, no dependency and no openssl command: a P-256 key from node:crypto, an X.509 v3
 * certificate (RFC 5280) encoded by hand in DER, signed with ECDSA-SHA256.
 *
 * Clients trust it by passing it as their CA (`curl --cacert`, undici `connect: { ca }`,
 * `openssl s_client -CAfile`, `tls.connect({ ca })`). That needs no CA flag: OpenSSL (under Node,
 * curl and s_client alike) trusts a server certificate found as-is in the trust store, so the
 * certificate is a plain end-entity one as RFC 5280 describes it — basicConstraints cA FALSE,
 * keyUsage digitalSignature, extKeyUsage serverAuth — which is also what browsers expect of a
 * server certificate (Firefox refuses a CA certificate used as one). `ca: true` makes a
 * self-signed CA instead (cA TRUE, pathLenConstraint 0, keyCertSign), for certificate stores
 * that take only authorities, such as a browser's.
 */
import { Buffer } from 'node:buffer';
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import {
  bitString,
  boolean,
  explicit,
  implicit,
  integer,
  namedBits,
  objectIdentifier,
  octetString,
  sequence,
  set,
  time,
  utf8String,
} from './der.js';

/** The names a development server answers to, as `seal serve` prints them. */
export const DEVELOPMENT_HOSTNAMES: readonly string[] = ['localhost'];
export const DEVELOPMENT_IPS: readonly string[] = ['127.0.0.1', '::1'];
/** Valid from an hour ago, so a client whose clock is a little behind accepts it too. */
export const CLOCK_SKEW_MS = 60 * 60 * 1000;
/** Valid for a year: long enough for a development setup, short enough to be renewed. */
export const DEFAULT_VALID_DAYS = 365;
/** 16 random bytes: RFC 5280 allows 20, CA/Browser Forum asks for at least 64 random bits. */
const SERIAL_BYTES = 16;

const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

/** KeyUsage bit numbers (RFC 5280 §4.2.1.3). */
const KEY_USAGE = { digitalSignature: 0, keyCertSign: 5 } as const;

export interface CertificateOptions {
  /** DNS names for subjectAltName; the first is also the subject's CN. Default `['localhost']`. */
  hostnames?: readonly string[];
  /** IP addresses for subjectAltName. Default `['127.0.0.1', '::1']`. */
  ips?: readonly string[];
  /** Default 365. */
  validDays?: number;
  /** The moment the certificate is made (tests); default now. */
  now?: Date;
  /** Make a self-signed CA (cA TRUE, keyCertSign) instead of a server certificate; default false. */
  ca?: boolean;
}

export interface GeneratedCertificate {
  /** The certificate, PEM. */
  certPem: string;
  /** The private key, PKCS #8 PEM, unencrypted. */
  keyPem: string;
  /** SHA-256 of the DER certificate as `AA:BB:…`, as `X509Certificate#fingerprint256` shows it. */
  fingerprint256: string;
  notBefore: Date;
  notAfter: Date;
}

/** A new key pair and a self-signed certificate for it; see the module comment. */
export function generateCertificate(options: CertificateOptions = {}): GeneratedCertificate {
  const hostnames = options.hostnames ?? DEVELOPMENT_HOSTNAMES;
  const ips = options.ips ?? DEVELOPMENT_IPS;
  const commonName = hostnames[0] ?? ips[0];
  if (commonName === undefined) throw new RangeError('a certificate needs at least one hostname or IP address');
  const validDays = options.validDays ?? DEFAULT_VALID_DAYS;
  if (!(validDays > 0) || !Number.isFinite(validDays)) throw new RangeError('validDays must be a positive number');
  const now = options.now ?? new Date();
  // DER times have whole seconds; keep the Dates equal to what is encoded.
  const notBefore = new Date(Math.floor((now.getTime() - CLOCK_SKEW_MS) / 1000) * 1000);
  const notAfter = new Date(Math.floor((now.getTime() + validDays * 86_400_000) / 1000) * 1000);
  const isCa = options.ca ?? false;

  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const keyId = subjectKeyId(spki);
  const name = sequence(set(sequence(objectIdentifier(OID.commonName), utf8String(commonName))));
  const signatureAlgorithm = sequence(objectIdentifier(OID.ecdsaWithSHA256));

  const extensions = [
    extension(OID.basicConstraints, true, isCa ? sequence(boolean(true), integer(0)) : sequence()),
    extension(
      OID.keyUsage,
      true,
      namedBits(isCa ? [KEY_USAGE.digitalSignature, KEY_USAGE.keyCertSign] : [KEY_USAGE.digitalSignature]),
    ),
    extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.serverAuth))),
    extension(OID.subjectAltName, false, subjectAltName(hostnames, ips)),
    extension(OID.subjectKeyIdentifier, false, octetString(keyId)),
    // keyIdentifier [0] IMPLICIT OCTET STRING
    extension(OID.authorityKeyIdentifier, false, sequence(implicit(0, keyId))),
  ];

  // RFC 5280 §4.1: TBSCertificate, fields in order.
  const tbs = sequence(
    explicit(0, integer(2)), // version v3
    integer(serialNumber()),
    signatureAlgorithm,
    name, // issuer: itself
    sequence(time(notBefore), time(notAfter)),
    name, // subject
    spki,
    explicit(3, sequence(...extensions)),
  );
  const signature = signTbs(tbs, privateKey);
  const der = sequence(tbs, signatureAlgorithm, bitString(signature));

  return {
    certPem: pem('CERTIFICATE', der),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    fingerprint256: fingerprint256(der),
    notBefore,
    notAfter,
  };
}

/** SHA-256 of a DER certificate as upper-case hex pairs joined by colons. */
export function fingerprint256(der: Uint8Array): string {
  const hex = createHash('sha256').update(der).digest('hex').toUpperCase();
  return hex.match(/../g)!.join(':');
}

/** RFC 7468 text encoding: base64 in lines of 64 characters between the labels. */
export function pem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function extension(oid: string, critical: boolean, value: Uint8Array): Buffer {
  // Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
  // DER leaves out a value equal to its DEFAULT (X.690 §11.5).
  return critical
    ? sequence(objectIdentifier(oid), boolean(true), octetString(value))
    : sequence(objectIdentifier(oid), octetString(value));
}

/** GeneralNames: dNSName [2] IA5String, iPAddress [7] OCTET STRING of 4 or 16 bytes. */
function subjectAltName(hostnames: readonly string[], ips: readonly string[]): Buffer {
  const names = hostnames.map((hostname) => {
    if (!/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(hostname)) {
      throw new RangeError(`not a DNS name: '${hostname}' (use punycode for international names)`);
    }
    return implicit(2, Buffer.from(hostname, 'ascii'));
  });
  for (const ip of ips) names.push(implicit(7, ipAddressBytes(ip)));
  return sequence(...names);
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's bytes. */
function subjectKeyId(spki: Buffer): Buffer {
  // SubjectPublicKeyInfo ::= SEQUENCE { algorithm, subjectPublicKey BIT STRING }; for a P-256 key
  // the point is the last 65 bytes (0x04 ‖ X ‖ Y), whatever the length encodings before it.
  return createHash('sha1').update(spki.subarray(spki.length - 65)).digest();
}

/** A random positive serial; the top bit is cleared so it needs no sign byte, and it is never 0. */
function serialNumber(): Buffer {
  const bytes = randomBytes(SERIAL_BYTES);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes;
}

function signTbs(tbs: Buffer, privateKey: KeyObject): Buffer {
  // An EC key signs as a DER Ecdsa-Sig-Value, the form X.509 wants (RFC 5758 §3.2).
  return sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
}

/** The network-order bytes of an IPv4 or IPv6 address in text form. */
export function ipAddressBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!isIPv6(ip) || ip.includes('%')) throw new RangeError(`not an IP address: '${ip}'`);
  let text = ip;
  // An embedded IPv4 address (::ffff:1.2.3.4) stands for the last two groups.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted !== null) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  const groups = (part: string | undefined): number[] =>
    part === undefined || part === '' ? [] : part.split(':').map((group) => parseInt(group, 16));
  const front = groups(halves[0]);
  const back = groups(halves[1]);
  const zeros = halves.length === 2 ? 8 - front.length - back.length : 0;
  const all = [...front, ...new Array<number>(zeros).fill(0), ...back];
  if (all.length !== 8) throw new RangeError(`not an IP address: '${ip}'`);
  const bytes = Buffer.alloc(16);
  all.forEach((group, i) => bytes.writeUInt16BE(group, i * 2));
  return bytes;
}
