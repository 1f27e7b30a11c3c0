/**
 * Nothing calls out of the machine but the configured services: every connection the whole stack
 * opens while it starts, answers and sits idle goes to a loopback address, and no host name other
 * than a loopback one is looked up.
 */
import diagnostics from 'node:diagnostics_channel';
import dns from 'node:dns';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { adminToken } from '../support/identities.js';
import { startStack, type Stack } from '../support/stack.js';

const connections: string[] = [];
const onSocket = (message: unknown) => {
  const socket = (message as { socket: Socket }).socket;
  socket.once('connect', () => connections.push(`${socket.remoteAddress}:${socket.remotePort}`));
  socket.once('error', (error) => connections.push(`failed: ${error.message}`));
};
const lookups: string[] = [];
const lookup = dns.lookup;

let stack: Stack;
beforeAll(async () => {
  diagnostics.subscribe('net.client.socket', onSocket);
  (dns as { lookup: unknown }).lookup = (host: string, ...rest: unknown[]) => {
    lookups.push(host);
    return (lookup as (...args: unknown[]) => unknown)(host, ...rest);
  };
  stack = await startStack({ seedCount: 5 });
});
afterAll(async () => {
  diagnostics.unsubscribe('net.client.socket', onSocket);
  (dns as { lookup: unknown }).lookup = lookup;
  await stack?.stop();
});

it('opens connections to loopback addresses only, and looks up no outside host, while starting, answering and idling', async () => {
  const { body } = await stack.query('{ regions { code credentialCount } }', {}, { token: await adminToken(stack) });
  expect(body.errors).toBeUndefined();
  // Long enough for start-up probes and exporters that begin on a timer to show themselves.
  await new Promise((r) => setTimeout(r, 3000));
  const loopback = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+):\d+$/;
  expect(connections.length).toBeGreaterThan(0); // the observer works: the stack's own calls are seen
  expect(connections.filter((c) => !loopback.test(c))).toEqual([]);
  expect([...new Set(lookups)].filter((h) => !['127.0.0.1', 'localhost', '::1'].includes(h))).toEqual([]);
});
