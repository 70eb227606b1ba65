/** Seal's public API. */
export { serve, HttpServer, HttpService, type ServerOptions } from './http/server.js';
export type { Handler, HttpOptions, ErrorHook, ErrorInfo } from './http/options.js';
export { Request, type Address, type TlsInfo } from './http/request.js';
export { Response, type HeaderValue } from './http/response.js';
export { RequestBody } from './http/body.js';
export { RequestParser, type RequestSink } from './http/parser.js';
export { RequestHead, Fields, type HttpVersion } from './http/head.js';
export { SealError, ErrorCode, statusOf } from './http/errors.js';
export { resolveLimits, DEFAULT_PARSER_LIMITS, type ParserLimits } from './http/limits.js';
export { reasonPhrase } from './http/status.js';
export { parseUrlencoded, parseUrlencodedBytes, type FieldMap } from './form/urlencoded.js';
export { TcpServer, Connection, ByteReader, ByteWriter, type ConnectionHandler, type SocketAddress } from './net/index.js';
export { NetError, NET_ERROR_CODES, type NetErrorCode } from './net/index.js';
export { ProxyHeaderParser, AddressMatcher, type ProxyHeader, type ProxyEndpoint, type ProxyProtocolOptions } from './net/index.js';
export { cipherLine } from './http/request.js';
export {
  HttpsServer,
  serveHttps,
  TlsServer,
  tlsInfoOf,
  describeTls,
  TlsHandshakeError,
  TLS_ERROR_CODES,
  generateCertificate,
  developmentCertificate,
  DEFAULT_HTTP_PORT,
  DEFAULT_HTTPS_PORT,
  type HttpsServerOptions,
  type TlsServerOptions,
  type TlsErrorCode,
} from './tls/index.js';
export {
  toHandler,
  serveFetch,
  installFetchGlobals,
  uninstallFetchGlobals,
  FetchRequest,
  FetchResponse,
  wsgi,
  WsgiInput,
  type FetchApplication,
  type FetchFunction,
  type FetchEnv,
  type FetchExecutionContext,
  type FetchHandlerOptions,
  type FetchServerOptions,
  type WsgiApplication,
  type WsgiEnviron,
  type WsgiOptions,
  type StartResponse,
  type WsgiChunk,
  type WsgiWrite,
  type WsgiResult,
  type WsgiErrors,
} from './adapters/index.js';
export { serveStatic, sendFile, DEFAULT_CACHE_CONTROL, MAX_RANGES, type StaticOptions, type SendFileOptions } from './http/static.js';
export { redirect, REDIRECT_STATUSES, type RedirectStatus } from './http/redirect.js';
export { Cookies, parseCookies, cookiesOf, serializeCookie, setCookie, clearCookie, type Cookie, type CookieOptions, type SameSite } from './http/cookies.js';
export { mediaTypeOf, MEDIA_TYPES, DEFAULT_MEDIA_TYPE } from './http/media-types.js';
export { Form, type FileEntry } from './form/fields.js';
export { readForm, formOfBytes, type FormOptions, type FilePart } from './http/form.js';
export { FormError, FormErrorCode } from './form/errors.js';
export {
  runWorkers,
  isWorkerProcess,
  Supervisor,
  ClusterError,
  type WorkersOptions,
  type SupervisorOptions,
  type Listener as WorkerListener,
  type StartListeners,
} from './cluster/index.js';
