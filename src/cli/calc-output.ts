/**
 * What `attain calc` prints: the JSON object of docs/cli.md (one record per line, deterministic), or a
 * table per plan a person can read: a row per rep and payout period, a column per component.
 */
import type { Writable } from 'node:stream';
import { ZERO, decimal, formatDecimal, type Decimal } from '../domain/decimal.js';
import type { AttainmentRow, CalculationResult, PayoutLine } from '../domain/engine.js';
import type { Rep, Reject } from '../domain/model.js';
import type { FiscalCalendar } from '../domain/periods.js';
import { componentIdsOf, type Plan } from '../domain/plan.js';
import { minorUnitDigits } from '../domain/currency.js';
import { printable } from './printable.js';

export interface CalcReport {
  result: CalculationResult;
  plans: Plan[];
  reps: Rep[];
  baseCurrency: string;
  calendar: FiscalCalendar;
}

/** The currency of the payout lines: the plans' one currency, or the base currency when they differ. */
export function reportCurrency(plans: Plan[], baseCurrency: string): { currency: string; mixed: boolean } {
  const currencies = new Set(plans.map((p) => p.currency));
  return currencies.size === 1
    ? { currency: [...currencies][0]!, mixed: false }
    : { currency: baseCurrency, mixed: true };
}

/** Writes the JSON object of docs/cli.md, one payout, attainment row or reject per line. */
export async function writeJson(out: Writable, report: CalcReport): Promise<void> {
  const { currency, mixed } = reportCurrency(report.plans, report.baseCurrency);
  const write = makeWriter(out);
  await write(`{\n"currency": ${JSON.stringify(currency)},\n"payouts": [`);
  let first = true;
  for (const line of report.result.payouts) {
    const record = {
      repId: line.repId,
      planId: line.planId,
      period: line.period,
      component: line.component,
      amount: line.amount,
      ...(mixed ? { currency: line.currency } : {}),
      trace: line.trace,
    };
    await write(`${first ? '\n' : ',\n'}${JSON.stringify(record)}`);
    first = false;
  }
  await write(`\n],\n"attainment": [`);
  first = true;
  for (const row of report.result.attainment) {
    await write(`${first ? '\n' : ',\n'}${JSON.stringify(row)}`);
    first = false;
  }
  await write(`\n],\n"rejects": [`);
  first = true;
  for (const reject of report.result.rejects) {
    await write(`${first ? '\n' : ',\n'}${JSON.stringify(reject)}`);
    first = false;
  }
  await write('\n]\n}\n');
  await write.flush();
}

/** Buffers small writes into large chunks and waits for the stream to drain. */
function makeWriter(out: Writable) {
  let buffer = '';
  const flush = async () => {
    if (buffer.length === 0) return;
    const chunk = buffer;
    buffer = '';
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', resolve));
  };
  const write = async (text: string) => {
    buffer += text;
    if (buffer.length > 1 << 16) await flush();
  };
  return Object.assign(write, { flush });
}

const MAX_REJECTS_SHOWN = 20;

