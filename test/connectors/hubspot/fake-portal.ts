/**
 * A local HubSpot portal over `node:http`, speaking the endpoints the connector uses with the
 * response shapes HubSpot gives (v3 objects, search with `paging.next.after` and its 10,000-result
 * cap, owners, pipelines, schemas, batch upsert/read/archive, the associations v4 batch
 * read/archive/associate-default between commissions and deals, the OAuth token endpoint). It can
 * enforce a rolling rate limit (429 TEN_SECONDLY_ROLLING above it) and sends the
 * `X-HubSpot-RateLimit-*` headers. Used by the end-to-end test and the benchmark; the real
 * `@hubspot/api-client` talks to it through `baseUrl`.
 *
 * Every answer has the shape of HubSpot's own reference and examples, named at each answer; a
 * field HubSpot documents but Attain does not read is sent all the same, so the tests agree with
 * HubSpot and not with the code under test. The shapes the nock tests record come from here too
 * (`HUBSPOT_ANSWERS`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeDeal {
  id: string;
  properties: Record<string, string | null>;
  archived?: boolean;
  archivedAt?: string;
}

export interface SearchBody {
  filterGroups?: { filters: { propertyName: string; operator: string; value: string }[] }[];
  sorts?: { propertyName: string; direction?: string }[];
  properties?: string[];
  limit?: number;
  after?: string;
}

export interface FakeOwner {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  archived?: boolean;
}

export interface FakePortalOptions {
  token?: string;
  /** Requests per rolling 10 s; absent: no limit. */
  perTenSeconds?: number;
  /** Deal splits API present (default true). */
  splits?: boolean;
  /** Upserts with these keys fail per record (207). */
  failKeys?: Set<string>;
  /** Archive calls holding one of these record ids are refused whole with a 400, as HubSpot refuses a batch over one bad input. */
  refuseArchiveIds?: Set<string>;
  /** Associating a commission to a deal that does not exist refuses the whole call with a 400 (default: that pair alone fails, in `errors[]` of a 207). */
  refuseAssociationBatchOnMissingDeal?: boolean;
  /** The `attain_commission` schema's association definitions, when they should differ from what setup creates (one to deals). */
  commissionAssociations?: { id: string; fromObjectTypeId: string; toObjectTypeId: string; name: string }[];
  /** The `attain_commission` schema's properties, when they should differ from what Attain creates. */
  commissionProperties?: { name: string; type: string; fieldType: string; hasUniqueValue?: boolean }[];
  /** An existing object's display properties (default: what setup creates). */
  display?: { primaryDisplayProperty?: string; secondaryDisplayProperties?: string[] };
  /** False: the app lacks settings.users.read, and the Users API answers 403. */
  usersScope?: boolean;
  /** The search's result cap per query (HubSpot's is 10,000): a page reaching past it is a 400. */
  searchCap?: number;
  /** Deal properties the portal has (default DEAL_PROPERTIES). */
  dealProperties?: string[];
  /** The portal's company currency (default USD). */
  companyCurrency?: string;
}

/** Timestamps HubSpot puts on every object; fixed, so answers compare. */
const CREATED = '2026-01-01T00:00:00.000Z';

/**
 * HubSpot's answers that the fake portal and the nock tests both give, each as HubSpot documents
 * it (the page is named at each).
 */
