/** Application interfaces on top of Seal's handler: fetch-style applications and WSGI-style ones. */
export {
  toHandler,
  serveFetch,
  send as sendFetchResponse,
  installFetchGlobals,
  uninstallFetchGlobals,
  WHOLE_BODY_BYTES,
  type FetchApplication,
  type FetchFunction,
  type FetchEnv,
  type FetchExecutionContext,
  type FetchHandlerOptions,
  type FetchServerOptions,
} from './fetch.js';
export { FetchRequest, headersOf } from './fetch-request.js';
export { requestUrl, fetchMethod } from './fetch-url.js';
export { PlatformRequest, PlatformResponse } from './platform.js';
export { FetchResponse } from './fetch-response.js';
export { requestBodyStream, writeBodyStream } from './streams.js';
export {
  wsgi,
  environOf,
  basicUser,
  WsgiInput,
  type WsgiApplication,
  type WsgiEnviron,
  type WsgiOptions,
  type WsgiChunk,
  type WsgiWrite,
  type WsgiErrors,
  type WsgiResult,
  type StartResponse,
} from './wsgi.js';
