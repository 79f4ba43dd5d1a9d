/**
 * The `attain_commission` custom object: its schema (created or compared by `attain hubspot
 * setup`) and the write-back target that batch-upserts records into it by `attain_key`, then links
 * each to the deal its line credits (commission-associations.ts).
 *
 * HubSpot facts: custom objects need an Enterprise portal and are addressed by their
 * `objectTypeId` (`2-…`); batch endpoints take 100 inputs and do not promise result order, so
 * results are matched by `attain_key`, never by position; `idProperty` must be a property created
 * with `hasUniqueValue: true`. `hubspot_owner_id` (record owner) is a default property of every
 * custom object: setting it to the rep's owner id lets each rep see their own records.
 */
import {
  ConnectorError,
  type CommissionRecord,
  type EstimateRecord,
  type EstimateTarget,
  type WritebackOutcome,
  type WritebackTarget,
} from '../source.js';
import { bisect } from './batch-bisect.js';
import { DEAL_OBJECT_TYPE, DealAssociations, type WrittenRecord } from './commission-associations.js';
import { hubspotDealId } from './deal-mapping.js';
import type { HubspotApi } from './hubspot-api.js';

export const COMMISSION_OBJECT = 'attain_commission';
/** The sibling object of estimates (docs/estimates.md#in-the-crm). */
export const ESTIMATE_OBJECT = 'attain_estimate';
export const KEY_PROPERTY = 'attain_key';
const BATCH = 100;

interface PropertyDefinition {
  name: string;
  label: string;
  type: 'string' | 'number' | 'enumeration' | 'date';
  fieldType: 'text' | 'textarea' | 'number' | 'select' | 'date';
  hasUniqueValue?: boolean;
  description?: string;
  options?: { label: string; value: string; displayOrder: number }[];
}

export const COMMISSION_PROPERTIES: PropertyDefinition[] = [
  { name: KEY_PROPERTY, label: 'Attain key', type: 'string', fieldType: 'text', hasUniqueValue: true },
  { name: 'period', label: 'Period', type: 'string', fieldType: 'text' },
  { name: 'plan', label: 'Plan', type: 'string', fieldType: 'text' },
  { name: 'component', label: 'Component', type: 'string', fieldType: 'text' },
  { name: 'amount', label: 'Amount', type: 'number', fieldType: 'number' },
  { name: 'currency', label: 'Currency', type: 'string', fieldType: 'text' },
  { name: 'attainment', label: 'Attainment', type: 'number', fieldType: 'number' },
  { name: 'trace', label: 'Trace', type: 'string', fieldType: 'textarea' },
];

/**
 * A rep's dispute: the rep fills the reason and sets the status to open on their own record;
 * Attain settles it (status, resolution). The write-back sends the status and resolution only
 * with a record's settlement, and the reason never (recordProperties), so a batch upsert, which
 * sets only the properties it is given, leaves them as the rep wrote them, and they are no part of
 * a record's hash.
 */
export const DISPUTE_PROPERTIES: PropertyDefinition[] = [
  {
    name: 'attain_dispute_reason',
    label: 'Dispute reason',
    type: 'string',
    fieldType: 'textarea',
    description: 'Why you think this line is wrong; set Dispute status to Open to raise it.',
  },
  {
    name: 'attain_dispute_status',
    label: 'Dispute status',
    type: 'enumeration',
    fieldType: 'select',
    description: 'Open: raised by the rep. Resolved or Rejected: set by Attain when settled.',
    options: [
      { label: 'Open', value: 'open', displayOrder: 0 },
      { label: 'Resolved', value: 'resolved', displayOrder: 1 },
      { label: 'Rejected', value: 'rejected', displayOrder: 2 },
    ],
  },
  {
    name: 'attain_dispute_resolution',
    label: 'Dispute resolution',
    type: 'string',
    fieldType: 'textarea',
    description: 'Written by Attain when the dispute is settled.',
  },
];

