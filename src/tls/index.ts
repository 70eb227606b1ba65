export {
  TlsServer,
  DEFAULT_HTTP_PORT,
  DEFAULT_HTTPS_PORT,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  MAX_HANDSHAKE_TIMEOUT_MS,
  MIN_TLS_VERSION,
  ALPN_PROTOCOLS,
} from './server.js';
export type { PemSource, TlsCredentials, TlsSettings, TlsListenerOptions, TlsServerOptions } from './server.js';
export { HttpsServer, serveHttps, type HttpsServerOptions } from './https.js';
export { tlsInfoOf, cipherLine, describeTls, secretBits } from './info.js';
export { TlsHandshakeError, TLS_ERROR_CODES, type TlsErrorCode } from './errors.js';
export {
  generateCertificate,
  fingerprint256,
  DEVELOPMENT_HOSTNAMES,
  DEVELOPMENT_IPS,
  DEFAULT_VALID_DAYS,
  type CertificateOptions,
  type GeneratedCertificate,
} from './certificate.js';
export { developmentCertificate, type DevelopmentCertificate } from './development.js';
