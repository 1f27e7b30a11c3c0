/**
 * Every `graphql` block of the README runs through the gateway as written, in order, as the
 * identity its `<!-- as: name -->` line names (a development identity, as `npm run tokens`
 * prints), with the variables of the `json` block after it. A value written as
 * `<key from field>` is taken from an earlier example's answer, as a reader would copy it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devIdentity } from '../../scripts/dev-identities.js';
import { startStack, type Stack } from '../support/stack.js';

const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
const examples = [
  ...readme.matchAll(
    /((?:<!-- (?:as|expect-error): [\w-]+ -->\n)*)```graphql\n([\s\S]*?)```(?:\n\n```json\n([\s\S]*?)```)?/g,
  ),
].map((m, i) => {
  const notes = m[1] ?? '';
  const query = m[2]!;
  return {
    name: `example ${i + 1}: ${query.trim().split('\n')[0]}`,
    as: /<!-- as: ([\w-]+) -->/.exec(notes)?.[1],
    expectedError: /<!-- expect-error: (\w+) -->/.exec(notes)?.[1],
    query,
    variables: m[3],
  };
});

/** `<key from field>` values seen so far, from every object in every answer. */
const captured = new Map<string, string>();
function capture(value: unknown, field: string): void {
  if (Array.isArray(value)) value.forEach((v) => capture(v, field));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === 'string') captured.set(`${k} from ${field}`, v);
      else capture(v, k);
    }
  }
}

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
    expect(examples.length).toBeGreaterThanOrEqual(15);
  });

  for (const example of examples) {
    it(`${example.name} works as written${example.as ? ` as ${example.as}` : ''}`, async () => {
      const variables = example.variables
        ? JSON.parse(example.variables.replace(/"<([\w ]+)>"/g, (_, key: string) => {
            expect(captured.has(key), `an earlier example answers ${key}`).toBe(true);
            return JSON.stringify(captured.get(key));
          }))
        : undefined;
      const token = example.as ? await stack.token(devIdentity(example.as).claims) : undefined;
      // The catalogue relays within a second in production; here it is asked to catch up first.
      await stack.subgraphs.get('catalogue')!.subgraph.settle!();
      const { status, body } = await stack.query(example.query, variables, { token });
      if (example.expectedError) {
        expect(status).toBeLessThan(500);
        expect(body.errors?.[0]?.extensions?.code).toBe(example.expectedError);
        // The README quotes the message right after the block.
        expect(readme).toContain(body.errors![0].message);
      } else {
        expect(status).toBe(200);
        expect(body.errors).toBeUndefined();
        for (const value of Object.values(body.data ?? {})) expect(value).not.toBeNull();
        capture(body.data, 'data');
        for (const [field, value] of Object.entries(body.data ?? {})) capture({ [field]: value }, field);
      }
    });
  }

  it('shows the verdicts the README says', () => {
    expect(captured.get('verdict from verifyPresentation')).toBe('ACCEPTED');
    expect(captured.get('ruleId from verifyPresentation')).toBe('yrd-hotel-e-id');
    expect(captured.get('status from rejectDispute')).toBe('REJECTED');
  });
});