/** What a record shows as its name and under it (record page, association cards, search). */
export const PRIMARY_DISPLAY_PROPERTY = 'period';
export const SECONDARY_DISPLAY_PROPERTIES = ['component', 'amount'];

/** The body of `POST /crm/v3/schemas`. */
export function commissionSchema(): Record<string, unknown> {
  return {
    name: COMMISSION_OBJECT,
    labels: { singular: 'Commission', plural: 'Commissions' },
    primaryDisplayProperty: PRIMARY_DISPLAY_PROPERTY,
    secondaryDisplayProperties: SECONDARY_DISPLAY_PROPERTIES,
    searchableProperties: [KEY_PROPERTY, 'period', 'plan'],
    requiredProperties: [KEY_PROPERTY],
    properties: [...COMMISSION_PROPERTIES, ...DISPUTE_PROPERTIES],
    associatedObjects: ['DEAL'],
  };
}

export interface RemoteSchema {
  objectTypeId: string;
  name: string;
  fullyQualifiedName?: string;
  properties: { name: string; type: string; hasUniqueValue?: boolean }[];
  primaryDisplayProperty?: string;
  secondaryDisplayProperties?: string[];
  /** The object's association definitions (`associatedObjects: ['DEAL']` makes the one to deals, `0-3`). */
  associations?: { id?: string; fromObjectTypeId: string; toObjectTypeId: string; name?: string }[];
}

export function findCommissionSchema(api: HubspotApi, signal?: AbortSignal): Promise<RemoteSchema | undefined> {
  return findSchema(api, COMMISSION_OBJECT, signal);
}

async function findSchema(api: HubspotApi, name: string, signal?: AbortSignal): Promise<RemoteSchema | undefined> {
  const answer = await api.request<{ results: RemoteSchema[] }>(
    'GET /crm/v3/schemas',
    'standard',
    { method: 'GET', path: '/crm/v3/schemas' },
    signal,
  );
  return answer.results.find((s) => s.name === name);
}

/** How the portal's object differs from what Attain writes: each difference with its fix. */
export function schemaDifferences(schema: RemoteSchema): string[] {
  const differences: string[] = [];
  const byName = new Map(schema.properties.map((p) => [p.name, p]));
  for (const wanted of COMMISSION_PROPERTIES) {
    const found = byName.get(wanted.name);
    if (!found)
      differences.push(
        `${COMMISSION_OBJECT} has no property ${wanted.name} (${wanted.type}): add it in HubSpot or delete the object and run attain hubspot setup`,
      );
    else if (found.type !== wanted.type)
      differences.push(`${COMMISSION_OBJECT}.${wanted.name} is ${found.type}, expected ${wanted.type}`);
    else if (wanted.hasUniqueValue && found.hasUniqueValue !== true) {
      differences.push(
        `${COMMISSION_OBJECT}.${wanted.name} must have unique values (hasUniqueValue) to upsert by it: recreate the property`,
      );
    }
  }
  if (
    !(schema.associations ?? []).some(
      (a) => a.toObjectTypeId === DEAL_OBJECT_TYPE || a.fromObjectTypeId === DEAL_OBJECT_TYPE,
    )
  ) {
    differences.push(
      `${COMMISSION_OBJECT} has no association with deals, so records cannot be linked to their deal: ` +
        `add it (POST /crm/v3/schemas/${schema.objectTypeId}/associations with toObjectTypeId ${DEAL_OBJECT_TYPE}) or delete the object and run attain hubspot setup`,
    );
  }
  return differences;
}

export type SetupOutcome =
  | { created: true; objectTypeId: string }
  | { created: false; objectTypeId: string; differences: string[]; updated: string[] };

/**
 * What reps need of an object the write-back can already use: the dispute properties (missing
 * ones are listed: adding a property is the admin's call) and the display properties.
 */
