import type { Express } from 'express';

/** `/health`: the process answers. `/ready`: it serves a supergraph and takes traffic. */
export function healthRoutes(app: Express, isReady: () => boolean): void {
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/ready', (_req, res) => {
    if (isReady()) res.json({ status: 'ready' });
    else res.status(503).json({ status: 'starting' });
  });
}
