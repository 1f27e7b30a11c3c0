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
    /((?:<!-- [\w-]+(?:: [\w-]+)? -->\n)*)```graphql\n([\s\S]*?)```(?:\n\n```json\n([\s\S]*?)```)?/g,
  ),
].map((m, i) => {
  const notes = m[1] ?? '';
  const query = m[2]!;
  return {
    index: i,
    name: `example ${i + 1}: ${query.trim().split('\n')[0]}`,
    as: /<!-- as: ([\w-]+) -->/.exec(notes)?.[1],
    expectedError: /<!-- expect-error: (\w+) -->/.exec(notes)?.[1],
    afterPrevious: notes.includes('<!-- after-previous -->'),
    query,
    variables: m[3],
  };
});
type Example = (typeof examples)[number];

/**
 * Examples that build on each other form a story, run in order in one test: an example that
 * uses `<key from field>` continues the story of the example that answered that key, and one
 * marked `<!-- after-previous -->` continues the story of the example just before it (a restore
 * needs the suspension before it). Every other example is a story of its own. Stories run in a
 * random order (describe.shuffle), so none may depend on another having run.
 */
function stories(all: Example[]): Example[][] {
  const storyOf = new Map<number, Example[]>();
  const result: Example[][] = [];
  const producers = new Map<string, Example>();
  for (const example of all) {
    const keys = [...(example.variables ?? '').matchAll(/"<([\w ]+)>"/g)].map((m) => m[1]!);
    const producer = example.afterPrevious ? all[example.index - 1] : keys.map((k) => producers.get(k.split(' from ')[1]!)).find(Boolean);
    const story = producer ? storyOf.get(producer.index)! : [];
    if (!producer) result.push(story);
    story.push(example);
    storyOf.set(example.index, story);
    for (const field of example.query.matchAll(/^\s*(\w+)(?:\(|\s*\{)/gm)) producers.set(field[1]!, example);
  }
  return result;
}

/** `<key from field>` values seen so far in a story, from every object in every answer. */
function capture(captured: Map<string, string>, value: unknown, field: string): void {
  if (Array.isArray(value)) value.forEach((v) => capture(captured, v, field));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === 'string') captured.set(`${k} from ${field}`, v);
      else capture(captured, v, k);
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

async function run(example: Example, captured: Map<string, string>): Promise<void> {
  const variables = example.variables
    ? JSON.parse(example.variables.replace(/"<([\w ]+)>"/g, (_, key: string) => {
        expect(captured.has(key), `${example.name}: an earlier example of its story answers ${key}`).toBe(true);
        return JSON.stringify(captured.get(key));
      }))
    : undefined;
  const token = example.as ? await stack.token(devIdentity(example.as).claims) : undefined;
  // The catalogue relays within a second in production; here it is asked to catch up first.
  await stack.subgraphs.get('catalogue')!.subgraph.settle!();
  const { status, body } = await stack.query(example.query, variables, { token });
  if (example.expectedError) {
    expect(status, example.name).toBeLessThan(500);
    expect(body.errors?.[0]?.extensions?.code, example.name).toBe(example.expectedError);
    // The README quotes the message right after the block.
    expect(readme).toContain(body.errors![0].message);
  } else {
    expect(status, example.name).toBe(200);
    expect(body.errors, example.name).toBeUndefined();
    for (const value of Object.values(body.data ?? {})) expect(value, example.name).not.toBeNull();
    for (const [field, value] of Object.entries(body.data ?? {})) capture(captured, { [field]: value }, field);
  }
}

describe('README example operations', () => {
  it('has examples to check, grouped into stories', () => {
    expect(examples.length).toBeGreaterThanOrEqual(15);
    const grouped = stories(examples);
    expect(grouped.flat()).toHaveLength(examples.length);
    // A page → the next; present → verify → look up; dispute → reject; suspend → restore;
    // issue → correct → cancel; publish a rule version → its history.
    expect(grouped.filter((s) => s.length > 1).map((s) => s.length)).toEqual([2, 3, 2, 2, 3, 2]);
  });

  describe.shuffle('each story, in any order', () => {
    for (const story of stories(examples)) {
      const who = [...new Set(story.map((e) => e.as).filter(Boolean))].join(', ');
      it(`${story.map((e) => e.name).join(' → ')} works as written${who ? ` as ${who}` : ''}`, async () => {
        const captured = new Map<string, string>();
        for (const example of story) await run(example, captured);
        // The outcomes the README's prose states.
        if (captured.has('verdict from verifyPresentation')) {
          expect(captured.get('verdict from verifyPresentation')).toBe('ACCEPTED');
          expect(captured.get('ruleId from verifyPresentation')).toBe('yrd-hotel-e-id');
        }
        if (captured.has('status from rejectDispute')) expect(captured.get('status from rejectDispute')).toBe('REJECTED');
        if (captured.has('status from restoreCredential')) expect(captured.get('status from restoreCredential')).toBe('VALID');
        if (captured.has('status from revokeCredential')) expect(captured.get('status from revokeCredential')).toBe('REVOKED');
        if (captured.has('status from cancelCredential')) expect(captured.get('status from cancelCredential')).toBe('CANCELLED');
      });
    }
  });
});
