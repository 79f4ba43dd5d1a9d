/**
 * What `attain estimate` prints (docs/cli.md#attain-estimate): the JSON object, or per open deal a
 * row per rep and plan with what it would pay and why.
 */
import type { Writable } from 'node:stream';
import { decimal } from '../domain/decimal.js';
import type { EstimateResult } from '../domain/estimate.js';
import type { Rep } from '../domain/model.js';
import type { Plan } from '../domain/plan.js';
import { money, reportCurrency } from './calc-output.js';
import { printable } from './printable.js';

export interface EstimateReport {
  result: EstimateResult;
  plans: Plan[];
  reps: Rep[];
  baseCurrency: string;
}

/** The JSON object of docs/cli.md#attain-estimate, one estimate per line. */
export function estimateJson(report: EstimateReport): string {
  const { currency } = reportCurrency(report.plans, report.baseCurrency);
  // The trace is JSON text already (estimate's `traces: 'text'`): put in as it is.
  const rows = report.result.estimates.map(
    (e) =>
      `${JSON.stringify({
        dealId: e.dealId,
        repId: e.repId,
        planId: e.planId,
        amount: e.amount,
        currency: e.currency,
      }).slice(0, -1)},"trace":${e.trace.text()}}`,
  );
  return `{\n"currency": ${JSON.stringify(currency)},\n"estimates": [${rows.length ? `\n${rows.join(',\n')}` : ''}\n]\n}\n`;
}

export function writeEstimateTables(out: Writable, report: EstimateReport, heading: string): void {
  const names = new Map(report.reps.map((r) => [r.id, r.name]));
  const { estimates } = report.result;
  const deals = new Set(estimates.map((e) => e.dealId));
  out.write(
    `${heading}\n${deals.size} open deal${deals.size === 1 ? '' : 's'} estimated` +
      (report.result.asOf ? ` through ${report.result.asOf}` : '') +
      `, ${estimates.length} estimate${estimates.length === 1 ? '' : 's'}\n`,
  );
  let current = '';
  for (const e of estimates) {
    if (e.dealId !== current) {
      current = e.dealId;
      const t = e.trace.toJSON() as { name?: string; amount?: string; currency?: string; closeDate?: string };
      out.write(
        '\n' +
          printable(
            `${e.dealId} ${t.name ?? ''} · ${money(t.amount ?? '0')} ${t.currency ?? ''} · closing ${t.closeDate ?? ''}`,
          ) +
          '\n',
      );
    }
    const amount = decimal(e.amount);
    const shown = `${amount > 0n ? '+' : ''}${money(e.amount)} ${e.currency}`;
    const changes = (e.trace.toJSON()['changes'] as { component: string; why: string[] }[] | undefined) ?? [];
    const why = changes.flatMap((c) => c.why.map((w) => `${c.component}: ${w}`)).join('; ');
    const who = `${names.get(e.repId) ?? e.repId} (${e.repId})`;
    out.write(printable(`  ${who.padEnd(28)} ${e.planId.padEnd(12)} ${shown.padStart(16)}  ${why}`) + '\n');
  }
}
