/**
 * The plan acknowledgements store on PGlite and the local PostgreSQL: one row per rep, plan and
 * version, each new one with its audit event, a batch recorded all or none.
 */
import { expect, it } from 'vitest';
import { listAuditEvents } from '../../src/db/audit-log.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import {
  listPlanAcknowledgements,
  recordPlanAcknowledgements,
  type NewPlanAcknowledgement,
} from '../../src/db/plan-acknowledgements.js';
import { forEachBackend } from './backends.js';

const ack = (repId: string, planHash: string, source = 'attain plan ack'): NewPlanAcknowledgement => ({
  repId,
  planId: 'ae',
  planHash,
  date: '2026-06-30',
  by: 'ann',
  source,
});

forEachBackend((backend) => {
  it('records a version once, with its audit event, and keeps the first date', async () => {
    await migrateToLatest(backend.db);
    const first = await recordPlanAcknowledgements(backend.db, [ack('r1', 'aaaaaaaaaaaa'), ack('r2', 'aaaaaaaaaaaa')]);
    expect(first.map((a) => a.repId)).toEqual(['r1', 'r2']);
    const again = await recordPlanAcknowledgements(backend.db, [
      { ...ack('r1', 'aaaaaaaaaaaa'), date: '2026-07-01' },
      ack('r1', 'bbbbbbbbbbbb', 'acknowledgements.csv:2'),
    ]);
    expect(again.map((a) => a.planHash)).toEqual(['bbbbbbbbbbbb']);

    const rows = await listPlanAcknowledgements(backend.db, 'ae');
    expect(rows.map((r) => [r.rep_id, r.plan_hash, r.acknowledged_on, r.source])).toEqual([
      ['r1', 'aaaaaaaaaaaa', '2026-06-30', 'attain plan ack'],
      ['r2', 'aaaaaaaaaaaa', '2026-06-30', 'attain plan ack'],
      ['r1', 'bbbbbbbbbbbb', '2026-06-30', 'acknowledgements.csv:2'],
    ]);
    expect(await listPlanAcknowledgements(backend.db, 'other')).toEqual([]);
    const events = (await listAuditEvents(backend.db)).filter((e) => e.action === 'plan-ack');
    expect(events.map((e) => [e.subject, e.details['repId'], e.details['planHash']])).toEqual([
      ['ae', 'r1', 'aaaaaaaaaaaa'],
      ['ae', 'r2', 'aaaaaaaaaaaa'],
      ['ae', 'r1', 'bbbbbbbbbbbb'],
    ]);
  });

  it('records a batch all or none', async () => {
    const before = (await listPlanAcknowledgements(backend.db)).length;
    // A null rep id breaks the NOT NULL constraint on the second row: the first is rolled back.
    const broken = [ack('r3', 'cccccccccccc'), { ...ack('r4', 'cccccccccccc'), repId: null as unknown as string }];
    await expect(recordPlanAcknowledgements(backend.db, broken)).rejects.toThrow();
    expect((await listPlanAcknowledgements(backend.db)).length).toBe(before);
  });
});
