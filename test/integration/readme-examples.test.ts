import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';

/** The README's `graphql` blocks, each with the error code it says it produces (if any). */
const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
const examples = [...readme.matchAll(/(?:<!-- expect-error: (\w+) -->\n)?```graphql\n([\s\S]*?)```/g)].map((m, i) => ({
  name: `example ${i + 1}: ${m[2]!.trim().split('\n')[1]?.trim() ?? ''}`,
  expectedError: m[1],
  query: m[2]!,
}));

let stack: Stack;
beforeAll(async () => {
  // The default seed size, as `npm start` has it: the README's identifiers come from it.
  stack = await startStack({ seedCount: 200 });
});
afterAll(async () => {
  await stack?.stop();
});

describe('README example operations', () => {
  it('has examples to check', () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
  });

  it.each(examples.map((e) => [e.name, e] as const))('%s works as written', async (_name, example) => {
    const { status, body } = await stack.query(example.query);
    expect(status).toBe(200);
    if (example.expectedError) {
      expect(body.errors?.[0]?.extensions?.code).toBe(example.expectedError);
      const message = body.errors![0].message as string;
      // The README quotes the message right after the block.
      expect(readme).toContain(message);
    } else {
      expect(body.errors).toBeUndefined();
      for (const value of Object.values(body.data ?? {})) expect(value).not.toBeNull();
    }
  });
});
