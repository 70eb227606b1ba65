/** The `hello` app: the smallest complete response, the one load benchmarks use. */
import type { Handler } from '../http/options.js';

const BODY = 'Hello, World!';

export const hello: Handler = (_request, response) => {
  response.setHeader('Content-Type', 'text/plain;charset=utf-8');
  response.end(BODY);
};
