/**
 * `attain hubspot check`: connects to the portal and checks scopes, mapped properties, pipelines,
 * deal search, the commission and estimate objects, who sees commission records and the rate-limit tier. Every check runs even when an
 * earlier one failed, so the admin sees every problem at once; each problem says how to fix it.
 * The command prints what this returns.
 */
import type { HubspotConfig } from '../../config/attain-schema.js';
import { ExitCode } from '../../src/domain/errors.js';
import { ConnectorError } from '../source.js';
import {
  displayDifference,
  estimateDifferences,
  findCommissionSchema,
  findEstimateSchema,
  ESTIMATE_OBJECT,
  schemaDifferences,
  visibilityDifferences,
  COMMISSION_OBJECT,
} from './commission-object.js';
import { commissionVisibility, type VisibilityReport } from './commission-visibility.js';
import { dealPropertyMap, stageTable } from './deal-mapping.js';
import { HubspotApi } from './hubspot-api.js';
import { dealPipelines, dealPropertyNames, missingProperties, ownerPages } from './portal-reads.js';

export interface PortalCheckOutcome {
  /** What is wrong, each with its fix. */
  problems: string[];
  /** 0 when there is no problem; 3 when the portal refused us or could not be reached; else 2 (or a connector error's). */
  exitCode: number;
  /** The rate limit the portal reported, beside the one attain.yaml sets. */
  rateLimit?: { observed: number; configured: number };
  /** Who can see the commission records, as far as the API tells (with write-back on). */
  visibility?: VisibilityReport;
}

/** Runs the checks in order, telling `onCheck` each one's result as it ends. */
export async function checkPortal(
  config: HubspotConfig & { writebackEnabled: boolean },
  onCheck: (what: string, ok: boolean) => void,
): Promise<PortalCheckOutcome> {
  const api = new HubspotApi(config, () => undefined);
  const problems: string[] = [];
  let visibility: VisibilityReport | undefined;
  let worst: number = ExitCode.ok;
  const attempt = async (what: string, work: () => Promise<void>) => {
    try {
      await work();
      onCheck(what, true);
    } catch (error) {
      if (!(error instanceof ConnectorError)) throw error;
      problems.push(`${what}: ${error.message}`);
      onCheck(what, false);
      worst = Math.max(worst, error.exitCode);
      // Refused or unreachable: the checks that follow would fail the same way.
      if (error.code === 'AUTH_FAILED' || error.code === 'UNREACHABLE') throw error;
    }
  };
  try {
    await attempt('connection and deal properties (crm.schemas.deals.read)', async () => {
      const known = await dealPropertyNames(api);
      const map = dealPropertyMap(config.fields);
      const missing = missingProperties({ ...map.canonical, ...map.extra }, known);
      problems.push(...missing);
      if (missing.length) worst = Math.max(worst, ExitCode.usage);
    });
    await attempt('owners (crm.objects.owners.read)', async () => {
      for await (const page of ownerPages(api)) void page;
    });
    await attempt('deal pipelines and stages', async () => {
      const pipelines = await dealPipelines(api);
      const table = stageTable(pipelines, config.stages ?? {});
      for (const info of table.values()) if (info.problem) problems.push(info.problem);
      for (const id of Object.keys(config.stages ?? {})) {
        if (!pipelines.some((p) => p.stages.some((s) => s.id === id)))
          problems.push(
            `source.hubspot.stages.${id}: no deal pipeline has a stage with this id (ids, not labels: see Settings › Objects › Deals › Pipelines)`,
          );
      }
    });
    await attempt('deal search (crm.objects.deals.read)', async () => {
      await api.request('POST /crm/v3/objects/deals/search', 'search', {
        method: 'POST',
        path: '/crm/v3/objects/deals/search',
        body: { limit: 1, properties: ['hs_lastmodifieddate'] },
      });
    });
    if (config.writebackEnabled) {
      await attempt(`${COMMISSION_OBJECT} object (crm.schemas.custom.read)`, async () => {
        const schema = await findCommissionSchema(api);
        if (!schema)
          problems.push(
            `the portal has no ${COMMISSION_OBJECT} object: run attain hubspot setup (custom objects need an Enterprise portal)`,
          );
        else
          problems.push(...schemaDifferences(schema), ...visibilityDifferences(schema), ...displayDifference(schema));
      });
      // Estimates (docs/estimates.md#in-the-crm): without the object the write-back goes on and
      // only logs that estimates are not written, so check is where an admin learns it.
      await attempt(`${ESTIMATE_OBJECT} object (crm.schemas.custom.read)`, async () => {
        const schema = await findEstimateSchema(api);
        if (!schema)
          problems.push(
            `the portal has no ${ESTIMATE_OBJECT} object, so reps see no estimates on their open deals: run attain hubspot setup`,
          );
        else problems.push(...estimateDifferences(schema));
      });
      await attempt('who sees commission records (settings.users.read)', async () => {
        visibility = await commissionVisibility(api);
      });
    }
  } catch (error) {
    if (!(error instanceof ConnectorError)) throw error;
  }
  const max = api.limiter.observedMax;
  const configured = config.rateLimit.perTenSeconds;
  if (max !== undefined && max < configured)
    problems.push(
      `source.hubspot.rateLimit.perTenSeconds is ${configured} but the portal allows ${max}: set it to ${max}`,
    );
  return {
    problems,
    exitCode: problems.length === 0 ? ExitCode.ok : worst === ExitCode.ok ? ExitCode.usage : worst,
    ...(max === undefined ? {} : { rateLimit: { observed: max, configured } }),
    ...(visibility ? { visibility } : {}),
  };
}