export const HUBSPOT_ANSWERS = {
  /**
   * A deal split of `POST /crm/v3/objects/deals/splits/batch/read`: the owner in
   * `hubspot_owner_id`, the share in `hs_deal_split_percentage` as a fraction of 1 ("0.6" is
   * 60 %), both strings. HubSpot's changelog response example,
   * https://developers.hubspot.com/changelog/public-beta-new-dealsplits-api, and the guide,
   * https://developers.hubspot.com/docs/api-reference/crm-deal-splits-v3/guide.
   */
  split(id: string, owner: string, fraction: string) {
    return {
      id,
      properties: { hs_deal_split_percentage: fraction, hubspot_owner_id: owner },
      createdAt: '2023-11-15T21:32:18.990Z',
      updatedAt: '2023-11-15T21:32:18.990Z',
      archived: false,
    };
  },
  /** The batch read's envelope, as in the same changelog example. */
  splitsBatch(results: { id: string; splits: unknown[] }[]) {
    return {
      status: 'COMPLETE',
      results,
      startedAt: '2023-11-29T15:47:46.079Z',
      completedAt: '2023-11-29T15:47:46.301Z',
    };
  },
  /**
   * `GET /settings/v3/currencies/company-currency`: the currency code is `id`.
   * https://developers.hubspot.com/docs/api-reference/latest/account/settings/multicurrency/get-company-currency
   */
  companyCurrency(code: string) {
    return { createdAt: '2023-11-07T05:31:56Z', id: code };
  },
  /**
   * One exchange rate of `GET /settings/v3/currencies/exchange-rates`: `conversionRate` is a
   * number (units of the company currency per unit of `fromCurrencyCode`).
   * https://developers.hubspot.com/docs/api-reference/latest/account/settings/multicurrency/exchange-rates/get-current-exchange-rates
   */
  exchangeRate(id: string, from: string, to: string, conversionRate: number, effectiveAt: string) {
    return {
      conversionRate,
      createdAt: effectiveAt,
      effectiveAt,
      fromCurrencyCode: from,
      id,
      toCurrencyCode: to,
      updatedAt: effectiveAt,
      visibleInUI: true,
    };
  },
  /**
   * One owner of `GET /crm/v3/owners`, as in the owners API reference
   * (https://developers.hubspot.com/docs/api-reference/crm-crm-owners-v3/guide):
   * `type` PERSON, `userId` and `userIdIncludingInactive` numbers, `archived`, `teams`.
   */
  owner(owner: FakeOwner, archived: boolean) {
    return {
      id: owner.id,
      email: owner.email,
      type: 'PERSON',
      firstName: owner.firstName,
      lastName: owner.lastName,
      userId: Number(owner.id),
      userIdIncludingInactive: Number(owner.id),
      createdAt: CREATED,
      updatedAt: CREATED,
      archived,
      teams: [{ id: '1', name: 'Sales', primary: true }],
    };
  },
  /**
   * A 429 of the rolling ten-second limit, as in HubSpot's API usage guidelines
   * (https://developers.hubspot.com/docs/api/usage-details).
   */
  tenSecondlyLimit() {
    return {
      status: 'error',
      message: 'You have reached your ten_secondly_rolling limit.',
      errorType: 'RATE_LIMIT',
      correlationId: 'c033cdaa-2c40-4a64-ae48-b4cec88dad24',
      policyName: 'TEN_SECONDLY_ROLLING',
      requestId: '3d3e35b7-0dae-4b9f-a6e3-9c230cbcf8dd',
    };
  },
  /** A 429 of the daily limit, the guidelines' own example: the sync must stop, not wait. */
  dailyLimit() {
    return {
      ...HUBSPOT_ANSWERS.tenSecondlyLimit(),
      message: 'You have reached your daily limit.',
      policyName: 'DAILY',
    };
  },
  /**
   * An error answer: HubSpot's StandardError envelope (`status`, `message`, `correlationId`,
   * `category`), https://developers.hubspot.com/docs/faq/api-error-responses.
   */
  error(category: string, message: string, extra: Record<string, unknown> = {}) {
    return { status: 'error', message, correlationId: 'aeb5f871-7f07-4993-9211-075dc63e7cbf', category, ...extra };
  },
  /** `startedAt`/`completedAt` of every batch answer (the batch upsert reference named below). */
  batchTimes: { startedAt: '2026-11-26T00:00:00.000Z', completedAt: '2026-11-26T00:00:00.100Z' },
};

/** The OAuth app the token endpoint knows, and the one authorization code it accepts. */
export const OAUTH_APP = {
  clientId: 'attain-client-id',
  clientSecret: 'attain-client-secret-value',
  code: 'auth-code-ok',
  refreshToken: 'refresh-ok',
};

export interface CommissionRow {
  id: string;
  properties: Record<string, string>;
  archived: boolean;
}

export class FakePortal {
  deals = new Map<string, FakeDeal>();

  /** A USD new-business deal in the default pipeline, closed 2026-02-10, with a 12-month term unless `extra` says otherwise. */
  putDeal(
    id: string,
    owner: string | null,
    amount: string,
    stage: string,
    modified: string,
    extra: Record<string, string> = {},
  ): void {
    this.deals.set(id, {
      id,
      properties: {
        dealname: `Deal ${id}`,
        amount,
        closedate: '2026-02-10T15:00:00.000Z',
        dealstage: stage,
        pipeline: 'default',
        hubspot_owner_id: owner,
        deal_currency_code: 'USD',
        dealtype: 'newbusiness',
        hs_lastmodifieddate: modified,
        contract_term: '12',
        ...extra,
      },
    });
  }

  owners: FakeOwner[] = [];
  /** Owner ids whose users are Super Admins. */
  superAdmins = new Set<string>();
  /** The object's display properties as created or last updated. */
  private display: Record<string, unknown> = {};
  splits = new Map<string, { owner: string; fraction: string }[]>();
  /** attain_key → record. */
  commissions = new Map<string, CommissionRow>();
  schemaCreated = false;
  /** attain_key → `attain_estimate` record (the sibling object of estimates). */
  estimates = new Map<string, CommissionRow>();
  estimateSchemaCreated = false;
  /** False: the estimate object as an admin might have made it by hand, not associated with deals. */
  estimateSchemaAssociations = true;
  /** Every estimate upsert input of an accepted call, in order. */
  estimateUpserts: { id: string; properties: Record<string, string> }[] = [];
  /** Each request: method and path. */
  log: { method: string; path: string; at: number; status: number }[] = [];
  /** Every upsert input of an accepted call, in order. */
  upserts: { id: string; properties: Record<string, string> }[] = [];
  /** The inputs' ids of each batch call refused whole (400): nothing of it was written. */
  refusedBatches: { operation: 'upsert' | 'archive' | 'associate'; ids: string[] }[] = [];
  /** Commission record id → the deal ids it is associated with. */
  dealAssociations = new Map<string, Set<string>>();
  /** Each associations v4 call between commissions and deals, with its inputs as sent. */
  associationCalls: { operation: string; inputs: unknown[] }[] = [];
  archivedIds: string[] = [];
  tokenRequests: URLSearchParams[] = [];
  /** Called as each commission upsert call arrives, before it is answered. */
  onUpsert: (() => void) | undefined;
  /** Called with each deal search's body and the status it is answered with. */
  onSearch: ((body: SearchBody, status: number) => void) | undefined;
  rateLimited = 0;
  /** `associatedObjects` of the create call, when the object was created through the API. */
  private createdAssociatedObjects: string[] | undefined;
  private server: Server | undefined;
  private accepted: number[] = [];
  private nextId = 1000;
  /** Deals sorted for the search, kept while nothing changed (a 50,000-deal bench would sort on every page). */
  private sorted: { key: string; deals: FakeDeal[] } | undefined;
  private version = 0;

