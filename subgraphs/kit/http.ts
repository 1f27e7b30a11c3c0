import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export interface Listening {
  readonly server: Server;
  readonly port: number;
  /** `http://host:port`, no trailing slash. */
  readonly url: string;
  /** Stops accepting connections, ends idle keep-alive ones and waits for the rest. */
  close(): Promise<void>;
}

/** Listens on `port` (0 = any free port) and reports where. */
export function listen(app: Express, port: number, host = '127.0.0.1'): Promise<Listening> {
  const server = createServer(app);
  // Keep-alive callers (the gateway's pool) must not see sockets closed under them mid-request.
  server.keepAliveTimeout = 65_000;
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
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
  });
}
