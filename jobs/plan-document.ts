/**
 * `attain plan doc`: a plan as the document a rep reads and acknowledges (docs/plan-documents.md).
 * The words come from the plan itself, the payout curve and the worked examples from the engine
 * (src/domain/plan-examples.ts), and the document carries the plan's content hash: the version a
 * rep acknowledges with `attain plan ack`. Built here as plain sections and blocks, then rendered
 * to PDF (jobs/plan-document-pdf.ts) or HTML (jobs/plan-document-html.ts).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describeQuotaPeriods, planTimeline } from '../config/plan-timeline.js';
import type { Workspace } from '../config/workspace.js';
import { parseDecimal } from '../src/domain/decimal.js';
import { payoutCurve, planExample, type ExampleSetting, type PlanExample } from '../src/domain/plan-examples.js';
import { FiscalCalendar, isoOfDay, monthOfDate } from '../src/domain/periods.js';
import {
  planOn,
  type Component,
  type FieldCondition,
  type Measure,
  type Plan,
  type Where,
} from '../src/domain/plan.js';
import { money, percent } from '../src/domain/trace-words.js';
import { PlanInputError } from './plan-input-error.js';
import { payoutCurveSvg, CURVE_HEIGHT, CURVE_WIDTH } from './payout-curve-chart.js';
import { planHash, PLAN_HASH_DIGITS } from './sync.js';

/** The attainments of the worked examples. */
export const EXAMPLE_ATTAINMENTS = ['0.5', '1', '1.5'] as const;
/** The example rep's quota when none is given: a round figure in plan currency. */
export const DEFAULT_EXAMPLE_QUOTA = '100000';

export type DocBlock =
  | { kind: 'text'; text: string }
  | { kind: 'subheading'; text: string }
  | { kind: 'table'; rows: string[][]; columns: (number | string)[]; right?: number[]; lastRowBold?: boolean }
  | { kind: 'chart'; svg: string; width: number; height: number };

export interface DocSection {
  heading: string;
  blocks: DocBlock[];
}

/**
 * A dated version of the plan. Today a plan file is one version, in force for every period a rep
 * is assigned to it (`effective` absent); dated versions in a plan file would add one entry each.
 */
export interface PlanVersionEntry {
  /** The first day of the first quota period the version applies to; absent: from the start. */
  effective?: string;
  /** The quota periods it pays: `through 2026-Q2`, `2026-Q3 on`, `all`. */
  periods: string;
  /** The content hash of the plan as this version pays (12 hex digits). */
  hash: string;
}

export interface PlanDocument {
  planId: string;
  planName: string;
  currency: string;
  /** The plan's content hash (the version `attain run` records and `attain plan ack` takes). */
  hash: string;
  file: string;
  /** Label → value: the facts at the top. */
  facts: [string, string][];
  sections: DocSection[];
  examples: PlanExample[];
  setting: ExampleSetting;
  versions: PlanVersionEntry[];
}

export interface PlanDocumentRequest {
  planId: string;
  /** Today in the calendar's time zone: the examples book in the quota period holding it, unless `period` says. */
  today: string;
  period?: string;
  quota?: string;
}

export type PlanDocumentFormat = 'pdf' | 'html';