  constructor(readonly options: FakePortalOptions = {}) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.handle(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify(HUBSPOT_ANSWERS.error('INTERNAL_ERROR', String(error))));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** The time of the next commission write (each write one second later), for hs_lastmodifieddate. */
  private commissionClock = Date.parse('2026-11-26T00:00:00.000Z');
  private nextCommissionStamp(): string {
    this.commissionClock += 1000;
    return new Date(this.commissionClock).toISOString();
  }

  /**
   * A rep edits their own commission record in HubSpot (the record's dispute properties): the
   * properties change and hs_lastmodifieddate moves on, as for any edit.
   */
  editCommission(key: string, properties: Record<string, string>): void {
    const row = this.commissions.get(key);
    if (!row) throw new Error(`no commission record ${key}`);
    Object.assign(row.properties, properties, { hs_lastmodifieddate: this.nextCommissionStamp() });
  }

  /** A deal's change: new properties and a later hs_lastmodifieddate. */
  touch(id: string, properties: Record<string, string>, at: Date): void {
    const deal = this.deals.get(id);
    if (!deal) throw new Error(`no deal ${id}`);
    this.version++;
    Object.assign(deal.properties, properties, { hs_lastmodifieddate: at.toISOString() });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = await readBody(req);
    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      this.log.push({ method: req.method ?? '', path: url.pathname, at: performance.now(), status });
      res.writeHead(status, { 'content-type': 'application/json', ...this.limitHeaders(), ...headers });
      res.end(payload === undefined ? undefined : JSON.stringify(payload));
    };