export function visibilityDifferences(schema: RemoteSchema): string[] {
  const byName = new Map(schema.properties.map((p) => [p.name, p]));
  return DISPUTE_PROPERTIES.flatMap((wanted) => {
    const found = byName.get(wanted.name);
    if (!found)
      return [
        `${COMMISSION_OBJECT} has no property ${wanted.name} (${wanted.type}, for disputes): add it in Settings › Objects › Commissions › Properties (${wanted.fieldType === 'select' ? 'dropdown select with the values open, resolved, rejected' : 'multi-line text'}), or delete the object and run attain hubspot setup`,
      ];
    return found.type === wanted.type
      ? []
      : [`${COMMISSION_OBJECT}.${wanted.name} is ${found.type}, expected ${wanted.type}`];
  });
}

function displayMatches(schema: RemoteSchema): boolean {
  return (
    schema.primaryDisplayProperty === PRIMARY_DISPLAY_PROPERTY &&
    (schema.secondaryDisplayProperties ?? []).join() === SECONDARY_DISPLAY_PROPERTIES.join()
  );
}

/** The display properties differ from period (name), component and amount: setup sets them. */
export function displayDifference(schema: RemoteSchema): string[] {
  if (displayMatches(schema)) return [];
  return [
    `${COMMISSION_OBJECT} records are named by ${schema.primaryDisplayProperty ?? 'nothing'} with ${(schema.secondaryDisplayProperties ?? []).join(', ') || 'nothing'} under it, not by ${PRIMARY_DISPLAY_PROPERTY} with ${SECONDARY_DISPLAY_PROPERTIES.join(' and ')}: run attain hubspot setup (it sets them)`,
  ];
}

/**
 * Creates the object, or verifies the existing one and lists how it differs. The one change it
 * makes to an existing object is its display properties (period; component and amount), which
 * touches no record.
 */
export async function setupCommissionObject(api: HubspotApi): Promise<SetupOutcome> {
  const existing = await findCommissionSchema(api);
  if (existing) {
    const updated: string[] = [];
    if (!displayMatches(existing)) {
      await api.request(`PATCH /crm/v3/schemas/${existing.objectTypeId}`, 'standard', {
        method: 'PATCH',
        path: `/crm/v3/schemas/${existing.objectTypeId}`,
        body: {
          primaryDisplayProperty: PRIMARY_DISPLAY_PROPERTY,
          secondaryDisplayProperties: SECONDARY_DISPLAY_PROPERTIES,
        },
      });
      updated.push(
        `display properties: ${PRIMARY_DISPLAY_PROPERTY} as the record's name, ${SECONDARY_DISPLAY_PROPERTIES.join(' and ')} under it`,
      );
    }
    return {
      created: false,
      objectTypeId: existing.objectTypeId,
      differences: [...schemaDifferences(existing), ...visibilityDifferences(existing)],
      updated,
    };
  }
  const created = await api.request<RemoteSchema>('POST /crm/v3/schemas', 'standard', {
    method: 'POST',
    path: '/crm/v3/schemas',
    body: commissionSchema(),
  });
  return { created: true, objectTypeId: created.objectTypeId };
}

/** The write-back target; fails with INVALID_CONFIG when setup has not created the object. */
export async function openCommissionTarget(api: HubspotApi, signal?: AbortSignal): Promise<WritebackTarget> {
  const schema = await findCommissionSchema(api, signal);
  if (!schema) {
    throw new ConnectorError(
      'INVALID_CONFIG',
      `the HubSpot portal has no ${COMMISSION_OBJECT} object: run \`attain hubspot setup\` first (or set writeback.enabled: false)`,
    );
  }
  const differences = schemaDifferences(schema);
  if (differences.length > 0)
    throw new ConnectorError(
      'INVALID_CONFIG',
      `${differences.join('; ')} (attain hubspot setup lists the differences)`,
    );
  return new ObjectTarget<CommissionRecord>(
    'hubspot',
    COMMISSION_OBJECT,
    api,
    schema.objectTypeId,
    recordProperties,
    signal,
  );
}

interface UpsertAnswer {
  /** `new`: the upsert created the record (it has no association yet). */
  results?: { id: string; new?: boolean; properties?: Record<string, string | null> }[];
  errors?: { message?: string; category?: string; context?: Record<string, string[]> }[];
}

