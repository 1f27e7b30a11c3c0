/**
 * A minimal app for working on the GraphiQL page in isolation: the real GraphiQL router in front
 * of a one-field GraphQL endpoint, without subgraphs or databases.
 */
import express from 'express';
import { buildSchema, graphql } from 'graphql';
import { graphiqlRouter } from '../../gateway/src/graphiql.js';
import { listen } from '../../subgraphs/kit/http.js';

const schema = buildSchema(`
  type Region { code: ID! name: String! }
  type Query { regions: [Region!]! }
`);

const rootValue = { regions: () => [{ code: 'yangtze-delta', name: 'Yangtze River Delta' }] };

export interface GraphiqlHarness {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  gatewayUrl: string;
  stop(): Promise<void>;
}

export async function startGraphiqlHarness(): Promise<GraphiqlHarness> {
  const app = express();
  app.disable('x-powered-by');
  app.use(graphiqlRouter({ graphqlPath: '/graphql' }));
  app.post('/graphql', express.json(), async (req, res) => {
    const body = (req.body ?? {}) as { query?: unknown; variables?: unknown; operationName?: unknown };
    if (typeof body.query !== 'string') {
      res.status(400).json({ errors: [{ message: 'query must be a string' }] });
      return;
    }
    const result = await graphql({
      schema,
      rootValue,
      source: body.query,
      variableValues: (body.variables ?? undefined) as Record<string, unknown> | undefined,
      operationName: typeof body.operationName === 'string' ? body.operationName : undefined,
    });
    res.json(result);
  });
  const listening = await listen(app, 0);
  return { gatewayUrl: listening.url, stop: () => listening.close() };
}