    if (url.pathname === '/oauth/v1/token')
      return send(410, { status: 'error', message: 'v1 OAuth endpoints are deprecated: use /oauth/v3/token' });
    if (url.pathname === '/oauth/v3/token') {
      const form = new URLSearchParams(body);
      this.tokenRequests.push(form);
      if (form.get('grant_type') === 'authorization_code') {
        if (form.get('client_id') !== OAUTH_APP.clientId || form.get('client_secret') !== OAUTH_APP.clientSecret) {
          return send(400, { status: 'BAD_CLIENT_ID', message: 'missing or unknown client id or secret' });
        }
        if (form.get('code') !== OAUTH_APP.code)
          return send(400, { status: 'BAD_AUTH_CODE', message: 'missing or unknown auth code' });
        return send(200, {
          token_type: 'bearer',
          refresh_token: OAUTH_APP.refreshToken,
          access_token: this.options.token ?? 'pat-test',
          expires_in: 1800,
        });
      }
      if (form.get('refresh_token') !== 'refresh-ok')
        return send(400, { status: 'BAD_REFRESH_TOKEN', message: 'missing or unknown refresh token' });
      return send(200, {
        token_type: 'bearer',
        refresh_token: 'refresh-ok',
        access_token: this.options.token ?? 'pat-test',
        expires_in: 1800,
      });
    }
    if (this.options.token && req.headers.authorization !== `Bearer ${this.options.token}`) {
      return send(
        401,
        HUBSPOT_ANSWERS.error(
          'INVALID_AUTHENTICATION',
          'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
        ),
      );
    }
    if (this.options.perTenSeconds !== undefined) {
      const now = performance.now();
      this.accepted = this.accepted.filter((t) => t > now - 10_000);
      if (this.accepted.length >= this.options.perTenSeconds) {
        this.rateLimited++;
        return send(429, HUBSPOT_ANSWERS.tenSecondlyLimit());
      }
      this.accepted.push(now);
    }
    const json = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /crm/v3/properties/deals':
        return send(200, {
          // The properties API's property: name, label, type, fieldType, groupName, … (its reference,
          // https://developers.hubspot.com/docs/api-reference/latest/crm/properties/guide).
          results: (this.options.dealProperties ?? DEAL_PROPERTIES).map((name) => ({
            name,
            label: name,
            type: 'string',
            fieldType: 'text',
            groupName: 'dealinformation',
            description: '',
            options: [],
            hidden: false,
            formField: true,
          })),
        });
      case 'GET /crm/v3/pipelines/deals':
        return send(200, { results: [PIPELINE] });
      case 'GET /settings/v3/currencies/company-currency':
        return send(200, HUBSPOT_ANSWERS.companyCurrency(this.options.companyCurrency ?? 'USD'));
      case 'GET /settings/v3/currencies/exchange-rates': {
        const company = this.options.companyCurrency ?? 'USD';
        return send(200, {
          results:
            company === 'USD' ? [HUBSPOT_ANSWERS.exchangeRate('1', 'EUR', 'USD', 1.25, '2026-01-01T00:00:00Z')] : [],
        });
      }
      case 'GET /crm/v3/owners': {
        const archived = url.searchParams.get('archived') === 'true';
        return send(200, {
          results: this.owners
            .filter((o) => (o.archived ?? false) === archived)
            .map((o) => HUBSPOT_ANSWERS.owner(o, archived)),
        });
      }
      case 'POST /crm/v3/objects/deals/search':
        return this.search(json, send);
      case `POST /crm/v3/objects/${SCHEMA.objectTypeId}/search`:
      case 'POST /crm/v3/objects/attain_commission/search':
        if (!this.schemaCreated) break;
        return this.searchCommissions(json, send);
      case 'GET /crm/v3/objects/deals': {
        // The objects list (the deals API, https://developers.hubspot.com/docs/api-reference/latest/crm/objects/deals/guide):
        // each object with the properties asked for, its timestamps and, archived, `archivedAt`.
        const archived = [...this.deals.values()].filter((d) => d.archived);
        const after = Number(url.searchParams.get('after') ?? 0);
        const limit = Number(url.searchParams.get('limit') ?? 10);
        const requested = (url.searchParams.get('properties') ?? '').split(',').filter(Boolean);
        const page = archived.slice(after, after + limit).map((d) => ({
          id: d.id,
          properties: Object.fromEntries(requested.map((p) => [p, d.properties[p] ?? null])),
          createdAt: CREATED,
          updatedAt: d.archivedAt ?? d.properties['hs_lastmodifieddate'],
          archived: true,
          ...(d.archivedAt && { archivedAt: d.archivedAt }),
        }));
        const next = String(after + limit);
        return send(200, {
          results: page,
          ...(after + limit < archived.length && {
            paging: { next: { after: next, link: `/crm/v3/objects/deals?archived=true&after=${next}` } },
          }),
        });
      }
      case 'POST /crm/v3/objects/deals/splits/batch/read': {
        if (this.options.splits === false)
          return send(404, HUBSPOT_ANSWERS.error('OBJECT_NOT_FOUND', 'Resource not found'));
        const inputs = (json['inputs'] as { id: string }[]) ?? [];
        return send(
          200,
          HUBSPOT_ANSWERS.splitsBatch(
            inputs.map(({ id }) => ({
              id,
              splits: (this.splits.get(id) ?? []).map((s, i) =>
                HUBSPOT_ANSWERS.split(`${id}${i}`, s.owner, s.fraction),
              ),
            })),
          ),
        );
      }
      case 'GET /crm/v3/schemas':
        return send(200, {
          results: [
            ...(this.schemaCreated ? [this.schema()] : []),
            ...(this.estimateSchemaCreated
              ? [this.estimateSchemaAssociations ? ESTIMATE_SCHEMA : { ...ESTIMATE_SCHEMA, associations: [] }]
              : []),
          ],
        });
      case 'POST /crm/v3/schemas':
        // Create a custom object (CRM API, Schemas, "Create"): 201 with the new object's definition.
        if (json['name'] === ESTIMATE_SCHEMA.name) {
          this.estimateSchemaCreated = true;
          return send(201, ESTIMATE_SCHEMA);
        }
        this.schemaCreated = true;
        this.createdAssociatedObjects = (json['associatedObjects'] as string[] | undefined) ?? [];
        this.display = {
          primaryDisplayProperty: json['primaryDisplayProperty'],
          secondaryDisplayProperties: json['secondaryDisplayProperties'],
        };
        return send(201, this.schema());
      case `PATCH /crm/v3/schemas/${SCHEMA.objectTypeId}`:
        // Update an object's definition: only the fields given change (CRM API, Schemas, "Update").
        for (const key of ['primaryDisplayProperty', 'secondaryDisplayProperties'])
          if (key in json) this.display[key] = json[key];
        return send(200, this.schema());
      case 'GET /settings/v3/users': {
        // Users API (settings/v3/users): id is a string, superAdmin a boolean.
        if (this.options.usersScope === false)
          return send(403, {
            status: 'error',
            message: "This app hasn't been granted all required scopes to make this call.",
            category: 'MISSING_SCOPES',
            errors: [
              {
                message: 'One or more of the following scopes are required.',
                context: { requiredGranularScopes: ['settings.users.read'] },
              },
            ],
          });
        return send(200, {
          results: this.owners.map((o) => ({
            id: String(Number(o.id)),
            email: o.email ?? `${o.id}@acme.test`,
            roleIds: [],
            primaryTeamId: '1',
            superAdmin: this.superAdmins.has(o.id),
          })),
        });
      }
    }
    const association =
      /^\/crm\/v4\/associations\/(2-\d+|attain_commission|attain_estimate)\/(0-3|deals?)\/batch\/(read|archive|associate\/default)$/.exec(
        url.pathname,
      );
    if (association && req.method === 'POST' && this.schemaCreated) {
      return this.associations(association[3]!, (json['inputs'] as Record<string, unknown>[]) ?? [], send);
    }
    const object = /^\/crm\/v3\/objects\/(2-\d+|attain_commission|attain_estimate)\/batch\/(upsert|read|archive)$/.exec(
      url.pathname,
    );
    const estimate = object?.[1] === ESTIMATE_SCHEMA.objectTypeId || object?.[1] === ESTIMATE_SCHEMA.name;
    if (object && req.method === 'POST' && (estimate ? this.estimateSchemaCreated : this.schemaCreated)) {
      // One custom object's records: commissions, or estimates.
      const records = estimate ? this.estimates : this.commissions;
      const upserted = estimate ? this.estimateUpserts : this.upserts;
      const inputs = (json['inputs'] as { id: string; properties?: Record<string, string> }[]) ?? [];
      if (inputs.length > 100) return send(400, HUBSPOT_ANSWERS.error('VALIDATION_ERROR', 'too many inputs'));
      if (object[2] === 'upsert') {
        this.onUpsert?.();
        // Like HubSpot, an invalid value in any input refuses the whole call, naming the value but not the input.
        const invalid = inputs.flatMap((input) => invalidValues(input.properties ?? {}, this.owners));
        if (invalid.length > 0) {
          this.refusedBatches.push({ operation: 'upsert', ids: inputs.map((input) => input.id) });
          return send(
            400,
            HUBSPOT_ANSWERS.error('VALIDATION_ERROR', `Property values were not valid: ${JSON.stringify(invalid)}`),
          );
        }
        const results = [];
        const errors = [];
        for (const input of inputs) {
          upserted.push({ id: input.id, properties: input.properties ?? {} });
          if (this.options.failKeys?.has(input.id)) {
            errors.push({
              status: 'error',
              category: 'VALIDATION_ERROR',
              message: `Property values were not valid for ${input.id}`,
              context: { id: [input.id] },
              links: {},
              errors: [],
            });
            continue;
          }
          const existing = records.get(input.id);
          const row: CommissionRow = existing ?? { id: String(this.nextId++), properties: {}, archived: false };
          Object.assign(row.properties, input.properties, {
            attain_key: input.id,
            hs_object_id: row.id,
            hs_lastmodifieddate: this.nextCommissionStamp(),
          });
          row.archived = false;
          records.set(input.id, row);
          results.push({
            id: row.id,
            properties: { ...row.properties },
            new: !existing,
            createdAt: '2026-11-26T00:00:00Z',
            updatedAt: '2026-11-26T00:00:00Z',
            archived: false,
          });
        }
        // HubSpot does not promise the inputs' order: answer in reverse to prove matching by key.
        // The batch upsert's answer (https://developers.hubspot.com/docs/api-reference/latest/crm/objects/custom-objects/batch/upsert-custom-objects):
        // 200, or 207 with `numErrors` and `errors` when some inputs failed.
        results.reverse();
        return send(errors.length ? 207 : 200, {
          status: 'COMPLETE',
          results,
          ...(errors.length && { numErrors: errors.length, errors }),
          ...HUBSPOT_ANSWERS.batchTimes,
        });
      }
      if (object[2] === 'read') {
        const results = inputs.flatMap(({ id }) => {
          const row = records.get(id);
          return row && !row.archived
            ? [
                {
                  id: row.id,
                  properties: { attain_key: id, hs_object_id: row.id },
                  createdAt: CREATED,
                  updatedAt: CREATED,
                  archived: false,
                },
              ]
            : [];
        });
        return send(200, { status: 'COMPLETE', results, ...HUBSPOT_ANSWERS.batchTimes });
      }
      const refused = inputs.filter(({ id }) => this.options.refuseArchiveIds?.has(id));
      if (refused.length > 0) {
        this.refusedBatches.push({ operation: 'archive', ids: inputs.map((input) => input.id) });
        return send(
          400,
          HUBSPOT_ANSWERS.error('VALIDATION_ERROR', `Invalid input: object ${refused[0]!.id} cannot be archived`),
        );
      }
      for (const { id } of inputs) {
        this.archivedIds.push(id);
        for (const row of records.values()) if (row.id === id) row.archived = true;
      }
      return send(204);
    }
    return send(404, HUBSPOT_ANSWERS.error('OBJECT_NOT_FOUND', `no route ${route}`));
  }

  private schema(): Record<string, unknown> {
    return {
      ...SCHEMA,
      ...(this.options.display !== undefined && this.options.display),
      ...Object.fromEntries(Object.entries(this.display).filter(([, v]) => v !== undefined)),
      ...(this.options.commissionProperties && { properties: this.options.commissionProperties }),
      ...(this.createdAssociatedObjects && {
        associations: this.createdAssociatedObjects.map((name, i) => ({
          id: String(27 + i),
          fromObjectTypeId: SCHEMA.objectTypeId,
          toObjectTypeId: OBJECT_TYPE_IDS[name] ?? name,
          name: `attain_commission_to_${name.toLowerCase()}`,
        })),
      }),
      ...(this.options.commissionAssociations && { associations: this.options.commissionAssociations }),
    };
  }

  /**
   * The associations v4 batch endpoints from commissions to deals, answered as HubSpot does: a
   * batch response with `status: COMPLETE`, `results`, and for the inputs it could not serve
   * `errors[]` (StandardError: category, message, `context` naming the ids) with a 207. A pair is
   * answered once per direction. Reading a record with no association is an error too.
   */
  private associations(
    operation: string,
    inputs: Record<string, unknown>[],
    send: (status: number, payload?: unknown) => void,
  ): void {
    if (inputs.length > 100) return send(400, HUBSPOT_ANSWERS.error('VALIDATION_ERROR', 'too many inputs'));
    this.associationCalls.push({ operation, inputs });
    const times = HUBSPOT_ANSWERS.batchTimes;
    const answer = (results: unknown[], errors: unknown[]) =>
      send(errors.length ? 207 : 200, {
        status: 'COMPLETE',
        results,
        ...(errors.length && { numErrors: errors.length, errors }),
        ...times,
        links: {},
      });
    const commissionIds = new Set(
      [...this.commissions.values(), ...this.estimates.values()].filter((row) => !row.archived).map((row) => row.id),
    );
    if (operation === 'read') {
      const results: unknown[] = [];
      const errors: unknown[] = [];
      for (const input of inputs as { id: string }[]) {
        const deals = [...(this.dealAssociations.get(input.id) ?? [])];
        if (deals.length === 0) {
          errors.push({
            status: 'error',
            category: 'OBJECT_NOT_FOUND',
            message: `No deals are associated with ${SCHEMA.objectTypeId} ${input.id}.`,
            context: { fromObjectId: [input.id] },
            links: {},
            errors: [],
          });
        } else {
          results.push({
            from: { id: input.id },
            to: deals.map((deal) => ({
              toObjectId: Number(deal),
              associationTypes: [{ category: 'USER_DEFINED', typeId: 27, label: null }],
            })),
          });
        }
      }
      return answer(results, errors);
    }
    if (operation === 'archive') {
      for (const input of inputs as { from: { id: string }; to: { id: string }[] }[]) {
        for (const to of input.to) this.dealAssociations.get(input.from.id)?.delete(to.id);
      }
      return send(204);
    }
    const pairs = inputs as { from: { id: string }; to: { id: string } }[];
    const missing = (pair: { from: { id: string }; to: { id: string } }) => {
      const deal = this.deals.get(pair.to.id);
      return !deal || deal.archived === true || !commissionIds.has(pair.from.id);
    };
    if (this.options.refuseAssociationBatchOnMissingDeal && pairs.some(missing)) {
      this.refusedBatches.push({ operation: 'associate', ids: pairs.map((p) => p.from.id) });
      const bad = pairs.find(missing)!;
      return send(
        400,
        HUBSPOT_ANSWERS.error('VALIDATION_ERROR', `One or more objects do not exist: deal ${bad.to.id}`),
      );
    }
    const results: unknown[] = [];
    const errors: unknown[] = [];
    for (const pair of pairs) {
      if (missing(pair)) {
        errors.push({
          status: 'error',
          category: 'VALIDATION_ERROR',
          subCategory: 'crm.associations.INVALID_OBJECT_IDS',
          message: `Could not find deal ${pair.to.id} or ${SCHEMA.objectTypeId} ${pair.from.id}`,
          context: { fromObjectId: [pair.from.id], toObjectId: [pair.to.id] },
          links: {},
          errors: [],
        });
        continue;
      }
      let deals = this.dealAssociations.get(pair.from.id);
      if (!deals) this.dealAssociations.set(pair.from.id, (deals = new Set()));
      deals.add(pair.to.id);
      results.push(
        {
          from: { id: pair.from.id },
          to: { id: pair.to.id },
          associationSpec: { associationCategory: 'USER_DEFINED', associationTypeId: 27 },
        },
        {
          from: { id: pair.to.id },
          to: { id: pair.from.id },
          associationSpec: { associationCategory: 'USER_DEFINED', associationTypeId: 28 },
        },
      );
    }
    // HubSpot does not promise the inputs' order.
    return answer(results.reverse(), errors);
  }

  private search(json: Record<string, unknown>, reply: (status: number, payload?: unknown) => void): void {
    const send = (status: number, payload?: unknown) => {
      this.onSearch?.(json as SearchBody, status);
      reply(status, payload);
    };
    // Both are optional in HubSpot's search (`attain hubspot check` sends neither).
    const filters =
      (
        json['filterGroups'] as { filters: { propertyName: string; operator: string; value: string }[] }[] | undefined
      )?.[0]?.filters ?? [];
    const sortBy =
      (json['sorts'] as { propertyName: string }[] | undefined)?.[0]?.propertyName ?? 'hs_lastmodifieddate';
    const limit = Math.min(Number(json['limit'] ?? 10), 200);
    const after = Number(json['after'] ?? 0);
    if (after + limit > (this.options.searchCap ?? 10_000)) {
      return send(400, HUBSPOT_ANSWERS.error('VALIDATION_ERROR', 'There was a problem with the request.'));
    }
    const numeric = (deal: FakeDeal, property: string) =>
      property === 'hs_object_id' ? Number(deal.id) : Date.parse(deal.properties[property] ?? '');
    const key = `${sortBy} ${this.deals.size} ${this.version}`;
    if (this.sorted?.key !== key) {
      this.sorted = {
        key,
        deals: [...this.deals.values()].sort(
          (a, b) => numeric(a, sortBy) - numeric(b, sortBy) || Number(a.id) - Number(b.id),
        ),
      };
    }
    const matches = this.sorted.deals
      .filter((d) => !d.archived)
      .filter((d) =>
        filters.every((f) => {
          const v = numeric(d, f.propertyName);
          const target = Number(f.value);
          return f.operator === 'GTE'
            ? v >= target
            : f.operator === 'GT'
              ? v > target
              : f.operator === 'EQ'
                ? v === target
                : false;
        }),
      );
    const requested = (json['properties'] as string[]) ?? [];
    const page = matches.slice(after, after + limit).map((d) => ({
      id: d.id,
      properties: Object.fromEntries(requested.map((p) => [p, d.properties[p] ?? null])),
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: d.properties['hs_lastmodifieddate'],
      archived: false,
    }));
    send(200, {
      total: matches.length,
      results: page,
      ...(after + limit < matches.length && { paging: { next: { after: String(after + limit), link: '' } } }),
    });
  }

  /**
   * The search on the commission object ("Search for CRM objects of a specified type",
   * https://developers.hubspot.com/docs/api-reference/latest/crm/objects/custom-objects/search/search-custom-objects;
   * filters and sorts as in the CRM search guide, https://developers.hubspot.com/docs/api-reference/search/guide):
   * the filters of a group are ANDed; EQ on a dropdown compares its option value, GTE on
   * hs_lastmodifieddate a millisecond timestamp. Answers `total`, `results` (id, the properties asked
   * for, createdAt, updatedAt, archived) and `paging.next.after` while more remain.
   */
  private searchCommissions(json: Record<string, unknown>, send: (status: number, payload?: unknown) => void): void {
    const body = json as SearchBody;
    const filters = body.filterGroups?.[0]?.filters ?? [];
    const limit = Math.min(Number(body.limit ?? 10), 200);
    const after = Number(body.after ?? 0);
    if (after + limit > (this.options.searchCap ?? 10_000))
      return send(400, HUBSPOT_ANSWERS.error('VALIDATION_ERROR', 'There was a problem with the request.'));
    const millis = (value: string | undefined) => Date.parse(value ?? '');
    const matches = [...this.commissions.values()]
      .filter((row) => !row.archived)
      .filter((row) =>
        filters.every((f) => {
          const value = row.properties[f.propertyName];
          if (f.operator === 'EQ') return value === f.value;
          if (f.operator === 'GTE') return millis(value) >= Number(f.value);
          return false;
        }),
      )
      .sort(
        (a, b) =>
          millis(a.properties['hs_lastmodifieddate']) - millis(b.properties['hs_lastmodifieddate']) ||
          Number(a.id) - Number(b.id),
      );
    const requested = body.properties ?? [];
    send(200, {
      total: matches.length,
      results: matches.slice(after, after + limit).map((row) => ({
        id: row.id,
        properties: {
          hs_createdate: CREATED,
          hs_lastmodifieddate: row.properties['hs_lastmodifieddate'] ?? CREATED,
          hs_object_id: row.id,
          ...Object.fromEntries(requested.map((p) => [p, row.properties[p] ?? null])),
        },
        createdAt: CREATED,
        updatedAt: row.properties['hs_lastmodifieddate'] ?? CREATED,
        archived: false,
      })),
      ...(after + limit < matches.length && { paging: { next: { after: String(after + limit), link: '' } } }),
    });
  }

  private limitHeaders(): Record<string, string> {
    if (this.options.perTenSeconds === undefined) return {};
    const now = performance.now();
    const used = this.accepted.filter((t) => t > now - 10_000).length;
    return {
      'x-hubspot-ratelimit-max': String(this.options.perTenSeconds),
      'x-hubspot-ratelimit-remaining': String(Math.max(0, this.options.perTenSeconds - used)),
      'x-hubspot-ratelimit-interval-milliseconds': '10000',
    };
  }
}

