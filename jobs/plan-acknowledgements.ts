/**
 * Plan acknowledgements (docs/plan-documents.md#acknowledgements): a rep accepting one exact
 * version of a plan, the version a plan document prints (its content hash, jobs/sync.ts
 * planHash). Recording one (`attain plan ack`), importing those kept elsewhere
 * (data/acknowledgements.csv) and listing the reps whose assigned version is not acknowledged.
 * Bad input is a PlanInputError, raised before anything is written.
 */
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Workspace } from '../config/workspace.js';
import { ACKNOWLEDGEMENTS_FILE, readAcknowledgements } from '../connectors/csv/acknowledgements.js';
import { readCsvSource } from '../connectors/csv/csv-source.js';
import {
  listPlanAcknowledgements,
  recordPlanAcknowledgements,
  type Database,
  type NewPlanAcknowledgement,
} from '../src/db/index.js';
import type { Assignment, Reject } from '../src/domain/model.js';
import type { Plan } from '../src/domain/plan.js';
import { PlanInputError } from './plan-input-error.js';
import { planHash } from './sync.js';

export const ACK_SOURCE_CLI = 'attain plan ack';

export interface AckRequest {
  planId: string;
  repId: string;
  hash: string;
  by: string;
  /** Today in the calendar's time zone: the acknowledgement's date. */
  today: string;
}

export interface AckOutcome {
  planId: string;
  repId: string;
  hash: string;
  /** False when the rep had acknowledged this version before (nothing recorded). */
  recorded: boolean;
  /** The rep has no assignment to the plan in assignments.csv (recorded all the same). */
  unassigned: boolean;
}

/** Records that `repId` accepted the plan's current version; `hash` must be that version. */
export async function acknowledgePlan(
  db: Kysely<Database>,
  workspace: Workspace,
  request: AckRequest,
): Promise<AckOutcome> {
  const plan = planOf(workspace, request.planId);
  const current = planHash(plan);
  if (request.hash !== current)
    throw new PlanInputError(
      `plan ${plan.id}: --hash ${request.hash} is not its current version ${current} ` +
        `(${workspace.planFiles[plan.id] ?? 'the plan file'} changed since that document was written: ` +
        `write it again with attain plan doc ${plan.id})`,
    );
  const { assignments } = await readAssignments(workspace);
  const recorded = await recordPlanAcknowledgements(db, [
    {
      repId: request.repId,
      planId: plan.id,
      planHash: current,
      date: request.today,
      by: request.by,
      source: ACK_SOURCE_CLI,
    },
  ]);
  return {
    planId: plan.id,
    repId: request.repId,
    hash: current,
    recorded: recorded.length === 1,
    unassigned: !assignments.some((a) => a.repId === request.repId && a.planId === plan.id),
  };
}

export interface ImportOutcome {
  file: string;
  rows: number;
  /** New acknowledgements; the other rows were recorded before. */
  recorded: number;
}

/**
 * Imports acknowledgements.csv (or `file`): every row checked first (file:line for each bad one),
 * then all recorded in one transaction, or none. A row may name an earlier version of a plan (a
 * rep who signed last year's): it is recorded, and satisfies only that version.
 */
export async function importAcknowledgements(
  db: Kysely<Database>,
  workspace: Workspace,
  options: { by: string; file?: string },
): Promise<ImportOutcome> {
  const path = options.file ?? join(workspace.dir, workspace.config.source.csv.dir, ACKNOWLEDGEMENTS_FILE);
  const name = options.file ?? join(workspace.config.source.csv.dir, ACKNOWLEDGEMENTS_FILE);
  const { rows, problems } = await readAcknowledgements(path, name);
  const plans = new Set(workspace.plans.map((p) => p.id));
  for (const row of rows)
    if (!plans.has(row.planId)) problems.push(`${name}:${row.line}: planId ${row.planId}: no such plan`);
  if (problems.length > 0) {
    const shown = problems.sort((a, b) => lineOf(a) - lineOf(b)).slice(0, 20);
    const more = problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : '';
    throw new PlanInputError(
      `${name}: ${problems.length} bad row${problems.length === 1 ? '' : 's'}, nothing imported:\n  ${shown.join('\n  ')}${more}`,
    );
  }
  const acknowledgements: NewPlanAcknowledgement[] = rows.map((row) => ({
    repId: row.repId,
    planId: row.planId,
    planHash: row.planHash,
    date: row.date,
    by: options.by,
    source: `${ACKNOWLEDGEMENTS_FILE}:${row.line}`,
  }));
  const recorded = await recordPlanAcknowledgements(db, acknowledgements);
  return { file: name, rows: rows.length, recorded: recorded.length };
}

