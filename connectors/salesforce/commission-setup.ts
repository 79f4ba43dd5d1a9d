/**
 * `attain salesforce setup` and the check before the first write-back: the custom object shipped
 * under `metadata/` exists, and the integration user can create and update each of its fields;
 * then (setup only) every other piece of the package reps and managers need. Attain does not
 * deploy metadata itself: admins deploy it with the Salesforce CLI, under their own change control.
 */
import {
  COMMISSION_FIELDS,
  COMMISSION_OBJECT,
  DISPUTE_FIELDS,
  EXTERNAL_ID_FIELD,
  LINK_FIELDS,
  OPPORTUNITY_FIELD,
} from './commission-target.js';
import type { SchemaProblem, SchemaReader } from './org-schema.js';
import { ESTIMATE_OBJECT } from './estimate-target.js';
import { STATEMENT_OBJECT } from './statement-target.js';
import type { SalesforceClient } from './salesforce-client.js';

const DEPLOY =
  'sf project deploy start --source-dir connectors/salesforce/metadata/force-app --target-org <your org alias>';

export async function commissionObjectProblems(schema: SchemaReader): Promise<SchemaProblem[]> {
  const described = await schema.describe(COMMISSION_OBJECT);
  if (!described)
    return [
      {
        problem: `${COMMISSION_OBJECT} does not exist (or the integration user cannot see it)`,
        fix: `deploy it: ${DEPLOY}; then assign the Attain_Commission_Writer permission set`,
      },
    ];
  const problems: SchemaProblem[] = [];
  const objectWritable =
    described.createable !== false && described.updateable !== false && described.deletable !== false;
  if (!objectWritable) {
    problems.push({
      problem: `${COMMISSION_OBJECT}: the integration user cannot create, edit and delete its records`,
      fix: 'assign the Attain_Commission_Writer permission set to the integration user',
    });
  }
  // Without edit on the object every field describes as read-only: the object's fix covers them all.
  for (const name of COMMISSION_FIELDS) {
    const field = described.fields.find((f) => f.name === name);
    if (!field) {
      problems.push({
        problem: `${COMMISSION_OBJECT}.${name} is missing or not visible`,
        fix: `deploy the object again (${DEPLOY}) and assign the Attain_Commission_Writer permission set`,
      });
    } else if (objectWritable && (field.createable === false || field.updateable === false)) {
      problems.push({
        problem: `${COMMISSION_OBJECT}.${name} is read-only for the integration user`,
        fix: 'grant edit access to it (the Attain_Commission_Writer permission set does)',
      });
    } else if (name === EXTERNAL_ID_FIELD && (!field.externalId || !field.unique)) {
      problems.push({
        problem: `${COMMISSION_OBJECT}.${name} is not a unique external id`,
        fix: 'mark it External ID and Unique, as the shipped metadata does',
      });
    }
  }
  return problems;
}

/** The link fields the org lacks or the integration user cannot write. */
export async function missingLinkFields(schema: SchemaReader): Promise<string[]> {
  const described = await schema.describe(COMMISSION_OBJECT);
  return LINK_FIELDS.filter((name) => {
    const field = described?.fields.find((f) => f.name === name);
    return !field || field.createable === false || field.updateable === false;
  });
}

const METADATA_DIR = 'connectors/salesforce/metadata';
const DEPLOY_PACKAGE = `sf project deploy start --source-dir ${METADATA_DIR}/force-app --target-org <your org alias>`;
const DEPLOY_OPPORTUNITY_LAYOUT = `sf project deploy start --source-dir ${METADATA_DIR}/opportunity-layout --target-org <your org alias>`;
export const READER_PERMISSION_SET = 'Attain_Commission_Reader';
export const WRITER_PERMISSION_SET = 'Attain_Commission_Writer';
const LIST_VIEWS = ['My_Commissions', 'This_Period', 'Disputed'];
const COMPACT_LAYOUT = 'Attain_Commission_Compact';
const REPORT_TYPE = 'Attain_Commissions_with_Reps_and_Opportunities';
const REPORT = 'Team_Commissions';
const DASHBOARD = 'Team_Commissions';
const FOLDER = 'Attain_Commissions';