/** The human report: one table per plan, totals, attainment, rejects. */
export async function writeTables(out: Writable, report: CalcReport, heading: string): Promise<void> {
  const write = makeWriter(out);
  const names = new Map(report.reps.map((r) => [r.id, r.name]));
  /** By plan, rep and quota period: the plan's first measure, alphabetically. */
  const attainmentOf = new Map<string, Map<string, Map<string, AttainmentRow>>>();
  for (const row of report.result.attainment) {
    let ofPlan = attainmentOf.get(row.planId);
    if (!ofPlan) attainmentOf.set(row.planId, (ofPlan = new Map()));
    let ofRep = ofPlan.get(row.repId);
    if (!ofRep) ofPlan.set(row.repId, (ofRep = new Map()));
    if (!ofRep.has(row.period)) ofRep.set(row.period, row);
  }
  await write(`${heading}\n`);

  const linesByPlan = new Map<string, PayoutLine[]>();
  for (const line of report.result.payouts) {
    let list = linesByPlan.get(line.planId);
    if (!list) linesByPlan.set(line.planId, (list = []));
    list.push(line);
  }
  const grandTotals = new Map<string, Decimal>();
  for (const plan of report.plans) {
    const lines = linesByPlan.get(plan.id) ?? [];
    const digits = minorUnitDigits(plan.currency);
    const own = componentIdsOf(plan);
    const components = [...own, 'adjustment', 'draw'].filter(
      (id, i) => i < own.length || lines.some((l) => l.component === id),
    );
    await write(
      `\n${printable(plan.name)} (${plan.id}) · pays in ${plan.currency} · quota ${plan.quotaPeriod}, paid per ${plan.payoutPeriod}\n`,
    );
    if (lines.length === 0) {
      await write('  no payouts\n');
      continue;
    }
    const header = ['rep', 'period', 'attainment', ...components, 'total'];
    const rows: string[][] = [];
    let planTotal = ZERO;
    /** This plan's attainment, by rep and quota period. */
    const attainmentOfPlan = attainmentOf.get(plan.id);
    /** The quota period of each payout period: a plan's rows name a few periods many times. */
    const quotaPeriodOf = new Map<string, string>();
    /** The attainment cell of the row before: rows of one rep and quota period follow each other. */
    let shown: { row: AttainmentRow | undefined; text: string } = { row: undefined, text: '–' };
    for (let i = 0; i < lines.length;) {
      const { repId, period } = lines[i]!;
      const cells = new Map<string, Decimal>();
      let total = ZERO;
      for (; i < lines.length && lines[i]!.repId === repId && lines[i]!.period === period; i++) {
        const amount = decimal(lines[i]!.amount);
        cells.set(lines[i]!.component, (cells.get(lines[i]!.component) ?? ZERO) + amount);
        total += amount;
      }
      planTotal += total;
      let quotaPeriod = quotaPeriodOf.get(period);
      if (quotaPeriod === undefined) {
        const startMonth = report.calendar.parse(period)?.startMonth ?? 0;
        quotaPeriod = report.calendar.periodOf(plan.quotaPeriod, startMonth).label;
        quotaPeriodOf.set(period, quotaPeriod);
      }
      const att = attainmentOfPlan?.get(repId)?.get(quotaPeriod);
      if (att !== shown.row) {
        shown = { row: att, text: att?.attainment === undefined ? '–' : `${quotaPeriod} ${percent(att.attainment)}` };
      }
      rows.push([
        printable(`${names.get(repId) ?? repId} (${repId})`),
        period,
        shown.text,
        ...components.map((c) => (cells.has(c) ? money(cells.get(c)!, digits) : '–')),
        money(total, digits),
      ]);
    }
    rows.push(['total', '', '', ...components.map(() => ''), money(planTotal, digits)]);
    grandTotals.set(plan.currency, (grandTotals.get(plan.currency) ?? ZERO) + planTotal);
    await write(table(header, rows, 3));
  }

  await write('\n');
  for (const [currency, total] of grandTotals)
    await write(`Total payouts: ${money(total, minorUnitDigits(currency))} ${currency}\n`);
  await writeRejects(write, report.result.rejects);
  await write.flush();
}

async function writeRejects(write: (text: string) => Promise<void>, rejects: Reject[]): Promise<void> {
  if (rejects.length === 0) {
    await write('Rejects: none\n');
    return;
  }
  await write(
    `Rejects: ${rejects.length} record${rejects.length === 1 ? '' : 's'} not used (all of them are in --json)\n`,
  );
  for (const r of rejects.slice(0, MAX_REJECTS_SHOWN))
    await write(`${printable(`  ${r.source}  ${r.recordId}: ${r.reason}`)}\n`);
  if (rejects.length > MAX_REJECTS_SHOWN) await write(`  … and ${rejects.length - MAX_REJECTS_SHOWN} more\n`);
}

/** `1234567.5` → `1,234,567.50`: a decimal string, or a Decimal formatted to `digits`. */
export function money(amount: Decimal | string, digits = 2): string {
  const text = typeof amount === 'string' ? amount : formatDecimal(amount, digits);
  const dot = text.indexOf('.');
  const whole = dot < 0 ? text : text.slice(0, dot);
  const grouped = DIGITS.test(whole) ? groupDigits(whole) : whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return dot < 0 ? grouped : grouped + text.slice(dot);
}

const DIGITS = /^-?\d+$/;

/**
 * `-1234567` → `-1,234,567`: what the lookahead above makes of an integer, without a regex (a plan
 * of 200,000 rows formats a million amounts).
 */
function groupDigits(whole: string): string {
  const start = whole.charCodeAt(0) === 45 ? 1 : 0;
  const first = (whole.length - start) % 3 || 3;
  let grouped = whole.slice(0, start + first);
  for (let i = start + first; i < whole.length; i += 3) grouped += ',' + whole.slice(i, i + 3);
  return grouped;
}

function percent(attainment: string): string {
  return `${formatDecimal(decimal(attainment) * 100n, 1)} %`;
}

/** Left-aligns the first `textColumns` columns and right-aligns the (money) rest. */
export function table(header: string[], rows: string[][], textColumns: number): string {
  // A loop, not Math.max(...column): spreading a column of a large plan overflows the call stack.
  const widths = header.map((h) => h.length);
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i]!, cell.length)));
  const render = (cells: string[]) =>
    '  ' +
    cells
      .map((c, i) => (i < textColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd() +
    '\n';
  return [render(header), ...rows.map(render)].join('');
}
