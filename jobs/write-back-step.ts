/**
 * The write-back step: sends the run's commission records to the CRM (jobs/write-back.ts holds the
 * diff against `writeback_state`, keyed by external id, so a step that runs twice sends nothing
 * twice). A csv source has no CRM to write to.
 */
import { loadWorkspace } from '../config/workspace.js';
import type { StepContext } from './step-context.js';

export interface WriteBackOutcome {
  sent: number;
  detail: string;
}

export async function writeBackStep(ctx: StepContext): Promise<WriteBackOutcome> {
  const workspace = ctx.cache?.prepared?.workspace ?? (await loadWorkspace(ctx.workspaceDir));
  const { source, writeback } = workspace.config;
  if (source.kind === 'csv') return { sent: 0, detail: 'nothing to write back for a csv source' };
  if (!writeback.enabled) return { sent: 0, detail: 'write-back is disabled in attain.yaml' };
  return { sent: 0, detail: `write-back to ${source.kind} is not built yet` };
}
