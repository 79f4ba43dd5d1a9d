/**
 * The write-back step: sends the run's commission records to the CRM. jobs/write-back.ts diffs
 * them against `writeback_state` and upserts by external id, so a step that runs twice (or dies
 * halfway and runs again) sends nothing twice; then the estimates the run stored, through the same
 * diff (jobs/estimate-write-back.ts). A csv source has no CRM to write to.
 */
import { openConnector, sourceOf } from '../connectors/registry.js';
import { FiscalCalendar } from '../src/domain/periods.js';
import { RunStepError, type StepContext } from './step-context.js';
import { workspaceOf } from './sync.js';
import { readCommissionRecords, writeBackChanges, type WritebackSummary } from './write-back.js';
import { crmSettlements, recordWriteBackOfDisputes } from './crm-disputes.js';
import { writeBackEstimates } from './estimate-write-back.js';

export interface WriteBackOutcome {
  /** Absent when nothing was written back (csv source, or write-back disabled). */
  summary?: Omit<WritebackSummary, 'failed' | 'incomplete' | 'settled' | 'removedKeys'>;
  detail: string;
}

export async function writeBackStep(ctx: StepContext): Promise<WriteBackOutcome> {
  const workspace = await workspaceOf(ctx);
  const { source, writeback, calendar } = workspace.config;
  if (!sourceOf(workspace.config).connect) return { detail: `nothing to write back for a ${source.kind} source` };
  if (!writeback.enabled) return { detail: 'off (writeback.enabled is false)' };

  const log = (message: string) => ctx.log.info({ step: 'write-back', source: source.kind }, message);
  const connector =
    ctx.cache?.connector ??
    (await openConnector({ config: workspace.config, workspaceDir: workspace.dir, env: ctx.env, log }));
  if (!connector) throw new Error(`source.kind ${source.kind}: no connector`);
  try {
    const target = await connector.writeback();
    const { failed, incomplete, settled, removedKeys, ...summary } = await writeBackChanges(
      ctx.db,
      target,
      await readCommissionRecords(
        ctx.db,
        new FiscalCalendar(calendar.fiscalYearStartMonth),
        await crmSettlements(ctx.db, connector.kind),
      ),
    );
    await recordWriteBackOfDisputes(ctx.db, connector.kind, { settled, removedKeys });
    // Estimates: a CRM without the estimate object yet (its connector logged why) gets none.
    const estimateTarget = await connector.estimates?.();
    const estimates = estimateTarget ? await writeBackEstimates(ctx.db, estimateTarget) : undefined;
    if (estimates) failed.push(...estimates.failed);
    const examples = (list: { key: string; error: string }[]) =>
      list
        .slice(0, 3)
        .map((f) => `${f.key}: ${f.error}`)
        .join('; ');
    const detail =
      `${summary.sent} sent, ${summary.unchanged} unchanged, ${summary.removed} removed` +
      (failed.length ? `, ${failed.length} refused (kept, sent again next run): ${examples(failed)}` : '') +
      (incomplete.length
        ? `, ${incomplete.length} written but not associated to their deal (sent again next run): ${examples(incomplete)}`
        : '') +
      (estimates
        ? `; estimates: ${estimates.sent} sent, ${estimates.unchanged} unchanged, ${estimates.removed} removed`
        : '');
    // Written but not associated (a deal deleted since the sync): a warning, not a failed step.
    ctx.log[incomplete.length > 0 ? 'warn' : 'info'](
      { step: 'write-back', ...summary, refused: failed.length, incomplete: incomplete.length },
      detail,
    );
    if (failed.length > 0) {
      throw new RunStepError(
        `write-back: the CRM refused ${failed.length} of ${summary.sent + (estimates?.sent ?? 0)} records, e.g. ${failed[0]!.key}: ${failed[0]!.error}; they are sent again on the next run`,
      );
    }
    return { summary, detail };
  } finally {
    if (!ctx.cache?.connector) await connector.close();
  }
}