type UpsertOutcome = WritebackOutcome & { created?: boolean };

/** A record of one of Attain's objects: keyed, and linked to a deal when it has one. */
interface ObjectRecord {
  key: string;
  dealId?: string;
}

/**
 * Records of one custom object (commissions, estimates), batch-upserted by `attain_key` and
 * associated to their deal; archived when they no longer exist.
 */
class ObjectTarget<R extends ObjectRecord> {
  /** Each record is linked to its deal: the deal is part of a commission record's hash. */
  readonly associatesDeals = true;
  private readonly associations: DealAssociations;
  constructor(
    readonly name: string,
    private readonly objectName: string,
    private readonly api: HubspotApi,
    private readonly objectType: string,
    private readonly propertiesOf: (record: R) => Record<string, string>,
    private readonly signal?: AbortSignal,
  ) {
    this.associations = new DealAssociations(api, objectType, signal);
  }

  /** Upserts, then links the records written to their deals: a record whose link failed is written with a warning. */
  async upsert(records: R[]): Promise<WritebackOutcome[]> {
    const outcomes: UpsertOutcome[] = [];
    for (let i = 0; i < records.length; i += BATCH) {
      outcomes.push(
        ...(await bisect<R, UpsertOutcome>(
          records.slice(i, i + BATCH),
          (batch) => this.upsertBatch(batch),
          (r, error) => ({ key: r.key, ok: false, error }),
        )),
      );
    }
    const byKey = new Map(records.map((r) => [r.key, r]));
    const written: WrittenRecord[] = [];
    const warnings = new Map<string, string>();
    for (const o of outcomes) {
      const record = byKey.get(o.key);
      if (!o.ok || o.externalId === undefined || !record) continue;
      const dealId = record.dealId === undefined ? undefined : hubspotDealId(record.dealId);
      if (record.dealId !== undefined && dealId === undefined)
        warnings.set(o.key, `not associated: deal id "${record.dealId}" is not a HubSpot deal id`);
      written.push({
        key: o.key,
        id: o.externalId,
        created: o.created === true,
        ...(dealId === undefined ? {} : { dealId }),
      });
    }
    for (const [key, warning] of await this.associations.reconcile(written))
      warnings.set(key, warnings.has(key) ? `${warnings.get(key)}; ${warning}` : warning);
    return outcomes.map(({ created: _created, ...o }) => {
      const warning = warnings.get(o.key);
      return warning === undefined ? o : { ...o, warning };
    });
  }

  /** One batch upsert call; a refused call throws (`HubspotResponseError`) for the bisection to split. */
  private async upsertBatch(batch: R[]): Promise<UpsertOutcome[]> {
    const inputs = batch.map((r) => ({ idProperty: KEY_PROPERTY, id: r.key, properties: this.propertiesOf(r) }));
    const answer = await this.api.request<UpsertAnswer>(
      `POST /crm/v3/objects/${this.objectName}/batch/upsert`,
      'standard',
      { method: 'POST', path: `/crm/v3/objects/${this.objectType}/batch/upsert`, body: { inputs } },
      this.signal,
    );
    const keys = new Set(batch.map((r) => r.key));
    const done = new Map<string, { id: string; created: boolean }>();
    for (const result of answer.results ?? []) {
      const key = result.properties?.[KEY_PROPERTY];
      if (key && keys.has(key)) done.set(key, { id: result.id, created: result.new === true });
    }
    const failed = new Map<string, string>();
    const unplaced: string[] = [];
    for (const error of answer.errors ?? []) {
      const message = `${error.category ?? 'ERROR'}: ${error.message ?? 'no reason given'}`;
      const named = Object.values(error.context ?? {})
        .flat()
        .filter((value) => keys.has(value));
      if (named.length === 0) unplaced.push(message);
      for (const key of named) failed.set(key, message);
    }
    return batch.map((r) => {
      const result = done.get(r.key);
      if (result !== undefined) return { key: r.key, ok: true, externalId: result.id, created: result.created };
      return {
        key: r.key,
        ok: false,
        error: failed.get(r.key) ?? (unplaced.join('; ') || 'HubSpot returned no result for this record'),
      };
    });
  }