export async function buildPlanDocument(workspace: Workspace, request: PlanDocumentRequest): Promise<PlanDocument> {
  const plan = workspace.plans.find((p) => p.id === request.planId);
  if (!plan)
    throw new PlanInputError(
      `plan ${request.planId}: no such plan (the workspace has ${workspace.plans.map((p) => p.id).join(', ')})`,
    );
  const calendar = new FiscalCalendar(workspace.config.calendar.fiscalYearStartMonth);
  let period = calendar.periodOf(plan.quotaPeriod, monthOfDate(request.today)).label;
  if (request.period !== undefined) {
    const given = calendar.parse(request.period);
    if (!given || given.kind !== plan.quotaPeriod)
      throw new PlanInputError(
        `--period ${request.period}: expected a ${plan.quotaPeriod}, the quota period of plan ${plan.id} (such as ${period})`,
      );
    period = given.label;
  }
  const quota = request.quota ?? DEFAULT_EXAMPLE_QUOTA;
  const parsedQuota = parseDecimal(quota);
  if (parsedQuota === undefined || parsedQuota <= 0n)
    throw new PlanInputError(`--quota ${quota}: expected an amount above zero, such as 100000`);
  const setting: ExampleSetting = { calendar: workspace.config.calendar, period, quota };

  const hash = planHash(plan);
  const versions: PlanVersionEntry[] = planTimeline(plan, calendar).map((entry) => ({
    ...(entry.effective === undefined ? {} : { effective: entry.effective }),
    periods: describeQuotaPeriods(entry),
    hash: entry.hash.slice(0, PLAN_HASH_DIGITS),
  }));
  // Measures and components as they pay in the examples' quota period: a plan with dated versions
  // is described as the version in effect there, and the timeline lists the others.
  const shown = planOn(plan, isoOfDay(calendar.parse(period)!.startDay));
  const examples = EXAMPLE_ATTAINMENTS.map((a) => planExample(plan, a, setting));
  const curve = payoutCurve(plan, setting);
  const file = workspace.planFiles[plan.id] ?? `plans/${plan.id}.yaml`;
  const c = plan.currency;
  return {
    planId: plan.id,
    planName: plan.name,
    currency: c,
    hash,
    file,
    facts: [
      ['Plan', `${plan.name} (${plan.id})`],
      ['Currency', `${c}: every amount on this document and every payout is in ${c}`],
      ['Quota period', `${plan.quotaPeriod}: attainment is credit against quota over each ${plan.quotaPeriod}`],
      ['Paid', payoutWords(plan)],
      ['Plan file', file],
      ['Version (content hash)', hash],
    ],
    sections: [
      {
        heading: `What counts: measures${versions.length > 1 ? ` (the version paying ${period})` : ''}`,
        blocks: Object.entries(shown.measures).map(measureBlock),
      },
      {
        heading: `What is paid: components${versions.length > 1 ? ` (the version paying ${period})` : ''}`,
        blocks: shown.components.flatMap((k) => componentBlocks(k, c)),
      },
      { heading: 'Draw', blocks: [{ kind: 'text', text: drawWords(plan) }] },
      { heading: 'Clawback', blocks: [{ kind: 'text', text: clawbackWords(plan) }] },
      { heading: 'Effective dates', blocks: versionBlocks(versions) },
      {
        heading: 'Payout curve',
        blocks: [
          {
            kind: 'text',
            text:
              `What the components pay for one ${plan.quotaPeriod} against attainment from 0 to 200 %, computed by ` +
              `Attain's engine in 5 % steps for a rep with a quota of ${money(quota)} ${c} booking evenly over ` +
              `${period} (draws, a floor paid in advance, are left out).`,
          },
          { kind: 'chart', svg: await payoutCurveSvg(curve, c), width: CURVE_WIDTH, height: CURVE_HEIGHT },
        ],
      },
      {
        heading: 'Worked examples',
        blocks: [
          {
            kind: 'text',
            text:
              `Computed by Attain's engine, the same calculation that pays: one rep with a quota of ${money(quota)} ${c} ` +
              `for ${period}, ` +
              (plan.payoutPeriod === plan.quotaPeriod
                ? `booking one deal that closes on its last day`
                : `booking the same amount in each ${plan.payoutPeriod} of it, one deal closing on the last day of each`) +
              dealFieldWords(examples[0]!) +
              '.',
          },
          ...examples.flatMap((example) => exampleBlocks(example, c)),
        ],
      },
      {
        heading: 'Acknowledgement',
        blocks: [
          {
            kind: 'text',
            text:
              `This document describes version ${hash} of plan ${plan.id}. A rep acknowledges this exact version with ` +
              `attain plan ack ${plan.id} --rep REP_ID --hash ${hash}; any change to the plan file changes the hash.`,
          },
        ],
      },
    ],
    examples,
    setting,
    versions,
  };
}

/** Renders the document and writes it to `path` (its folder created when missing). */
export async function writePlanDocument(
  document: PlanDocument,
  format: PlanDocumentFormat,
  path: string,
): Promise<{ path: string; bytes: number }> {
  const content =
    format === 'pdf'
      ? await (await import('./plan-document-pdf.js')).renderPlanDocumentPdf(document)
      : Buffer.from((await import('./plan-document-html.js')).renderPlanDocumentHtml(document), 'utf8');
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  return { path, bytes: content.length };
}

