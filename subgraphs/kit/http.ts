import { createServer, type Server } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import type { Express } from 'express';
import type { Logger } from './logger.js';

/** Requests in flight get this long to finish on SIGTERM, so that a process exits within 10 s. */
export const DRAIN_LIMIT_MS = 8000;

export interface Listening {
  readonly server: Server;
  readonly port: number;
  /** `http://host:port`, no trailing slash. */
  readonly url: string;
  /**
   * Stops accepting connections and resolves once every open one has ended: a request already
   * accepted is answered, and with `Connection: close`, so a keep-alive client does not send
   * another on that connection; a connection is closed for the client only once it has carried
   * no request for `idleGraceMs` (0: idle ones at once).
   */
  close(idleGraceMs?: number): Promise<void>;
}

/** Listens on `port` (0 = any free port) and reports where. */
export function listen(app: Express, port: number, host = '127.0.0.1'): Promise<Listening> {
  const server = createServer(app);
  // Keep-alive callers (the gateway's pool) must not see sockets closed under them mid-request.
  server.keepAliveTimeout = 65_000;
  let closing = false;
  // Per connection: requests in progress and when the last one ended. A connection between two
  // requests of a busy client is idle for microseconds; closing it then would race its next request.
  const connections = new Map<Socket, { active: number; idleSince: number }>();
  server.on('connection', (socket) => {
    connections.set(socket, { active: 0, idleSince: Date.now() });
    socket.once('close', () => connections.delete(socket));
  });
  server.prependListener('request', (req, res) => {
    const state = connections.get(req.socket);
    if (state) {
      state.active++;
      res.once('close', () => {
        state.active--;
        state.idleSince = Date.now();
      });
    }
    if (closing) res.setHeader('connection', 'close');
  });
  const closeIdle = (idleForMs: number) => {
    const now = Date.now();
    for (const [socket, state] of connections) if (state.active === 0 && now - state.idleSince >= idleForMs) socket.destroy();
  };
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
              clearInterval(sweep);
              done();
            });
            if (idleGraceMs === 0) closeIdle(0);
            // Each sweep lets one turn of the event loop's I/O run first (setImmediate): requests that
            // arrived while the loop was busy are read, so their connections no longer count as idle.
            const sweep = setInterval(() => setImmediate(() => closeIdle(idleGraceMs)), Math.max(50, idleGraceMs / 4));
            sweep.unref();
          }),
      });
    });
  });
}

/**
 * Stops taking requests and waits for those in flight, at most `limitMs`. A request still running
 * then (it should not be: every call has a deadline) loses its connection rather than keeping the
 * process past the orchestrator's patience. True when every request finished in time.
 */
export async function drain(listening: Listening, logger: Logger, limitMs = DRAIN_LIMIT_MS): Promise<boolean> {
  const drained = await Promise.race([listening.close().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), limitMs).unref())]);
  if (!drained) {
    logger.warn({ afterMs: limitMs }, 'requests still running after the drain limit; closing their connections');
    listening.server.closeAllConnections();
  }
  return drained;
}