/** Every piece of the package besides the object and its fields, by Metadata API type and name. */
export const PACKAGE_PIECES: { type: string; fullName: string }[] = [
  { type: 'PermissionSet', fullName: READER_PERMISSION_SET },
  { type: 'PermissionSet', fullName: WRITER_PERMISSION_SET },
  { type: 'CustomTab', fullName: COMMISSION_OBJECT },
  ...LIST_VIEWS.map((name) => ({ type: 'ListView', fullName: `${COMMISSION_OBJECT}.${name}` })),
  { type: 'CompactLayout', fullName: `${COMMISSION_OBJECT}.${COMPACT_LAYOUT}` },
  { type: 'Layout', fullName: `${COMMISSION_OBJECT}-Attain Commission Layout` },
  { type: 'Layout', fullName: 'Opportunity-Opportunity Layout' },
  { type: 'ReportType', fullName: REPORT_TYPE },
  { type: 'Report', fullName: `${FOLDER}/${REPORT}` },
  { type: 'Dashboard', fullName: `${FOLDER}/${DASHBOARD}` },
];

/** One verified piece: what it is, and the problem (with its fix) when it is missing. */
export interface PackageCheck {
  piece: string;
  problem?: SchemaProblem;
  /** What was found, when there is something to say (how many users hold a permission set). */
  detail?: string;
}

interface LayoutDescribe {
  layouts?: {
    detailLayoutSections?: {
      layoutRows?: { layoutItems?: { layoutComponents?: { type?: string; value?: string }[] }[] }[];
    }[];
    relatedLists?: { sobject?: string; field?: string; name?: string }[];
  }[];
}

/**
 * What reps and managers need, read from the org as the integration user sees it: the reader and
 * writer permission sets (and how many users hold the reader), the tab, the list views, the compact
 * and page layouts, the opportunity's related list, the report type, the report and the dashboard.
 * Each read is a REST resource Salesforce documents; a read the user may not make is reported as a
 * problem naming the permission that allows it, never thrown.
 */
