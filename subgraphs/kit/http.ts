import { createServer, type Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { Express } from 'express';

export interface Listening {
  readonly server: Server;
  readonly port: number;
  /** `http://host:port`, no trailing slash. */
  readonly url: string;
  /**
   * Stops accepting connections and resolves once every open one has ended: a request already
   * accepted is answered, and with `Connection: close`, so a keep-alive client does not send
   * another on that connection; connections still idle after `idleGraceMs` are closed.
   */
  close(idleGraceMs?: number): Promise<void>;
}

/** Listens on `port` (0 = any free port) and reports where. */
export function listen(app: Express, port: number, host = '127.0.0.1'): Promise<Listening> {
  const server = createServer(app);
  // Keep-alive callers (the gateway's pool) must not see sockets closed under them mid-request.
  server.keepAliveTimeout = 65_000;
  let closing = false;
  server.prependListener('request', (_req, res) => {
    if (closing) res.setHeader('connection', 'close');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
      resolve({
        server,
        port: address.port,
        url: `http://${shownHost}:${address.port}`,
        close: (idleGraceMs = 1000) =>
          new Promise<void>((done) => {
            closing = true;
            // http.Server#close would also end idle keep-alive connections at once, racing a client
            // that is writing its next request on one; the listener alone is closed here.
            net.Server.prototype.close.call(server, () => {
              clearTimeout(idle);
              done();
            });
            // After the timer, one turn of the event loop's I/O first: requests that arrived while
            // the loop was busy are read (their connections stop being idle) before idle ones close.
            const idle = setTimeout(() => setImmediate(() => server.closeIdleConnections()), idleGraceMs);
            idle.unref();
          }),
      });
    });
  });
}
