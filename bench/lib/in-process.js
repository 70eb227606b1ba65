/**
 * Seal without a listener, for suites that drive sockets of their own in-process (an in-memory
 * duplex, an event emitter): its HTTP service with the `hello` app, attached to a socket as its TCP
 * server attaches it to an accepted one, and the addresses such a socket must report.
 */
const dist = new URL('../../dist/', import.meta.url);
const { HttpService } = await import(new URL('http/server.js', dist).href);
const { TcpServer } = await import(new URL('net/server.js', dist).href);
const { Connection } = await import(new URL('net/connection.js', dist).href);
const { hello } = await import(new URL('apps/hello.js', dist).href);

/** Gives `socket` the addresses of a loopback connection to port 8000, which Seal's Connection reads. */
export function giveLoopbackAddresses(socket) {
  socket.remoteAddress = '127.0.0.1';
  socket.remotePort = 40000;
  socket.remoteFamily = 'IPv4';
  socket.localAddress = '127.0.0.1';
  socket.localPort = 8000;
  socket.localFamily = 'IPv4';
}

/** Serves the `hello` app on every socket of `sockets`, all through one HTTP service. */
export function serveHelloOn(...sockets) {
  const service = new HttpService({ handler: hello, onError() {} });
  const tcp = new TcpServer({ handler: service.handler });
  for (const socket of sockets) service.handler(new Connection(tcp, socket, () => {}));
}