  async remove(records: { key: string; externalId?: string }[]): Promise<WritebackOutcome[]> {
    const outcomes: WritebackOutcome[] = [];
    const known = records.filter((r) => r.externalId !== undefined) as { key: string; externalId: string }[];
    const unknown = records.filter((r) => r.externalId === undefined);
    // Records written before their id was stored: look their ids up by attain_key.
    for (let i = 0; i < unknown.length; i += BATCH) {
      const batch = unknown.slice(i, i + BATCH);
      const answer = await this.api.request<UpsertAnswer>(
        `POST /crm/v3/objects/${this.objectName}/batch/read`,
        'standard',
        {
          method: 'POST',
          path: `/crm/v3/objects/${this.objectType}/batch/read`,
          body: { idProperty: KEY_PROPERTY, properties: [KEY_PROPERTY], inputs: batch.map((r) => ({ id: r.key })) },
        },
        this.signal,
      );
      const found = new Map((answer.results ?? []).map((r) => [r.properties?.[KEY_PROPERTY] ?? '', r.id]));
      for (const r of batch) {
        const id = found.get(r.key);
        if (id) known.push({ key: r.key, externalId: id });
        else outcomes.push({ key: r.key, ok: true }); // not in HubSpot: nothing to archive
      }
    }
    for (let i = 0; i < known.length; i += BATCH) {
      outcomes.push(
        ...(await bisect(
          known.slice(i, i + BATCH),
          async (batch) => {
            await this.api.request(
              `POST /crm/v3/objects/${this.objectName}/batch/archive`,
              'standard',
              {
                method: 'POST',
                path: `/crm/v3/objects/${this.objectType}/batch/archive`,
                body: { inputs: batch.map((r) => ({ id: r.externalId })) },
              },
              this.signal,
            );
            return batch.map((r) => ({ key: r.key, ok: true, externalId: r.externalId }));
          },
          (r, error) => ({ key: r.key, ok: false, externalId: r.externalId, error }),
        )),
      );
    }
    return outcomes;
  }
}

/** One record's HubSpot properties (the trace is already within a text property's limit: jobs/write-back.ts traceText). */
export function recordProperties(record: CommissionRecord): Record<string, string> {
  return {
    [KEY_PROPERTY]: record.key,
    period: record.period,
    plan: record.planId,
    component: record.component,
    amount: record.amount,
    currency: record.currency,
    ...(record.attainment !== undefined && { attainment: record.attainment }),
    trace: record.trace,
    hubspot_owner_id: record.repId,
    // The settlement of the rep's dispute; without one the dispute properties are not sent.
    ...(record.settlement &&
      !record.settlement.written && {
        attain_dispute_status: 'resolved',
        attain_dispute_resolution: record.settlement.resolution,
      }),
  };
}

/** The `attain_estimate` properties: one record per open deal, rep and plan. */
export const ESTIMATE_PROPERTIES: PropertyDefinition[] = [
  { name: KEY_PROPERTY, label: 'Attain key', type: 'string', fieldType: 'text', hasUniqueValue: true },
  { name: 'plan', label: 'Plan', type: 'string', fieldType: 'text' },
  {
    name: 'amount',
    label: 'Amount',
    type: 'number',
    fieldType: 'number',
    description: 'What closing the deal won would change in your pay of this plan.',
  },
  { name: 'currency', label: 'Currency', type: 'string', fieldType: 'text' },
  { name: 'close_date', label: 'Close date', type: 'date', fieldType: 'date' },
  { name: 'trace', label: 'Trace', type: 'string', fieldType: 'textarea' },
];

