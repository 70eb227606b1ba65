/**
 * The certificate `seal serve --tls-port` makes when given no --cert/--key: generated at start,
 * its PEM saved where a client can be pointed at it (`curl --cacert FILE`). The key never touches
 * the disk.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCertificate, type CertificateOptions, type GeneratedCertificate } from './certificate.js';

export interface DevelopmentCertificate extends GeneratedCertificate {
  /** The certificate's PEM file, in a folder of its own that is removed when the process exits. */
  certFile: string;
}

export function developmentCertificate(options: CertificateOptions = {}): DevelopmentCertificate {
  const generated = generateCertificate(options);
  // A folder per process: two servers started side by side must not overwrite each other's file.
  const dir = mkdtempSync(join(tmpdir(), 'seal-'));
  const certFile = join(dir, 'localhost.pem');
  writeFileSync(certFile, generated.certPem, { mode: 0o644 });
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return { ...generated, certFile };
}