function payoutWords(plan: Plan): string {
  if (plan.payoutPeriod === plan.quotaPeriod) return `each ${plan.quotaPeriod}`;
  return (
    `each ${plan.payoutPeriod}, on ${plan.quotaPeriod}-to-date results: each ${plan.payoutPeriod} pays what is due ` +
    `so far in the ${plan.quotaPeriod} less what earlier ${plan.payoutPeriod}s of it paid`
  );
}

function measureBlock([name, measure]: [string, Measure]): DocBlock {
  const credit =
    measure.credit === 'owner'
      ? 'each won deal credits its whole amount to its owner'
      : "each won deal credits each split's percent to its rep (a deal without splits credits its owner)";
  const filter = measure.where ? `; only deals where ${whereWords(measure.where)} count` : '';
  const rollup = measure.rollup
    ? "; a manager's credit adds the credit of everyone below them"
    : '; a manager counts their own deals only';
  return {
    kind: 'text',
    text: `${name}: ${credit}, on the day it closes, while the rep is assigned to the plan${filter}${rollup}.`,
  };
}

function componentBlocks(component: Component, c: string): DocBlock[] {
  const title: DocBlock = { kind: 'subheading', text: `${component.id} (${component.kind}, on ${component.measure})` };
  switch (component.kind) {
    case 'rate-table': {
      const bound = (from: string) => (component.basis === 'attainment' ? percent(from) : `${money(from)} ${c}`);
      const rows = component.tiers.map((tier, i) => {
        const next = component.tiers[i + 1];
        return [bound(tier.from), next ? bound(next.from) : 'and above', percent(tier.rate)];
      });
      const what = component.basis === 'attainment' ? 'attainment (credit ÷ quota)' : `credit in ${c}`;
      const mode =
        component.mode === 'marginal'
          ? 'Marginal: each slice of credit is paid at the rate of its own tier, like tax brackets.'
          : 'Retroactive: all credit is paid at the rate of the highest tier reached.';
      const blocks: DocBlock[] = [
        title,
        { kind: 'text', text: `A rate on ${component.measure} credit, by tiers of ${what}. ${mode}` },
        {
          kind: 'table',
          rows: [[`From (${component.basis})`, 'To', 'Rate'], ...rows],
          columns: [120, 120, 80],
          right: [2],
        },
      ];
      if (component.gate !== undefined)
        blocks.push({
          kind: 'text',
          text: `Gate: nothing is paid while attainment in the quota period is below ${percent(component.gate)}.`,
        });
      if (component.cap !== undefined)
        blocks.push({
          kind: 'text',
          text: `Cap: at most ${money(component.cap)} ${c} per quota period.`,
        });
      return blocks;
    }
    case 'per-deal': {
      const each =
        component.amount !== undefined
          ? `${money(component.amount)} ${c} for each of the rep's own credited deals`
          : `${percent(component.rate!)} of the credited amount of each of the rep's own deals`;
      const filter = component.where ? ` where ${whereWords(component.where)}` : '';
      return [title, { kind: 'text', text: `${each}${filter}, paid in the payout period in which the deal closed.` }];
    }
    case 'bonus':
      return [
        title,
        {
          kind: 'text',
          text:
            `${money(component.amount)} ${c} once per quota period, when attainment to date reaches ` +
            `${percent(component.attainmentAtLeast)}; taken back should it fall below again in the same quota period.`,
        },
      ];
    case 'override':
      return [
        title,
        {
          kind: 'text',
          text:
            `${percent(component.rate)} of the ${component.measure} credit of everyone below the rep in the hierarchy ` +
            '(never their own deals), each deal counted once. The worked examples have no team, so it pays nothing there.',
        },
      ];
  }
}

function drawWords(plan: Plan): string {
  if (!plan.draw) return 'None: the plan has no draw.';
  const amount = `${money(plan.draw.amount)} ${plan.currency}`;
  return plan.draw.recoverable
    ? `A recoverable draw of ${amount} per ${plan.payoutPeriod}: a ${plan.payoutPeriod} that earns less is topped up to ` +
        `the draw, and the top-ups are recovered from later ${plan.payoutPeriod}s that earn more (never below the draw).`
    : `A non-recoverable draw of ${amount} per ${plan.payoutPeriod}: a ${plan.payoutPeriod} that earns less is topped ` +
        'up to the draw, and the top-up is never taken back.';
}