export async function packageChecks(schema: SchemaReader, client: SalesforceClient): Promise<PackageCheck[]> {
  const described = await schema.describe(COMMISSION_OBJECT);
  if (!described) return [];
  const checks: PackageCheck[] = [];
  const missing = (piece: string, problem: string, fix = `deploy the package: ${DEPLOY_PACKAGE}`) =>
    checks.push({ piece, problem: { problem, fix } });
  const attempt = async (piece: string, read: () => Promise<void>) => {
    try {
      await read();
    } catch (error) {
      missing(
        piece,
        `${piece}: cannot be read (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`,
        'give the integration user "View Setup and Configuration" and "Run Reports", then run setup again',
      );
    }
  };
  const query = async <T>(soql: string) =>
    (await client.request<{ totalSize: number; records: T[] }>({ path: `/query?q=${encodeURIComponent(soql)}` })).body;

  const fields = new Map(described.fields.map((f) => [f.name, f]));
  for (const name of LINK_FIELDS.filter((f) => f !== OPPORTUNITY_FIELD)) {
    if (fields.has(name)) checks.push({ piece: `field ${name}` });
    else
      missing(`field ${name}`, `${COMMISSION_OBJECT}.${name} (period dates, for the This period list view) is missing`);
  }
  const lookup = fields.get(OPPORTUNITY_FIELD);
  if (!lookup || !(lookup.referenceTo ?? []).includes('Opportunity'))
    missing(
      `field ${OPPORTUNITY_FIELD}`,
      `${COMMISSION_OBJECT}.${OPPORTUNITY_FIELD} (lookup to Opportunity) is missing`,
    );
  else checks.push({ piece: `field ${OPPORTUNITY_FIELD} (lookup to Opportunity)` });
  for (const name of DISPUTE_FIELDS) {
    const field = fields.get(name);
    if (!field) missing(`field ${name}`, `${COMMISSION_OBJECT}.${name} (dispute) is missing or not visible`);
    else if (name !== 'Dispute_Reason__c' && field.updateable === false)
      missing(
        `field ${name}`,
        `${COMMISSION_OBJECT}.${name} is read-only for the integration user`,
        `assign ${WRITER_PERMISSION_SET} (it may write the status and resolution of a dispute)`,
      );
    else checks.push({ piece: `field ${name}` });
  }

  // Statements (attain statements --to-crm): the object the PDFs go on, writable by Attain.
  const statement = await schema.describe(STATEMENT_OBJECT);
  if (!statement)
    missing(
      `object ${STATEMENT_OBJECT}`,
      `${STATEMENT_OBJECT} (statements, for attain statements --to-crm) is missing or not visible`,
      `deploy the package: ${DEPLOY_PACKAGE}; then assign ${WRITER_PERMISSION_SET}`,
    );
  else checks.push({ piece: `object ${STATEMENT_OBJECT} (statements)` });

  // Estimates (every run): what each open opportunity would pay its reps, written by Attain.
  if (!(await schema.describe(ESTIMATE_OBJECT)))
    missing(
      `object ${ESTIMATE_OBJECT}`,
      `${ESTIMATE_OBJECT} (estimates of open opportunities) is missing or not visible`,
      `deploy the package: ${DEPLOY_PACKAGE}; then assign ${WRITER_PERMISSION_SET}`,
    );
  else checks.push({ piece: `object ${ESTIMATE_OBJECT} (estimates)` });

  await attempt('permission sets', async () => {
    const sets = await query<{ Id: string; Name: string }>(
      `SELECT Id, Name FROM PermissionSet WHERE Name IN ('${READER_PERMISSION_SET}','${WRITER_PERMISSION_SET}')`,
    );
    const byName = new Map(sets.records.map((r) => [r.Name, r.Id]));
    for (const name of [WRITER_PERMISSION_SET, READER_PERMISSION_SET]) {
      const id = byName.get(name);
      if (!id) {
        missing(`permission set ${name}`, `permission set ${name} is not in the org`);
        continue;
      }
      const assigned = await query<{ Id: string }>(
        `SELECT Id, AssigneeId FROM PermissionSetAssignment WHERE PermissionSetId IN ('${id}')`,
      );
      if (name === READER_PERMISSION_SET && assigned.totalSize === 0)
        missing(
          `permission set ${name}`,
          `permission set ${name} is assigned to no one: reps and managers cannot see their commissions`,
          `sf org assign permset --name ${name} --on-behalf-of <rep or manager username> [--on-behalf-of …] --target-org <your org alias>`,
        );
      else
        checks.push({
          piece: `permission set ${name}`,
          detail: `assigned to ${assigned.totalSize} user${assigned.totalSize === 1 ? '' : 's'}`,
        });
    }
  });

  await attempt('tab', async () => {
    const tabs = (await client.request<{ name?: string; sobjectName?: string }[]>({ path: '/tabs' })).body;
    if (tabs.some((t) => t.sobjectName === COMMISSION_OBJECT || t.name === COMMISSION_OBJECT))
      checks.push({ piece: `tab ${COMMISSION_OBJECT}` });
    else
      missing(
        `tab ${COMMISSION_OBJECT}`,
        `the ${COMMISSION_OBJECT} tab is missing (or hidden from the integration user)`,
      );
  });

  await attempt('list views', async () => {
    const views = (
      await client.request<{ listviews: { developerName: string }[] }>({
        path: `/sobjects/${COMMISSION_OBJECT}/listviews`,
      })
    ).body.listviews;
    for (const name of LIST_VIEWS) {
      if (views.some((v) => v.developerName === name)) checks.push({ piece: `list view ${name}` });
      else missing(`list view ${name}`, `list view ${COMMISSION_OBJECT}.${name} is missing`);
    }
  });

  await attempt('compact layout', async () => {
    const compact = (
      await client.request<{
        compactLayouts?: { name: string; id: string | null }[];
        defaultCompactLayoutId?: string | null;
      }>({
        path: `/sobjects/${COMMISSION_OBJECT}/describe/compactLayouts`,
      })
    ).body;
    const ours = compact.compactLayouts?.find((c) => c.name === COMPACT_LAYOUT);
    if (!ours) missing(`compact layout ${COMPACT_LAYOUT}`, `compact layout ${COMPACT_LAYOUT} is missing`);
    else if (compact.defaultCompactLayoutId !== ours.id)
      missing(
        `compact layout ${COMPACT_LAYOUT}`,
        `compact layout ${COMPACT_LAYOUT} is not the object's compact layout`,
        `set it as primary (Object Manager → Attain Commission → Compact Layouts → Compact Layout Assignment), or deploy the package again: ${DEPLOY_PACKAGE}`,
      );
    else checks.push({ piece: `compact layout ${COMPACT_LAYOUT}` });
  });

  await attempt('page layout', async () => {
    const layouts = (await client.request<LayoutDescribe>({ path: `/sobjects/${COMMISSION_OBJECT}/describe/layouts` }))
      .body;
    const shown = new Set(
      (layouts.layouts ?? []).flatMap((l) =>
        (l.detailLayoutSections ?? []).flatMap((s) =>
          (s.layoutRows ?? []).flatMap((r) =>
            (r.layoutItems ?? []).flatMap((i) => (i.layoutComponents ?? []).map((c) => c.value ?? '')),
          ),
        ),
      ),
    );
    const absent = ['Trace__c', 'Dispute_Reason__c', 'Dispute_Status__c'].filter((f) => !shown.has(f));
    if (absent.length === 0) checks.push({ piece: 'page layout (trace and dispute)' });
    else missing('page layout', `the Attain Commission page layout does not show ${absent.join(', ')}`);
  });

  await attempt('opportunity related list', async () => {
    const layouts = (await client.request<LayoutDescribe>({ path: '/sobjects/Opportunity/describe/layouts' })).body;
    const listed = (layouts.layouts ?? []).some((l) =>
      (l.relatedLists ?? []).some((r) => r.sobject === COMMISSION_OBJECT && r.field === OPPORTUNITY_FIELD),
    );
    if (listed) checks.push({ piece: 'Opportunity related list "Attain Commissions"' });
    else
      missing(
        'Opportunity related list',
        'the Opportunity page layout has no "Attain Commissions" related list',
        `add it in Setup → Object Manager → Opportunity → Page Layouts → Related Lists; or, where the Opportunity Layout is still Salesforce's default, ${DEPLOY_OPPORTUNITY_LAYOUT} (it replaces that layout)`,
      );
    // Where a rep sees what an open opportunity would pay them.
    const estimates = (layouts.layouts ?? []).some((l) =>
      (l.relatedLists ?? []).some((r) => r.sobject === ESTIMATE_OBJECT && r.field === OPPORTUNITY_FIELD),
    );
    if (estimates) checks.push({ piece: 'Opportunity related list "Attain Estimates"' });
    else
      missing(
        'Opportunity related list (estimates)',
        'the Opportunity page layout has no "Attain Estimates" related list',
        `add it in Setup → Object Manager → Opportunity → Page Layouts → Related Lists; or, where the Opportunity Layout is still Salesforce's default, ${DEPLOY_OPPORTUNITY_LAYOUT} (it replaces that layout)`,
      );
  });

  await attempt('report type', async () => {
    const categories = (
      await client.request<{ reportTypes?: { type: string }[] }[]>({ path: '/analytics/reportTypes' })
    ).body;
    const found = categories.some((c) => (c.reportTypes ?? []).some((t) => t.type === `${REPORT_TYPE}__c`));
    if (found) checks.push({ piece: `report type ${REPORT_TYPE}` });
    else missing(`report type ${REPORT_TYPE}`, `report type ${REPORT_TYPE} is missing`);
  });

  await attempt('report and dashboard', async () => {
    const reports = await query<{ DeveloperName: string }>(
      `SELECT Id, DeveloperName FROM Report WHERE DeveloperName IN ('${REPORT}')`,
    );
    if (reports.totalSize > 0) checks.push({ piece: `report ${FOLDER}/${REPORT}` });
    else missing(`report ${REPORT}`, `report "Team commissions" (${FOLDER}/${REPORT}) is missing`);
    const dashboards = await query<{ DeveloperName: string }>(
      `SELECT Id, DeveloperName FROM Dashboard WHERE DeveloperName IN ('${DASHBOARD}')`,
    );
    if (dashboards.totalSize > 0) checks.push({ piece: `dashboard ${FOLDER}/${DASHBOARD}` });
    else missing(`dashboard ${DASHBOARD}`, `dashboard "Team commissions" (${FOLDER}/${DASHBOARD}) is missing`);
  });
  return checks;
}
