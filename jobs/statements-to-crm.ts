/**
 * `attain statements PERIOD --to-crm` (docs/statements-and-payroll.md#statements-in-the-crm): each
 * rep's statement PDF onto a per-rep, per-period statement record in the CRM, owned by the rep.
 * Changed-only: `writeback_state` (target `<crm>-statements`, key `rep|period`) keeps a hash of each
 * statement as last uploaded; an unchanged statement is not sent again. The hash is of the
 * statement's content (what the PDF shows, but for the run ids), not of the PDF's bytes, which carry
 * the time they were made.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Workspace } from '../config/workspace.js';
import { openConnector, sourceOf } from '../connectors/registry.js';
import type { StatementFile } from '../connectors/source.js';
import { recordAuditEvent, readWritebackState, saveWritebackState, type Database } from '../src/db/index.js';
import { PayCycleInputError } from './pay-cycle-error.js';
import { renderStatement, statementFileName, type Statement } from './statements.js';

export interface CrmStatementsSummary {
  /** `salesforce-statements`. */
  target: string;
  sent: number;
  unchanged: number;
  failed: { key: string; error: string }[];
}

/** The statement record's key: `<repId>|<period>`. */
export function statementKey(statement: Statement): string {
  return `${statement.rep.id}|${statement.period}`;
}

/**
 * What a statement shows, hashed, but for the runs it names: every run has a new id, and a statement
 * a later run recomputed to the same numbers and words is not uploaded again (the File in the CRM
 * names the run that last changed it).
 */
export function statementHash(statement: Statement): string {
  const { runs: _runs, ...shown } = statement;
  return createHash('sha256').update(JSON.stringify(shown)).digest('hex').slice(0, 32);
}

export async function sendStatementsToCrm(
  db: Kysely<Database>,
  workspace: Workspace,
  statements: readonly Statement[],
  options: { by: string; env: NodeJS.ProcessEnv; log: (message: string) => void },
): Promise<CrmStatementsSummary> {
  const { kind, connect } = sourceOf(workspace.config);
  if (!connect) throw new PayCycleInputError(`--to-crm: a ${kind} source has no CRM to send statements to`);
  const connector = await openConnector({
    config: workspace.config,
    workspaceDir: workspace.dir,
    env: options.env,
    log: options.log,
  });
  if (!connector?.statements)
    throw new PayCycleInputError(
      `--to-crm: ${kind} cannot hold statements with the access Attain has (docs/statements-and-payroll.md#statements-in-the-crm)`,
    );
  try {
    const target = await connector.statements();
    const state = new Map((await readWritebackState(db, target.name)).map((row) => [row.key, row]));
    const hashes = new Map(statements.map((s) => [statementKey(s), statementHash(s)]));
    const changed = statements.filter((s) => {
      const known = state.get(statementKey(s));
      return known === undefined || known.status !== 'ok' || known.hash !== hashes.get(statementKey(s));
    });
    const files: StatementFile[] = [];
    for (const s of changed) {
      const key = statementKey(s);
      const known = state.get(key)?.external_id;
      files.push({
        key,
        repId: s.rep.id,
        period: s.period,
        title: `Statement ${s.period} - ${s.rep.name}`,
        status: s.status,
        totals: s.totals.map((t) => `${t.amount} ${t.currency}`).join(', '),
        fileName: statementFileName(s, 'pdf'),
        pdf: await renderStatement(s, 'pdf'),
        ...(known ? { externalId: known } : {}),
      });
    }
    const outcomes = files.length > 0 ? await target.upload(files) : [];
    const byKey = new Map(outcomes.map((o) => [o.key, o]));
    const failed: CrmStatementsSummary['failed'] = [];
    await saveWritebackState(
      db,
      target.name,
      files.map((f) => {
        const o = byKey.get(f.key) ?? { key: f.key, ok: false, error: 'the CRM gave no result for this statement' };
        if (!o.ok) failed.push({ key: f.key, error: o.error ?? 'refused' });
        return {
          key: f.key,
          hash: hashes.get(f.key)!,
          ...(o.externalId === undefined ? {} : { externalId: o.externalId }),
          status: o.ok ? 'ok' : 'failed',
          error: o.ok ? null : (o.error ?? 'refused'),
        };
      }),
    );
    const period = statements[0]?.period;
    if (period !== undefined && files.length > 0)
      await recordAuditEvent(db, {
        action: 'statements',
        by: options.by,
        subject: period,
        details: {
          to: target.name,
          reps: files.filter((f) => byKey.get(f.key)?.ok).map((f) => f.repId),
          status: [...new Set(changed.map((s) => s.status))],
        },
      });
    return {
      target: target.name,
      sent: files.length - failed.length,
      unchanged: statements.length - files.length,
      failed,
    };
  } finally {
    await connector.close();
  }
}