export interface MissingAcknowledgement {
  repId: string;
  planId: string;
  /** The assignment (assignments.csv) that puts the rep on the plan. */
  from: string;
  to?: string;
  /** The version the rep is assigned: the plan's current one. */
  hash: string;
  /** The latest version of the plan the rep did acknowledge, if any, and when. */
  lastAcknowledged?: { hash: string; date: string };
}

/**
 * The reps assigned to a plan (an assignment not ended before `today`) who have not acknowledged
 * the version they are assigned: the plan's current one. `planId` keeps one plan's.
 */
export async function missingAcknowledgements(
  db: Kysely<Database>,
  workspace: Workspace,
  options: { today: string; planId?: string },
): Promise<{ missing: MissingAcknowledgement[]; rejects: Reject[] }> {
  if (options.planId !== undefined) planOf(workspace, options.planId);
  const { assignments, rejects } = await readAssignments(workspace);
  const acks = await listPlanAcknowledgements(db, options.planId);
  const hashes = new Map(workspace.plans.map((p) => [p.id, planHash(p)]));
  const missing = new Map<string, MissingAcknowledgement>();
  for (const assignment of assignments) {
    const hash = hashes.get(assignment.planId);
    if (hash === undefined || (options.planId !== undefined && assignment.planId !== options.planId)) continue;
    if (assignment.to !== undefined && assignment.to < options.today) continue;
    const key = `${assignment.repId}\u0000${assignment.planId}`;
    if (missing.has(key)) continue;
    const own = acks.filter((a) => a.rep_id === assignment.repId && a.plan_id === assignment.planId);
    if (own.some((a) => a.plan_hash === hash)) continue;
    const last = own.at(-1);
    missing.set(key, {
      repId: assignment.repId,
      planId: assignment.planId,
      from: assignment.from,
      ...(assignment.to === undefined ? {} : { to: assignment.to }),
      hash,
      ...(last ? { lastAcknowledged: { hash: last.plan_hash, date: last.acknowledged_on } } : {}),
    });
  }
  const list = [...missing.values()].sort((a, b) =>
    a.planId === b.planId ? (a.repId < b.repId ? -1 : a.repId > b.repId ? 1 : 0) : a.planId < b.planId ? -1 : 1,
  );
  return { missing: list, rejects };
}

function planOf(workspace: Workspace, planId: string): Plan {
  const plan = workspace.plans.find((p) => p.id === planId);
  if (!plan)
    throw new PlanInputError(
      `plan ${planId}: no such plan (the workspace has ${workspace.plans.map((p) => p.id).join(', ')})`,
    );
  return plan;
}

/** assignments.csv alone: who is on which plan, whatever the source of the deals. */
async function readAssignments(workspace: Workspace): Promise<{ assignments: Assignment[]; rejects: Reject[] }> {
  const { config } = workspace;
  const { data, rejects } = await readCsvSource(join(workspace.dir, config.source.csv.dir), {
    tz: config.calendar.tz,
    only: ['assignments.csv'],
    maxRecordChars: config.limits.csvRecordChars,
  });
  return { assignments: data.assignments, rejects };
}

const lineOf = (problem: string): number => Number(/:(\d+):/.exec(problem)?.[1] ?? 0);