function clawbackWords(plan: Plan): string {
  const locked =
    'A paid (locked) period is never rewritten: a later change to its deals is paid or recovered as an adjustment in the first open period.';
  if (!plan.clawback) return `None: a paid deal that is later lost stands. ${locked}`;
  const days = plan.clawback.windowDays;
  return (
    `A paid deal that is lost or deleted within ${days} day${days === 1 ? '' : 's'} of its close date is taken back; ` +
    `after ${days} days it stands. ${locked}`
  );
}

function versionBlocks(versions: readonly PlanVersionEntry[]): DocBlock[] {
  const dated = versions.some((v) => v.effective !== undefined);
  return [
    {
      kind: 'text',
      text: dated
        ? 'Each version applies to the quota periods starting on or after its date, until the next version. ' +
          'A rep acknowledges the whole document, every version on it, by the hash at its foot.'
        : 'This plan has one version: it applies to every quota period in which a rep is assigned to the plan ' +
          '(assignments.csv gives each rep the dates from and to).',
    },
    {
      kind: 'table',
      rows: [
        ['Effective from', 'Quota periods', 'Version (content hash)'],
        ...versions.map((v) => [v.effective ?? 'the start of each assignment', v.periods, v.hash]),
      ],
      columns: [160, 140, 160],
    },
  ];
}

function exampleBlocks(example: PlanExample, c: string): DocBlock[] {
  const rows = example.components.map((k) => [k.component, money(k.amount), k.explanation]);
  const blocks: DocBlock[] = [
    {
      kind: 'subheading',
      text: `At ${percent(example.attainment)} attainment: ${money(example.credit)} ${c} booked, paid ${money(example.total)} ${c}`,
    },
  ];
  const measures = example.measures.map(
    (m) =>
      `${m.measure} ${money(m.credit)} against ${m.quota ? money(m.quota) : 'no quota'} = ${m.attainment ? percent(m.attainment) : '-'}`,
  );
  if (measures.length > 0) blocks.push({ kind: 'text', text: `Attainment: ${measures.join('; ')}.` });
  blocks.push({
    kind: 'table',
    rows: [
      ['Component', `Amount (${c})`, 'How the engine computed it'],
      ...(rows.length > 0 ? rows : [['(nothing is paid)', money('0'), '']]),
      ['Total', money(example.total), `for ${example.deals.length} deal${example.deals.length === 1 ? '' : 's'}`],
    ],
    columns: [90, 70, '*'],
    right: [1],
    lastRowBold: true,
  });
  return blocks;
}

function dealFieldWords(example: PlanExample): string {
  const fields = Object.entries(example.dealFields).map(([k, v]) => `${k} ${v}`);
  return fields.length > 0 ? ` (deals with ${fields.join(', ')})` : '';
}

/** `type is one of New Business, Upsell and contractTermMonths ≥ 24`. */
export function whereWords(where: Where): string {
  return Object.entries(where)
    .map(([field, condition]) => `${field} ${conditionWords(condition)}`)
    .join(' and ');
}

function conditionWords(condition: FieldCondition): string {
  if (typeof condition === 'string') return `is ${condition}`;
  if (Array.isArray(condition))
    return condition.length === 1 ? `is ${condition[0]}` : `is one of ${condition.join(', ')}`;
  const words: string[] = [];
  if (condition.eq !== undefined) words.push(`is ${condition.eq}`);
  if (condition.in !== undefined) words.push(`is one of ${condition.in.join(', ')}`);
  if (condition.ne !== undefined) words.push(`is not ${condition.ne}`);
  if (condition.gt !== undefined) words.push(`> ${condition.gt}`);
  if (condition.gte !== undefined) words.push(`≥ ${condition.gte}`);
  if (condition.lt !== undefined) words.push(`< ${condition.lt}`);
  if (condition.lte !== undefined) words.push(`≤ ${condition.lte}`);
  return words.join(' and ');
}