/** The body of `POST /crm/v3/schemas` for estimates: named by plan, amount and close date under it. */
export function estimateSchema(): Record<string, unknown> {
  return {
    name: ESTIMATE_OBJECT,
    labels: { singular: 'Commission estimate', plural: 'Commission estimates' },
    primaryDisplayProperty: 'plan',
    secondaryDisplayProperties: ['amount', 'close_date'],
    searchableProperties: [KEY_PROPERTY, 'plan'],
    requiredProperties: [KEY_PROPERTY],
    properties: ESTIMATE_PROPERTIES,
    associatedObjects: ['DEAL'],
  };
}

/** The estimate object, when the portal has one. */
export function findEstimateSchema(api: HubspotApi, signal?: AbortSignal): Promise<RemoteSchema | undefined> {
  return findSchema(api, ESTIMATE_OBJECT, signal);
}

/** Creates the estimate object, or lists how the existing one differs from what Attain writes. */
export async function setupEstimateObject(api: HubspotApi): Promise<SetupOutcome> {
  const existing = await findSchema(api, ESTIMATE_OBJECT);
  if (existing)
    return {
      created: false,
      objectTypeId: existing.objectTypeId,
      differences: estimateDifferences(existing),
      updated: [],
    };
  const created = await api.request<RemoteSchema>('POST /crm/v3/schemas', 'standard', {
    method: 'POST',
    path: '/crm/v3/schemas',
    body: estimateSchema(),
  });
  return { created: true, objectTypeId: created.objectTypeId };
}

/** How an existing estimate object differs from what Attain writes, each with its fix. */
export function estimateDifferences(schema: RemoteSchema): string[] {
  const byName = new Map(schema.properties.map((p) => [p.name, p]));
  const differences = ESTIMATE_PROPERTIES.flatMap((wanted) => {
    const found = byName.get(wanted.name);
    if (!found)
      return [
        `${ESTIMATE_OBJECT} has no property ${wanted.name} (${wanted.type}): add it in HubSpot or delete the object and run attain hubspot setup`,
      ];
    if (found.type !== wanted.type)
      return [`${ESTIMATE_OBJECT}.${wanted.name} is ${found.type}, expected ${wanted.type}`];
    if (wanted.hasUniqueValue && found.hasUniqueValue !== true)
      return [
        `${ESTIMATE_OBJECT}.${wanted.name} must have unique values (hasUniqueValue) to upsert by it: recreate the property`,
      ];
    return [];
  });
  if (
    !(schema.associations ?? []).some(
      (a) => a.toObjectTypeId === DEAL_OBJECT_TYPE || a.fromObjectTypeId === DEAL_OBJECT_TYPE,
    )
  )
    differences.push(
      `${ESTIMATE_OBJECT} has no association with deals: delete the object and run attain hubspot setup`,
    );
  return differences;
}

/**
 * The estimate target, or undefined (logged) when the portal has no usable estimate object: the
 * commission write-back goes on without estimates.
 */
export async function openEstimateTarget(
  api: HubspotApi,
  log: (message: string) => void,
  signal?: AbortSignal,
): Promise<EstimateTarget | undefined> {
  const schema = await findSchema(api, ESTIMATE_OBJECT, signal);
  const differences = schema ? estimateDifferences(schema) : [];
  if (!schema || differences.length > 0) {
    log(
      `hubspot: ${schema ? differences.join('; ') : `the portal has no ${ESTIMATE_OBJECT} object`}: estimates are not written (attain hubspot setup creates it)`,
    );
    return undefined;
  }
  return new ObjectTarget<EstimateRecord>(
    'hubspot-estimates',
    ESTIMATE_OBJECT,
    api,
    schema.objectTypeId,
    estimateProperties,
    signal,
  );
}

/** One estimate's HubSpot properties, owned by the rep. */
export function estimateProperties(record: EstimateRecord): Record<string, string> {
  return {
    [KEY_PROPERTY]: record.key,
    plan: record.planId,
    amount: record.amount,
    currency: record.currency,
    close_date: record.closeDate,
    trace: record.trace,
    hubspot_owner_id: record.repId,
  };
}
