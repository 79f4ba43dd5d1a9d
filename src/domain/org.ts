/**
 * The org as the engine indexes it: reps by position, the manager tree, and plan assignments as
 * day intervals, so the hot loops compare integers instead of looking up strings.
 */
import type { CanonicalData } from './model.js';
import { dayOf } from './periods.js';

export interface Org {
  repIds: string[];
  index: Map<string, number>;
  /** Manager's index, or -1. */
  parent: Int32Array;
  /** Number of direct reports. */
  reportCount: Int32Array;
  /** Position of a rep among its manager's direct reports. */
  reportSlot: Int32Array;
  /** Direct reports of each rep, by slot. */
  reports: number[][];
  /** Per plan id: per rep index, the assignment intervals as [fromDay, toDay, …] (inclusive). */
  assignmentsByPlan: Map<string, Map<number, number[]>>;
}

const OPEN_END = Number.MAX_SAFE_INTEGER;

export function buildOrg(data: CanonicalData): Org {
  const repIds = data.reps.map((r) => r.id);
  const index = new Map(repIds.map((id, i) => [id, i]));
  const parent = new Int32Array(repIds.length).fill(-1);
  const reportCount = new Int32Array(repIds.length);
  const reportSlot = new Int32Array(repIds.length);
  const reports: number[][] = repIds.map(() => []);
  data.reps.forEach((rep, i) => {
    const m = rep.managerId === undefined ? undefined : index.get(rep.managerId);
    if (m !== undefined) {
      parent[i] = m;
      reportSlot[i] = reportCount[m]!;
      reportCount[m]!++;
      reports[m]!.push(i);
    }
  });
  const assignmentsByPlan = new Map<string, Map<number, number[]>>();
  for (const a of data.assignments) {
    const rep = index.get(a.repId);
    if (rep === undefined) continue;
    let byRep = assignmentsByPlan.get(a.planId);
    if (!byRep) assignmentsByPlan.set(a.planId, (byRep = new Map()));
    let intervals = byRep.get(rep);
    if (!intervals) byRep.set(rep, (intervals = []));
    intervals.push(dayOf(a.from), a.to === undefined ? OPEN_END : dayOf(a.to));
  }
  return { repIds, index, parent, reportCount, reportSlot, reports, assignmentsByPlan };
}

/** True when one of the intervals [from, to, …] contains `day`. */
export function covers(intervals: readonly number[] | undefined, day: number): boolean {
  if (intervals === undefined) return false;
  for (let i = 0; i < intervals.length; i += 2) if (day >= intervals[i]! && day <= intervals[i + 1]!) return true;
  return false;
}