/**
 * The checks HubSpot makes on a commission record's values: number properties must parse, and the
 * record owner must be one of the portal's active owners (when the portal has any). Each in the
 * shape of HubSpot's VALIDATION_ERROR message.
 */
function invalidValues(
  properties: Record<string, string>,
  owners: FakeOwner[],
): { isValid: false; message: string; error: string; name: string }[] {
  const invalid: { isValid: false; message: string; error: string; name: string }[] = [];
  for (const name of ['amount', 'attainment']) {
    const value = properties[name];
    if (value !== undefined && value !== '' && !Number.isFinite(Number(value))) {
      invalid.push({ isValid: false, message: `${value} was not a valid number.`, error: 'INVALID_FLOAT', name });
    }
  }
  // A dropdown takes one of its option values (INVALID_OPTION otherwise).
  const status = properties['attain_dispute_status'];
  if (status !== undefined && status !== '' && !['open', 'resolved', 'rejected'].includes(status)) {
    invalid.push({
      isValid: false,
      message: `${status} was not one of the allowed options: [open, resolved, rejected]`,
      error: 'INVALID_OPTION',
      name: 'attain_dispute_status',
    });
  }
  const owner = properties['hubspot_owner_id'];
  if (owner !== undefined && owners.length > 0 && !owners.some((o) => o.id === owner && !o.archived)) {
    invalid.push({
      isValid: false,
      message: `${owner} is not a valid owner id`,
      error: 'INVALID_OWNER_ID',
      name: 'hubspot_owner_id',
    });
  }
  return invalid;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export const DEAL_PROPERTIES = [
  'dealname',
  'amount',
  'closedate',
  'dealstage',
  'pipeline',
  'hubspot_owner_id',
  'deal_currency_code',
  'dealtype',
  'hs_lastmodifieddate',
  'hs_object_id',
  'contract_term',
];

export const PIPELINE = {
  id: 'default',
  label: 'Sales Pipeline',
  displayOrder: 0,
  archived: false,
  stages: [
    {
      id: 'appointmentscheduled',
      label: 'Appointment Scheduled',
      displayOrder: 0,
      archived: false,
      metadata: { isClosed: 'false', probability: '0.2' },
    },
    {
      id: 'closedwon',
      label: 'Closed Won',
      displayOrder: 5,
      archived: false,
      metadata: { isClosed: 'true', probability: '1.0' },
    },
    {
      id: 'closedlost',
      label: 'Closed Lost',
      displayOrder: 6,
      archived: false,
      metadata: { isClosed: 'true', probability: '0.0' },
    },
  ],
};

/**
 * The `attain_estimate` object as `attain hubspot setup` creates it (the shape of the Schemas API's
 * answer: https://developers.hubspot.com/docs/api-reference/latest/crm/objects/schemas/guide).
 */
const ESTIMATE_SCHEMA = {
  id: '124',
  objectTypeId: '2-124',
  name: 'attain_estimate',
  fullyQualifiedName: 'p123_attain_estimate',
  labels: { singular: 'Commission estimate', plural: 'Commission estimates' },
  properties: [
    { name: 'attain_key', type: 'string', fieldType: 'text', hasUniqueValue: true },
    { name: 'plan', type: 'string', fieldType: 'text' },
    { name: 'amount', type: 'number', fieldType: 'number' },
    { name: 'currency', type: 'string', fieldType: 'text' },
    { name: 'close_date', type: 'date', fieldType: 'date' },
    { name: 'trace', type: 'string', fieldType: 'textarea' },
    { name: 'hubspot_owner_id', type: 'enumeration', fieldType: 'select' },
  ],
  primaryDisplayProperty: 'plan',
  secondaryDisplayProperties: ['amount', 'close_date'],
  associations: [{ id: '29', fromObjectTypeId: '2-124', toObjectTypeId: '0-3', name: 'attain_estimate_to_deal' }],
};

/** The object type ids of HubSpot's standard objects, by the names a schema's `associatedObjects` takes. */
const OBJECT_TYPE_IDS: Record<string, string> = { CONTACT: '0-1', COMPANY: '0-2', DEAL: '0-3', TICKET: '0-5' };

const SCHEMA = {
  id: '123',
  objectTypeId: '2-123',
  name: 'attain_commission',
  fullyQualifiedName: 'p123_attain_commission',
  labels: { singular: 'Commission', plural: 'Commissions' },
  properties: [
    { name: 'attain_key', type: 'string', fieldType: 'text', hasUniqueValue: true },
    { name: 'period', type: 'string', fieldType: 'text' },
    { name: 'plan', type: 'string', fieldType: 'text' },
    { name: 'component', type: 'string', fieldType: 'text' },
    { name: 'amount', type: 'number', fieldType: 'number' },
    { name: 'currency', type: 'string', fieldType: 'text' },
    { name: 'attainment', type: 'number', fieldType: 'number' },
    { name: 'trace', type: 'string', fieldType: 'textarea' },
    { name: 'attain_dispute_reason', type: 'string', fieldType: 'textarea' },
    { name: 'attain_dispute_status', type: 'enumeration', fieldType: 'select' },
    { name: 'attain_dispute_resolution', type: 'string', fieldType: 'textarea' },
    { name: 'hubspot_owner_id', type: 'enumeration', fieldType: 'select' },
  ],
  primaryDisplayProperty: 'period',
  secondaryDisplayProperties: ['component', 'amount'],
  // A portal whose object was made by `attain hubspot setup` (`associatedObjects: ['DEAL']`).
  associations: [{ id: '27', fromObjectTypeId: '2-123', toObjectTypeId: '0-3', name: 'attain_commission_to_deal' }],
};
