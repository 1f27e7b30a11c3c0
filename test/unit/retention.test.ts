import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../subgraphs/kit/db.js';
import { createLogger } from '../../subgraphs/kit/logger.js';
import { registryRetention } from '../../subgraphs/kit/registry/retention.js';
import { RetentionJob } from '../../subgraphs/kit/retention.js';
import { recognitionRetention } from '../../subgraphs/recognition/retention.js';
import { subgraphDatabase } from '../support/databases.js';

const silent = createLogger('test', 'silent');
let recognition: Database;
let registry: Database;
beforeAll(async () => {
  recognition = await subgraphDatabase('recognition');
  registry = await subgraphDatabase('shandong');
});
afterAll(async () => {
  await recognition?.close();
  await registry?.close();
});

const ids = async (db: Database, sql: string) => (await db.query<{ id: string }>(sql)).map((r) => r.id).sort();

describe('recognition’s retention (defaults: codes and delivered entries 7 days, verifications 365)', () => {
  it('deletes what is older than its retention, by a minute, and keeps what is younger by a minute', async () => {
    await recognition.exec(`
      insert into presentation_code (jti, credential_id, holder_code, expires_at) values
        ('code-old', 'c', 'h', now() - interval '7 days 1 minute'),
        ('code-young', 'c', 'h', now() - interval '6 days 23 hours 59 minutes'),
        ('code-live', 'c', 'h', now() + interval '5 minutes');
      insert into usage_outbox (verification_id, region_code, record, delivered_at) values
        ('v-delivered-old', 'shandong', '{}', now() - interval '7 days 1 minute'),
        ('v-delivered-young', 'shandong', '{}', now() - interval '6 days 23 hours 59 minutes'),
        ('v-waiting-old', 'shandong', '{}', null);
      update usage_outbox set created_at = now() - interval '400 days' where verification_id = 'v-waiting-old';
      insert into verification (id, code_jti, credential_id, issuing_region, verifier_org, verifier_region, scenario, context, verdict, reasons, disputed, released_fields, trace, usage_recorded, checked_at)
      select id, 'j', 'c', 'shandong', 'o', 'shandong', 's', '{}', 'ACCEPTED', '{}', false, '[]', '[]', true, at from (values
        ('v-delivered-old', now() - interval '365 days 1 minute'),
        ('v-delivered-young', now() - interval '364 days 23 hours 59 minutes'),
        ('v-waiting-old', now() - interval '400 days')) as t(id, at);
    `);
    const job = new RetentionJob(recognition, recognitionRetention({}), silent, 3_600_000);
    expect(await job.runOnce()).toEqual({ 'presentation codes': 1, 'delivered usage-relay entries': 1, verifications: 1 });
    expect(await ids(recognition, 'select jti as id from presentation_code')).toEqual(['code-live', 'code-young']);
    // A usage record still waiting for its registry is never deleted, nor its verification.
    expect(await ids(recognition, 'select verification_id as id from usage_outbox')).toEqual(['v-delivered-young', 'v-waiting-old']);
    expect(await ids(recognition, 'select id from verification')).toEqual(['v-delivered-young', 'v-waiting-old']);
    // Nothing more the second time.
    expect(await job.runOnce()).toEqual({ 'presentation codes': 0, 'delivered usage-relay entries': 0, verifications: 0 });
  });

  it('takes its retentions from the environment, and refuses what is not a number of days', () => {
    expect(recognitionRetention({ HUTONG_RETENTION_VERIFICATIONS_DAYS: '30' }).map((t) => [t.what, t.days])).toEqual([
      ['presentation codes', 7], ['delivered usage-relay entries', 7], ['verifications', 30],
    ]);
    expect(() => recognitionRetention({ HUTONG_RETENTION_PRESENTATION_CODES_DAYS: '-1' })).toThrow(/HUTONG_RETENTION_PRESENTATION_CODES_DAYS/);
  });
});

describe('a registry’s retention', () => {
  it('compacts its outbox: an entry superseded by a later one for the same credential goes after 30 days, each credential’s latest stays', async () => {
    await registry.exec(`
      insert into catalogue_outbox (credential_id, holder_code, holder_type, type_code, status, occurred_at) values
        ('A', 'h', '111', 't', '01', now() - interval '40 days'),
        ('A', 'h', '111', 't', '02', now() - interval '35 days'),
        ('A', 'h', '111', 't', '01', now() - interval '31 days'),
        ('B', 'h', '111', 't', '01', now() - interval '90 days'),
        ('C', 'h', '111', 't', '01', now() - interval '29 days 23 hours'),
        ('C', 'h', '111', 't', '03', now() - interval '1 day');
    `);
    const before = await registry.query<{ seq: number; credential_id: string }>('select seq::float8 as seq, credential_id from catalogue_outbox order by seq');
    const job = new RetentionJob(registry, registryRetention({}, 'shandong'), silent, 3_600_000);
    // Usage records are kept for ever unless a retention is configured: that task does not run.
    expect(await job.runOnce()).toEqual({ 'superseded outbox entries': 2 });
    const after = await registry.query<{ seq: number; credential_id: string }>('select seq::float8 as seq, credential_id from catalogue_outbox order by seq');
    expect(after.map((r) => r.credential_id)).toEqual(['A', 'B', 'C', 'C']);
    // The head entry stays: the feed's head never moves back.
    expect(after.at(-1)!.seq).toBe(before.at(-1)!.seq);
  });

  it('deletes usage records only when a retention is configured, and then only older ones', async () => {
    await registry.exec(`
      insert into usage_record (id, credential_id, verifier_org, verifier_name, verifier_region, operator, scenario, scenario_name, service_item_name, service_item_code, business_case_number, released_fields, verdict, reasons, rule_id, rule_version, verified_at)
      select id, 'c', 'o', 'n', 'shandong', 'op', 's', 'sn', 'si', 'sc', 'b', '{}', 'ACCEPTED', '{}', null, null, at from (values
        ('u-old', now() - interval '1096 days'), ('u-young', now() - interval '1094 days')) as t(id, at);
    `);
    expect(await new RetentionJob(registry, registryRetention({}, 'shandong'), silent, 3_600_000).runOnce()).not.toHaveProperty('usage records');
    const kept = new RetentionJob(registry, registryRetention({ HUTONG_RETENTION_USAGE_RECORDS_DAYS: '1095' }, 'shandong'), silent, 3_600_000);
    expect((await kept.runOnce())['usage records']).toBe(1);
    expect(await ids(registry, 'select id from usage_record')).toEqual(['u-young']);
  });
});
