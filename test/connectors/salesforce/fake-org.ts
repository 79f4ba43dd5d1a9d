/**
 * A local Salesforce org over node:http, speaking the endpoints the connector uses, with response
 * shapes as Salesforce sends them: the OAuth token endpoint (every flow, JWT signatures verified),
 * describe, SOQL `query`/`queryAll` paged with `nextRecordsUrl`, sObject Collections upsert and
 * delete, Bulk API 2.0 query (CSV pages with `Sforce-Locator`) and ingest, and
 * `Sforce-Limit-Info` on every answer. Its SOQL is the handful of shapes the connector writes.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';

export type SfRecord = Record<string, unknown>;

export interface FakeOrgOptions {
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  /** PEM of the certificate's public key, for the JWT flow. */
  publicKey?: string;
  username?: string;
  password?: string;
  /** Records per query page (Salesforce: up to 2,000). */
  pageSize?: number;
  multiCurrency?: boolean;
  datedRates?: boolean;
  splits?: boolean;
  /** Shipped object deployed. */
  commissionObject?: boolean;
  apiLimit?: number;
  /** Objects the integration user has no read permission on: absent from the object list and describe. */
  hidden?: string[];
  /** False: the user can read Attain_Commission__c but not create, edit or delete it (no writer permission set). */
  commissionWritable?: boolean;
  /** Extra Opportunity fields (custom ones) with their describe type. */
  extraOpportunityFields?: Record<string, string>;
  /** Extra Account fields (custom ones) with their describe type. */
  extraAccountFields?: Record<string, string>;
  /** Pieces of the shipped package absent from the org (all present with the object by default). */
  missingPieces?: PackagePiece[];
  /**
   * A share of the data requests answered with Salesforce's own 503 SERVER_UNAVAILABLE and 500
   * UNKNOWN_EXCEPTION bodies, chosen by a seeded generator so a failing run can be replayed.
   */
  faults?: { unavailable: number; unknownException: number; seed: number };
}

export type PackagePiece =
  | 'reader'
  | 'reader-assignments'
  | 'writer'
  | 'tab'
  | 'list-views'
  | 'compact-layout'
  | 'layout'
  | 'opportunity-related-list'
  | 'report-type'
  | 'report'
  | 'dashboard'
  | 'dispute-fields'
  | 'link-fields'
  | 'statements'
  | 'estimates';

/**
 * Salesforce's error bodies for its own outages: a JSON array of `{ message, errorCode }`, the
 * format of every REST error ("Status Codes and Error Responses",
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm; the
 * codes are the ExceptionCode values of "Core Data Types Used in API Calls",
 * https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_concepts_core_data_objects.htm).
 */
export const SALESFORCE_OUTAGES = {
  unavailable: {
    status: 503,
    body: [{ message: 'Server temporarily unavailable, please retry your request', errorCode: 'SERVER_UNAVAILABLE' }],
  },
  unknownException: {
    status: 500,
    body: [
      {
        message:
          'An unexpected error occurred. Please include this ErrorId if you contact support: 1357924680-24601 (-1093746228)',
        errorCode: 'UNKNOWN_EXCEPTION',
      },
    ],
  },
} as const;

export interface CommissionRow extends SfRecord {
  Id: string;
  Attain_Key__c: string;
}

const VERSION_ROOT = /^\/services\/data\/v(\d+\.0)/;

export class FakeOrg {
  readonly users = new Map<string, SfRecord>();
  readonly opportunities = new Map<string, SfRecord>();
  readonly accounts = new Map<string, SfRecord>();
  readonly splits = new Map<string, SfRecord>();
  readonly rates: SfRecord[] = [];
  readonly commissions = new Map<string, CommissionRow>();
  /** Attain_Statement__c records by Attain_Key__c. */
  readonly statements = new Map<string, SfRecord & { Id: string }>();
  /** Attain_Estimate__c records by Attain_Key__c. */
  readonly estimates = new Map<string, SfRecord & { Id: string }>();
  /** Keys sent in each estimate upsert call, in order. */
  readonly estimatesUpserted: string[][] = [];
  /** Every ContentVersion (File version) created, in order; VersionData decoded. */
  readonly contentVersions: (SfRecord & { Id: string; ContentDocumentId: string; VersionData: Buffer })[] = [];
  /** Every request: method and path (with query). */
  readonly requests: { method: string; path: string }[] = [];
  /** Keys sent in each upsert call, in order. */
  readonly upserted: string[][] = [];
  readonly deleted: string[] = [];
  apiUsed = 0;
  /** Answers every data request with REQUEST_LIMIT_EXCEEDED once set. */
  limitExceeded = false;
  /** The versions the client asked for. */
  readonly versions = new Set<string>();
  /** Requests answered with an outage (`faults`): method, path and status. */
  readonly faulted: { method: string; path: string; status: number }[] = [];
  private random: (() => number) | undefined;
  /** Estimate records ever created: Salesforce never reuses an Id. */
  private estimateCount = 0;
  private validTokens = new Set<string>();
  private tokenCount = 0;
  private clock = Date.parse('2026-01-01T00:00:00.000Z');
  private cursors = new Map<string, { records: SfRecord[]; at: number; size: number }>();
  private bulkJobs = new Map<string, { records: SfRecord[]; columns: string[] }>();
  private ingestJobs = new Map<string, { csv: string; state: string; object: string }>();
  private server: Server | undefined;
  private publicKey: KeyObject | undefined;
  url = '';

  constructor(readonly options: FakeOrgOptions = {}) {
    if (options.publicKey) this.publicKey = createPublicKey(options.publicKey);
    if (options.faults) this.random = seededDraws(options.faults.seed);
  }

  get clientId(): string {
    return this.options.clientId ?? 'attain-client';
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void this.handle(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify([{ errorCode: 'UNKNOWN_EXCEPTION', message: String(error) }]));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** The next SystemModstamp, as Salesforce writes it (`+0000`). */
  stamp(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString().replace('Z', '+0000');
  }

  /**
   * A rep edits their own commission record in Salesforce (the record page's Dispute section): the
   * fields change and SystemModstamp moves on, as for any edit.
   */
  editCommission(key: string, fields: SfRecord): void {
    const row = this.commissions.get(key);
    if (!row) throw new Error(`no commission record ${key}`);
    this.commissions.set(key, { ...row, ...fields, SystemModstamp: this.stamp() });
  }

  /** Invalidates every issued session: the next data call gets 401 INVALID_SESSION_ID. */
  expireSessions(): void {
    this.validTokens.clear();
  }

  addUser(user: {
    Id: string;
    Name: string;
    Email?: string;
    ManagerId?: string | null;
    IsActive?: boolean;
    EmployeeNumber?: string | null;
  }): void {
    this.users.set(user.Id, {
      Email: `${user.Id}@acme.test`,
      ManagerId: null,
      IsActive: true,
      // User.EmployeeNumber: a standard text field, null until someone fills it in
      // (developer.salesforce.com, Object Reference, User).
      EmployeeNumber: null,
      ...user,
      SystemModstamp: this.stamp(),
    });
  }

  /** Creates or changes an opportunity (its SystemModstamp moves on). */
  putOpportunity(opp: SfRecord & { Id: string }): void {
    const before = this.opportunities.get(opp.Id) ?? {
      IsDeleted: false,
      Type: 'New Business',
      StageName: 'Closed Won',
      IsWon: true,
      IsClosed: true,
    };
    this.opportunities.set(opp.Id, { ...before, ...opp, SystemModstamp: this.stamp() });
  }

  /**
   * Creates or changes an account (its SystemModstamp moves on). Standard Account fields as the
   * Object Reference lists them ("Account": Name, OwnerId, BillingCountry, BillingState,
   * BillingPostalCode, Industry, NumberOfEmployees (int), AnnualRevenue (currency), IsDeleted;
   * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_account.htm).
   */
  putAccount(account: SfRecord & { Id: string }): void {
    const before = this.accounts.get(account.Id) ?? {
      IsDeleted: false,
      BillingCountry: null,
      BillingState: null,
      BillingPostalCode: null,
      Industry: null,
      NumberOfEmployees: null,
      AnnualRevenue: null,
    };
    this.accounts.set(account.Id, { ...before, ...account, SystemModstamp: this.stamp() });
  }

  deleteOpportunity(id: string): void {
    this.putOpportunity({ Id: id, IsDeleted: true });
  }

  putSplit(split: {
    Id: string;
    OpportunityId: string;
    SplitOwnerId: string;
    SplitPercentage: number;
    revenue: boolean;
  }): void {
    const { revenue, ...rest } = split;
    this.splits.set(split.Id, {
      ...rest,
      IsDeleted: false,
      SplitType: { IsTotalValidated: revenue },
      SystemModstamp: this.stamp(),
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const body = await readBody(req);
    this.requests.push({ method: req.method ?? 'GET', path: `${url.pathname}${url.search}` });
    if (url.pathname === '/services/oauth2/token') return this.token(new URLSearchParams(body), res);

    const version = VERSION_ROOT.exec(url.pathname);
    if (!version) return send(res, 404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);
    this.versions.add(version[1]!);
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token || !this.validTokens.has(token))
      return send(res, 401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    if (this.limitExceeded) {
      return send(
        res,
        403,
        [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }],
        this.limitHeader(),
      );
    }
    this.apiUsed++;
    const path = url.pathname.slice(version[0].length);
    const route = `${req.method} ${path}`;
    const headers = this.limitHeader();
    const outage = this.outage();
    if (outage) {
      this.faulted.push({ method: req.method ?? 'GET', path, status: outage.status });
      return send(res, outage.status, outage.body, headers);
    }

    if (route === 'GET /sobjects')
      return send(
        res,
        200,
        {
          encoding: 'UTF-8',
          maxBatchSize: 200,
          sobjects: this.objectNames().map((name) => ({ name, queryable: true })),
        },
        headers,
      );
    const describe = /^GET \/sobjects\/(\w+)\/describe$/.exec(route);
    if (describe) {
      const fields = this.describeFields(describe[1]!);
      if (!fields)
        return send(res, 404, [{ errorCode: 'NOT_FOUND', message: `The requested resource does not exist` }], headers);
      const writable = describe[1] !== 'Attain_Commission__c' || this.options.commissionWritable !== false;
      return send(
        res,
        200,
        { name: describe[1], createable: writable, updateable: writable, deletable: writable, fields },
        headers,
      );
    }
    const piece = this.packageRead(route);
    if (piece) return send(res, piece.status, piece.body, headers);
    if (route === 'GET /query' || route === 'GET /queryAll') {
      const batch = Number(/batchSize=(\d+)/.exec(String(req.headers['sforce-query-options'] ?? ''))?.[1] ?? 2000);
      const result = this.soql(url.searchParams.get('q') ?? '', path === '/queryAll');
      if (typeof result === 'string')
        return send(res, 400, [{ errorCode: 'MALFORMED_QUERY', message: result }], headers);
      return send(
        res,
        200,
        this.firstPage(result, Math.min(batch, this.options.pageSize ?? 2000), version[1]!),
        headers,
      );
    }
    const more = /^GET \/query(?:All)?\/(01g[\w-]+)$/.exec(route);
    if (more) return send(res, 200, this.nextPage(more[1]!, version[1]!), headers);
    if (route === 'PATCH /composite/sobjects/Attain_Commission__c/Attain_Key__c') {
      const records = (JSON.parse(body) as { records: SfRecord[] }).records;
      const refused = this.unknownField('Attain_Commission__c', records, ['CurrencyIsoCode']);
      if (refused) return send(res, 400, refused, headers);
      return send(res, 200, this.upsert({ records }), headers);
    }
    if (route === 'PATCH /composite/sobjects/Attain_Statement__c/Attain_Key__c') {
      const records = (JSON.parse(body) as { records: SfRecord[] }).records;
      return send(res, 200, this.upsertStatements(records), headers);
    }
    if (route === 'PATCH /composite/sobjects/Attain_Estimate__c/Attain_Key__c') {
      const records = (JSON.parse(body) as { records: SfRecord[] }).records;
      const refused = this.unknownField('Attain_Estimate__c', records);
      if (refused) return send(res, 400, refused, headers);
      return send(res, 200, this.upsertEstimates(records), headers);
    }
    if (route === 'POST /sobjects/ContentVersion') {
      const answer = this.createContentVersion(JSON.parse(body) as SfRecord);
      return send(res, answer.status, answer.body, headers);
    }
    const contentVersion = /^GET \/sobjects\/ContentVersion\/(\w+)$/.exec(route);
    if (contentVersion) {
      const found = this.contentVersions.find((v) => v.Id === contentVersion[1]);
      if (!found)
        return send(res, 404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }], headers);
      const wanted = (url.searchParams.get('fields') ?? 'Id,ContentDocumentId,Title').split(',');
      return send(
        res,
        200,
        {
          attributes: {
            type: 'ContentVersion',
            url: `/services/data/v${version[1]}/sobjects/ContentVersion/${found.Id}`,
          },
          ...Object.fromEntries(wanted.map((f) => [f, found[f] ?? null])),
        },
        headers,
      );
    }
    if (route === 'DELETE /composite/sobjects')
      return send(res, 200, this.remove((url.searchParams.get('ids') ?? '').split(',')), headers);
    if (route === 'POST /jobs/query')
      return send(res, 200, this.createQueryJob(JSON.parse(body) as { operation: string; query: string }), headers);
    const job = /^GET \/jobs\/query\/(\w+)$/.exec(route);
    if (job) return send(res, 200, { id: job[1], state: 'JobComplete' }, headers);
    const results = /^GET \/jobs\/query\/(\w+)\/results$/.exec(route);
    if (results) return this.queryResults(results[1]!, url, res, headers);
    if (route === 'POST /jobs/ingest') {
      // "Create a Job" (Bulk API 2.0 Developer Guide): the answer echoes the job's object and operation.
      const { object } = JSON.parse(body) as { object: string };
      const id = `750${String(this.ingestJobs.size + 1).padStart(15, '0')}`;
      this.ingestJobs.set(id, { csv: '', state: 'Open', object });
      return send(res, 200, { id, state: 'Open', object, operation: 'upsert' }, headers);
    }
    const batches = /^PUT \/jobs\/ingest\/(\w+)\/batches$/.exec(route);
    if (batches) {
      this.ingestJobs.get(batches[1]!)!.csv += body;
      res.writeHead(201, headers).end();
      return;
    }
    const ingest = /^(PATCH|GET) \/jobs\/ingest\/(\w+)$/.exec(route);
    if (ingest)
      return send(
        res,
        200,
        { id: ingest[2], state: ingest[1] === 'PATCH' ? 'UploadComplete' : 'JobComplete' },
        headers,
      );
    const ingestResults = /^GET \/jobs\/ingest\/(\w+)\/(successful|failed)Results$/.exec(route);
    if (ingestResults) return this.ingestResults(ingestResults[1]!, ingestResults[2] === 'successful', res, headers);
    return send(res, 404, [{ errorCode: 'NOT_FOUND', message: `no route ${route}` }], headers);
  }

  private outage(): (typeof SALESFORCE_OUTAGES)[keyof typeof SALESFORCE_OUTAGES] | undefined {
    if (!this.random || !this.options.faults) return undefined;
    const draw = this.random();
    const { unavailable, unknownException } = this.options.faults;
    if (draw < unavailable) return SALESFORCE_OUTAGES.unavailable;
    if (draw < unavailable + unknownException) return SALESFORCE_OUTAGES.unknownException;
    return undefined;
  }

  private limitHeader(): Record<string, string> {
    return { 'Sforce-Limit-Info': `api-usage=${this.apiUsed}/${this.options.apiLimit ?? 100_000}` };
  }

  private token(params: URLSearchParams, res: ServerResponse): void {
    const refuse = (error: string, description: string) => send(res, 400, { error, error_description: description });
    const grant = params.get('grant_type');
    let clientId = params.get('client_id');
    if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      const [header, claims, signature] = (params.get('assertion') ?? '').split('.');
      const ok =
        this.publicKey &&
        header &&
        claims &&
        signature &&
        verify('sha256', Buffer.from(`${header}.${claims}`), this.publicKey, Buffer.from(signature, 'base64url'));
      if (!ok) return refuse('invalid_grant', 'invalid assertion');
      const body = JSON.parse(Buffer.from(claims, 'base64url').toString()) as {
        iss: string;
        sub: string;
        aud: string;
        exp: number;
      };
      if (body.sub !== (this.options.username ?? 'integration@acme.test'))
        return refuse('invalid_grant', "user hasn't approved this consumer");
      clientId = body.iss;
    } else if (grant === 'refresh_token') {
      if (params.get('refresh_token') !== (this.options.refreshToken ?? 'refresh-me'))
        return refuse('invalid_grant', 'expired access/refresh token');
    } else if (grant === 'client_credentials' || grant === 'password' || grant === 'authorization_code') {
      if (params.get('client_secret') !== (this.options.clientSecret ?? 'attain-secret'))
        return refuse('invalid_client', 'invalid client credentials');
      if (grant === 'password' && params.get('password') !== (this.options.password ?? 'sandbox-pass'))
        return refuse('invalid_grant', 'authentication failure');
    } else return refuse('unsupported_grant_type', 'grant type not supported');
    if (clientId !== this.clientId) return refuse('invalid_client_id', 'client identifier invalid');
    const accessToken = `00D000000000001!token-${++this.tokenCount}`;
    this.validTokens.add(accessToken);
    send(res, 200, {
      access_token: accessToken,
      ...(grant === 'authorization_code' ? { refresh_token: 'refresh-me' } : {}),
      instance_url: this.url,
      id: `${this.url}/id/00D000000000001AAA/005000000000001AAA`,
      token_type: 'Bearer',
      issued_at: String(Date.now()),
      signature: 'c2lnbmF0dXJl',
    });
  }

  private objectNames(): string[] {
    return [
      'User',
      'Account',
      'Opportunity',
      'Organization',
      ...(this.options.splits !== false ? ['OpportunitySplit'] : []),
      ...(this.options.multiCurrency ? ['CurrencyType'] : []),
      ...(this.options.multiCurrency && this.options.datedRates !== false ? ['DatedConversionRate'] : []),
      ...(this.options.commissionObject !== false ? ['Attain_Commission__c'] : []),
      ...(this.options.commissionObject !== false && this.has('statements') ? ['Attain_Statement__c'] : []),
      ...(this.options.commissionObject !== false && this.has('estimates') ? ['Attain_Estimate__c'] : []),
      'ContentVersion',
    ].filter((name) => !this.options.hidden?.includes(name));
  }

  private has(piece: PackagePiece): boolean {
    return this.options.commissionObject !== false && !this.options.missingPieces?.includes(piece);
  }

  /**
   * The reads `attain salesforce setup` makes of the package, shaped as the REST API Developer Guide
   * documents them: Tabs (`/tabs`), List Views (`/sobjects/X/listviews`), Describe Compact Layouts,
   * Describe Layouts (`/sobjects/X/describe/layouts`, with `relatedLists`), and the Analytics REST
   * API's Report Type List (`/analytics/reportTypes`, report types grouped by category).
   */
  private packageRead(route: string): { status: number; body: unknown } | undefined {
    const object = 'Attain_Commission__c';
    const ok = (body: unknown) => ({ status: 200, body });
    if (route === 'GET /tabs') {
      return ok([
        {
          colors: [{ color: 'fcb95b', context: 'primary', theme: 'theme4' }],
          custom: false,
          iconUrl: `${this.url}/img/icon/opportunities32.png`,
          icons: [],
          label: 'Opportunities',
          miniIconUrl: `${this.url}/img/icon/opportunities16.png`,
          name: 'standard-Opportunity',
          sobjectName: 'Opportunity',
          url: `${this.url}/006/o`,
        },
        ...(this.has('tab')
          ? [
              {
                colors: [{ color: 'a094ed', context: 'primary', theme: 'theme4' }],
                custom: true,
                iconUrl: `${this.url}/img/icon/creditCard32.png`,
                icons: [],
                label: 'Attain Commissions',
                miniIconUrl: `${this.url}/img/icon/creditCard16.png`,
                name: object,
                sobjectName: object,
                url: `${this.url}/a00/o`,
              },
            ]
          : []),
      ]);
    }
    if (route === `GET /sobjects/${object}/listviews`) {
      const views = this.has('list-views')
        ? [
            ['00B000000000001AAA', 'My_Commissions', 'My commissions'],
            ['00B000000000002AAA', 'This_Period', 'This period'],
            ['00B000000000003AAA', 'Disputed', 'Disputed'],
          ]
        : [];
      return ok({
        done: true,
        listviews: views.map(([id, developerName, label]) => ({
          describeUrl: `/services/data/v62.0/sobjects/${object}/listviews/${id}/describe`,
          developerName,
          id,
          label,
          resultsUrl: `/services/data/v62.0/sobjects/${object}/listviews/${id}/results`,
          soqlCompatible: true,
          url: `/services/data/v62.0/sobjects/${object}/listviews/${id}`,
        })),
        nextRecordsUrl: null,
        size: views.length,
        sobjectType: object,
      });
    }
    if (route === `GET /sobjects/${object}/describe/compactLayouts`) {
      const ours = {
        actions: [],
        fieldItems: [],
        id: '0AH000000000001AAA',
        imageItems: [],
        label: 'Attain Commission Compact',
        name: 'Attain_Commission_Compact',
        objectType: object,
      };
      const system = {
        actions: [],
        fieldItems: [],
        id: null,
        imageItems: [],
        label: 'System Default',
        name: 'SYSTEM',
        objectType: object,
      };
      return ok({
        compactLayouts: this.has('compact-layout') ? [system, ours] : [system],
        defaultCompactLayoutId: this.has('compact-layout') ? ours.id : null,
        recordTypeCompactLayoutMappings: [],
        urls: {},
      });
    }
    const layouts = /^GET \/sobjects\/(Attain_Commission__c|Opportunity)\/describe\/layouts$/.exec(route);
    if (layouts) {
      const item = (value: string) => ({
        editableForNew: false,
        editableForUpdate: false,
        label: value,
        layoutComponents: [{ details: { name: value }, displayLines: 1, tabOrder: 1, type: 'Field', value }],
        placeholder: false,
        required: false,
      });
      const section = (heading: string, fields: string[]) => ({
        collapsed: false,
        columns: 1,
        heading,
        layoutRows: fields.map((f) => ({ layoutItems: [item(f)], numItems: 1 })),
        layoutSectionId: '01B000000000001AAA',
        parentLayoutId: '00h000000000001AAA',
        rows: fields.length,
        tabOrder: 'TopToBottom',
        useCollapsibleSection: false,
        useHeading: true,
      });
      const forCommission = layouts[1] === object;
      const detail = forCommission
        ? this.has('layout')
          ? [
              section('Commission', ['Name', 'Amount__c', 'Period__c']),
              section('Dispute', ['Dispute_Status__c', 'Dispute_Reason__c']),
              section('How it was computed', ['Trace__c']),
            ]
          : [section('Information', ['Name', 'OwnerId'])]
        : [section('Opportunity Information', ['Name', 'Amount', 'CloseDate'])];
      const related =
        !forCommission && this.has('opportunity-related-list')
          ? [
              {
                buttons: [],
                columns: [],
                custom: true,
                field: 'Opportunity__c',
                label: 'Attain Commissions',
                limitRows: 5,
                name: 'Attain_Commissions__r',
                sobject: object,
                sort: [],
              },
              ...(this.has('estimates')
                ? [
                    {
                      buttons: [],
                      columns: [],
                      custom: true,
                      field: 'Opportunity__c',
                      label: 'Attain Estimates',
                      limitRows: 5,
                      name: 'Attain_Estimates__r',
                      sobject: 'Attain_Estimate__c',
                      sort: [],
                    },
                  ]
                : []),
            ]
          : [];
      return ok({
        layouts: [
          { detailLayoutSections: detail, editLayoutSections: [], id: '00h000000000001AAA', relatedLists: related },
        ],
        recordTypeMappings: [],
        recordTypeSelectorRequired: [false],
      });
    }
    if (route === 'GET /analytics/reportTypes') {
      return ok([
        {
          label: 'Opportunities',
          reportTypes: [
            {
              describeUrl: '/services/data/v62.0/analytics/reportTypes/Opportunity',
              isHidden: false,
              label: 'Opportunities',
              supportsJoinedFormat: true,
              type: 'Opportunity',
            },
          ],
        },
        ...(this.has('report-type')
          ? [
              {
                label: 'Other Reports',
                reportTypes: [
                  {
                    describeUrl:
                      '/services/data/v62.0/analytics/reportTypes/Attain_Commissions_with_Reps_and_Opportunities__c',
                    isHidden: false,
                    label: 'Attain Commissions with Reps and Opportunities',
                    supportsJoinedFormat: true,
                    type: 'Attain_Commissions_with_Reps_and_Opportunities__c',
                  },
                ],
              },
            ]
          : []),
      ]);
    }
    return undefined;
  }

  private describeFields(object: string): SfRecord[] | undefined {
    if (!this.objectNames().includes(object)) return undefined;
    // Without edit permission on the object, Salesforce describes each field as neither createable nor updateable.
    const editable = object !== 'Attain_Commission__c' || this.options.commissionWritable !== false;
    const field = (name: string, type = 'string', extra: SfRecord = {}) => ({
      name,
      type,
      createable: editable,
      updateable: editable,
      nillable: true,
      externalId: false,
      unique: false,
      relationshipName: null,
      referenceTo: [],
      ...extra,
    });
    switch (object) {
      case 'Opportunity':
        return [
          ...['Id', 'Name', 'StageName', 'Type'].map((n) => field(n)),
          field('OwnerId', 'reference', { relationshipName: 'Owner', referenceTo: ['User'] }),
          field('AccountId', 'reference', { relationshipName: 'Account', referenceTo: ['Account'] }),
          field('Amount', 'currency'),
          field('CloseDate', 'date'),
          ...['IsWon', 'IsClosed', 'IsDeleted'].map((n) => field(n, 'boolean')),
          field('SystemModstamp', 'datetime'),
          ...(this.options.multiCurrency ? [field('CurrencyIsoCode', 'picklist')] : []),
          ...Object.entries(this.options.extraOpportunityFields ?? {}).map(([n, t]) => field(n, t)),
        ];
      case 'Account':
        return [
          field('Id', 'id'),
          field('Name'),
          field('OwnerId', 'reference', { relationshipName: 'Owner', referenceTo: ['User'] }),
          ...['BillingCountry', 'BillingState', 'BillingPostalCode'].map((n) => field(n)),
          field('Industry', 'picklist'),
          field('NumberOfEmployees', 'int'),
          field('AnnualRevenue', 'currency'),
          field('IsDeleted', 'boolean'),
          field('SystemModstamp', 'datetime'),
          ...Object.entries(this.options.extraAccountFields ?? {}).map(([n, t]) => field(n, t)),
        ];
      case 'Attain_Statement__c':
        return [
          field('Id', 'id'),
          field('Name'),
          field('Attain_Key__c', 'string', { externalId: true, unique: true }),
          field('Rep__c', 'reference', { relationshipName: 'Rep__r', referenceTo: ['User'] }),
          ...['Period__c', 'Status__c', 'Totals__c'].map((n) => field(n)),
          field('OwnerId', 'reference'),
        ];
      case 'Attain_Estimate__c':
        return [
          field('Id', 'id'),
          field('Name', 'string', { createable: false, updateable: false }),
          field('Attain_Key__c', 'string', { externalId: true, unique: true }),
          field('Opportunity__c', 'reference', { relationshipName: 'Opportunity__r', referenceTo: ['Opportunity'] }),
          field('Rep__c', 'reference', { relationshipName: 'Rep__r', referenceTo: ['User'] }),
          field('Plan__c'),
          field('Amount__c', 'currency'),
          field('Close_Date__c', 'date'),
          field('Trace__c', 'textarea'),
          field('OwnerId', 'reference'),
          ...(this.options.multiCurrency ? [field('CurrencyIsoCode', 'picklist')] : []),
        ];
      case 'Attain_Commission__c':
        return [
          field('Id', 'id'),
          field('Attain_Key__c', 'string', { externalId: true, unique: true }),
          field('Rep__c', 'reference', { relationshipName: 'Rep__r', referenceTo: ['User'] }),
          ...['Period__c', 'Plan__c', 'Component__c'].map((n) => field(n)),
          field('Amount__c', 'currency'),
          field('Attainment__c', 'percent'),
          field('Trace__c', 'textarea'),
          ...(this.has('link-fields')
            ? [
                field('Period_Start__c', 'date'),
                field('Period_End__c', 'date'),
                field('Opportunity__c', 'reference', {
                  relationshipName: 'Opportunity__r',
                  referenceTo: ['Opportunity'],
                }),
              ]
            : []),
          ...(this.has('dispute-fields')
            ? [
                // The integration user reads the reason a rep wrote; it writes status and resolution.
                field('Dispute_Reason__c', 'textarea', { createable: false, updateable: false }),
                field('Dispute_Status__c', 'picklist'),
                field('Dispute_Resolution__c', 'textarea'),
              ]
            : []),
          field('OwnerId', 'reference'),
        ];
      default:
        return [field('Id', 'id')];
    }
  }

  /** The rows of a query, selected and ordered, or why it is malformed. */
  private soql(q: string, all: boolean): { fields: string[]; rows: SfRecord[] } | string {
    const match = /^SELECT (.+?) FROM (\w+)(?: WHERE (.+?))?(?: ORDER BY (.+))?$/.exec(q.trim());
    if (!match) return `unexpected SOQL: ${q}`;
    const fields = match[1]!.split(',').map((f) => f.trim());
    const object = match[2]!;
    let rows = this.table(object);
    if (!rows) return `sObject type '${object}' is not supported.`;
    if (!all) rows = rows.filter((r) => r['IsDeleted'] !== true);
    const where = match[3];
    // Conditions joined by AND ("SOQL and SOSL Reference", Conditional Expression (WHERE)):
    // SystemModstamp >= a datetime, a field IN a list, a field = a quoted string.
    for (const condition of where ? where.split(' AND ') : []) {
      const since = /^SystemModstamp >= (\S+)$/.exec(condition);
      const within = /^(\w+) IN \((.*)\)$/.exec(condition);
      const equals = /^(\w+) = '((?:[^'\\]|\\.)*)'$/.exec(condition);
      if (since) {
        const from = Date.parse(since[1]!);
        rows = rows.filter((r) => Date.parse(String(r['SystemModstamp']).replace('+0000', 'Z')) >= from);
      } else if (within) {
        const values = new Set(within[2]!.split(',').map((v) => v.trim().replace(/^'|'$/g, '')));
        rows = rows.filter((r) => values.has(String(r[within[1]!])));
      } else if (equals) {
        rows = rows.filter((r) => r[equals[1]!] === equals[2]);
      } else return `unexpected WHERE: ${where}`;
    }
    for (const f of fields) {
      const known =
        rows.length === 0 ||
        rows.some((r) => readPath(r, f) !== undefined) ||
        this.describeFields(object)?.some((d) => d.name === f);
      if (!known) return `No such column '${f}' on entity '${object}'.`;
    }
    if (match[4])
      rows = [...rows].sort(
        (a, b) =>
          String(a['SystemModstamp']).localeCompare(String(b['SystemModstamp'])) ||
          String(a['Id']).localeCompare(String(b['Id'])),
      );
    return { fields, rows: rows.map((r) => project(r, fields, object)) };
  }

  private table(object: string): SfRecord[] | undefined {
    switch (object) {
      case 'User':
        return [...this.users.values()];
      case 'Opportunity':
        return [...this.opportunities.values()];
      case 'Account':
        return [...this.accounts.values()];
      case 'OpportunitySplit':
        return [...this.splits.values()];
      case 'DatedConversionRate':
      case 'CurrencyType':
        return this.rates;
      case 'Organization':
        return [{ Id: '00D000000000001AAA', DefaultCurrencyIsoCode: 'USD' }];
      case 'Attain_Commission__c':
        return [...this.commissions.values()];
      case 'Attain_Estimate__c':
        return [...this.estimates.values()];
      case 'PermissionSet':
        return [
          ...(this.has('reader') ? [{ Id: '0PS000000000001AAA', Name: 'Attain_Commission_Reader' }] : []),
          ...(this.has('writer') ? [{ Id: '0PS000000000002AAA', Name: 'Attain_Commission_Writer' }] : []),
        ];
      case 'PermissionSetAssignment':
        return [
          // Two reps hold the reader permission set.
          ...(this.has('reader') && this.has('reader-assignments')
            ? ['005000000000002AAA', '005000000000003AAA'].map((id, i) => ({
                Id: `0Pa00000000000${i}AAA`,
                AssigneeId: id,
                PermissionSetId: '0PS000000000001AAA',
              }))
            : []),
          ...(this.has('writer')
            ? [{ Id: '0Pa000000000099AAA', AssigneeId: '005000000000001AAA', PermissionSetId: '0PS000000000002AAA' }]
            : []),
        ];
      case 'Report':
        return this.has('report') ? [{ Id: '00O000000000001AAA', DeveloperName: 'Team_Commissions' }] : [];
      case 'Dashboard':
        return this.has('dashboard') ? [{ Id: '01Z000000000001AAA', DeveloperName: 'Team_Commissions' }] : [];
    }
    return undefined;
  }

  private firstPage(result: { rows: SfRecord[] }, size: number, version: string): SfRecord {
    const locator = `01g${String(this.cursors.size + 1).padStart(15, '0')}`;
    this.cursors.set(locator, { records: result.rows, at: 0, size });
    return this.nextPage(`${locator}-0`, version);
  }

  private nextPage(id: string, version: string): SfRecord {
    const [locator, offset] = id.split('-') as [string, string];
    const cursor = this.cursors.get(locator)!;
    const at = Number(offset);
    const records = cursor.records.slice(at, at + cursor.size);
    const done = at + cursor.size >= cursor.records.length;
    return {
      totalSize: cursor.records.length,
      done,
      ...(done ? {} : { nextRecordsUrl: `/services/data/v${version}/query/${locator}-${at + cursor.size}` }),
      records,
    };
  }

  private upsert(body: { records: SfRecord[] }): SfRecord[] {
    this.upserted.push(body.records.map((r) => String(r['Attain_Key__c'])));
    return body.records.map((record) => {
      const owner = this.users.get(String(record['OwnerId']));
      if (!owner || owner['IsActive'] !== true) {
        return {
          success: false,
          errors: [
            {
              statusCode: 'INACTIVE_OWNER_OR_USER',
              message: 'operation performed with inactive user',
              fields: ['OwnerId'],
            },
          ],
        };
      }
      const opportunity = record['Opportunity__c'];
      if (typeof opportunity === 'string' && opportunity !== '' && opportunity !== '#N/A') {
        const found = this.opportunities.get(opportunity);
        // A lookup to a deleted record: Salesforce refuses the record, naming no field.
        if (!found || found['IsDeleted'] === true)
          return {
            success: false,
            errors: [{ statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] }],
          };
      }
      // Dispute_Reason__c is the rep's: read-only for the integration user (describe says so), and
      // Salesforce refuses a write of a field the user cannot edit ("Status Codes and Error
      // Responses", INVALID_FIELD_FOR_INSERT_UPDATE). Dispute_Status__c is a restricted picklist: a
      // value outside it is INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST ("Core Data Types Used in API
      // Calls", StatusCode, https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_concepts_core_data_objects.htm).
      if ('Dispute_Reason__c' in record)
        return {
          success: false,
          errors: [
            {
              statusCode: 'INVALID_FIELD_FOR_INSERT_UPDATE',
              message:
                'Unable to create/update fields: Dispute_Reason__c. Please check the security settings of this field and verify that it is read/write for your profile or permission set.',
              fields: ['Dispute_Reason__c'],
            },
          ],
        };
      const status = record['Dispute_Status__c'];
      if (status !== undefined && status !== null && !['Open', 'Resolved', 'Rejected'].includes(String(status)))
        return {
          success: false,
          errors: [
            {
              statusCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
              message: `Dispute Status: bad value for restricted picklist field: ${String(status)}`,
              fields: ['Dispute_Status__c'],
            },
          ],
        };
      const key = String(record['Attain_Key__c']);
      const existing = this.commissions.get(key);
      const { attributes, ...fields } = record;
      void attributes;
      const id = existing?.Id ?? `a00${String(this.commissions.size + 1).padStart(15, '0')}`;
      // An upsert sets the fields it is given and leaves the others (a rep's dispute) as they are;
      // every write moves SystemModstamp.
      this.commissions.set(key, {
        ...existing,
        ...fields,
        Id: id,
        Attain_Key__c: key,
        SystemModstamp: this.stamp(),
      });
      return { id, success: true, errors: [], created: !existing };
    });
  }

  /**
   * sObject Collections upsert of estimate records ("Upsert Up to 200 Records", REST API Developer
   * Guide: one result per record, in order, `{ id, success, errors, created }`): the owner must be
   * an active user and the opportunity lookup a live record, as for a commission record.
   */
  /** An unknown field fails the whole request (400, INVALID_FIELD), as Salesforce does: its error body, or undefined. */
  private unknownField(object: string, records: SfRecord[], also: string[] = []): object[] | undefined {
    const known = new Set(['attributes', ...also, ...this.describeFields(object)!.map((f) => String(f['name']))]);
    const unknown = records.flatMap((r) => Object.keys(r)).find((name) => !known.has(name));
    return unknown === undefined
      ? undefined
      : [{ errorCode: 'INVALID_FIELD', message: `No such column '${unknown}' on sobject of type ${object}` }];
  }

  private upsertEstimates(records: SfRecord[]): SfRecord[] {
    this.estimatesUpserted.push(records.map((r) => String(r['Attain_Key__c'])));
    return records.map((record) => {
      const owner = this.users.get(String(record['OwnerId']));
      if (!owner || owner['IsActive'] !== true)
        return {
          success: false,
          errors: [
            {
              statusCode: 'INACTIVE_OWNER_OR_USER',
              message: 'operation performed with inactive user',
              fields: ['OwnerId'],
            },
          ],
        };
      const opportunity = record['Opportunity__c'];
      if (typeof opportunity === 'string') {
        const found = this.opportunities.get(opportunity);
        if (!found || found['IsDeleted'] === true)
          return {
            success: false,
            errors: [{ statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] }],
          };
      }
      const key = String(record['Attain_Key__c']);
      const existing = this.estimates.get(key);
      const { attributes, ...fields } = record;
      void attributes;
      const id = existing?.Id ?? `a02${String(++this.estimateCount).padStart(15, '0')}`;
      this.estimates.set(key, { ...existing, ...fields, Id: id, SystemModstamp: this.stamp() });
      return { id, success: true, errors: [], created: !existing };
    });
  }

  /** sObject Collections upsert of statement records: owner checked like a commission record's. */
  private upsertStatements(records: SfRecord[]): SfRecord[] {
    return records.map((record) => {
      const owner = this.users.get(String(record['OwnerId']));
      if (!owner || owner['IsActive'] !== true)
        return {
          success: false,
          errors: [
            {
              statusCode: 'INACTIVE_OWNER_OR_USER',
              message: 'operation performed with inactive user',
              fields: ['OwnerId'],
            },
          ],
        };
      const key = String(record['Attain_Key__c']);
      const existing = this.statements.get(key);
      const { attributes, ...fields } = record;
      void attributes;
      const id = existing?.Id ?? `a01${String(this.statements.size + 1).padStart(15, '0')}`;
      this.statements.set(key, { ...existing, ...fields, Id: id, SystemModstamp: this.stamp() });
      return { id, success: true, errors: [], created: !existing };
    });
  }

  /**
   * `POST /sobjects/ContentVersion` with a JSON body (REST API Developer Guide, "Insert or Update Blob
   * Data": `VersionData` base64; Object Reference, ContentVersion: `PathOnClient` is required, and
   * either `FirstPublishLocationId` (a new document, linked to that record) or `ContentDocumentId` (a
   * new version of it)). Answers 201 `{ id, success, errors }`, or 400 with the error array.
   */
  private createContentVersion(body: SfRecord): { status: number; body: unknown } {
    const bad = (message: string, fields: string[]) => ({
      status: 400,
      body: [{ message, errorCode: 'REQUIRED_FIELD_MISSING', fields }],
    });
    if (typeof body['PathOnClient'] !== 'string' || body['PathOnClient'] === '')
      return bad('Required fields are missing: [PathOnClient]', ['PathOnClient']);
    if (typeof body['VersionData'] !== 'string')
      return bad('Required fields are missing: [VersionData]', ['VersionData']);
    const document = body['ContentDocumentId'];
    const location = body['FirstPublishLocationId'];
    if (document !== undefined && location !== undefined)
      return {
        status: 400,
        body: [
          {
            message: 'FirstPublishLocationId cannot be set on a new version',
            errorCode: 'FIELD_INTEGRITY_EXCEPTION',
            fields: [],
          },
        ],
      };
    let documentId: string;
    if (typeof document === 'string') {
      if (!this.contentVersions.some((v) => v.ContentDocumentId === document))
        return {
          status: 400,
          body: [
            {
              message: 'invalid cross reference id',
              errorCode: 'INVALID_CROSS_REFERENCE_KEY',
              fields: ['ContentDocumentId'],
            },
          ],
        };
      documentId = document;
    } else {
      if (![...this.statements.values()].some((s) => s.Id === location))
        return {
          status: 400,
          body: [
            {
              message: 'invalid cross reference id',
              errorCode: 'INVALID_CROSS_REFERENCE_KEY',
              fields: ['FirstPublishLocationId'],
            },
          ],
        };
      documentId = `069${String(new Set(this.contentVersions.map((v) => v.ContentDocumentId)).size + 1).padStart(15, '0')}`;
    }
    const id = `068${String(this.contentVersions.length + 1).padStart(15, '0')}`;
    this.contentVersions.push({
      ...body,
      Id: id,
      ContentDocumentId: documentId,
      FirstPublishLocationId:
        location ?? this.contentVersions.find((v) => v.ContentDocumentId === documentId)?.['FirstPublishLocationId'],
      VersionData: Buffer.from(String(body['VersionData']), 'base64'),
    });
    return { status: 201, body: { id, success: true, errors: [] } };
  }

  private remove(ids: string[]): SfRecord[] {
    return ids.map((id) => {
      const estimate = [...this.estimates.values()].find((e) => e.Id === id);
      if (estimate) {
        this.estimates.delete(String(estimate['Attain_Key__c']));
        return { id, success: true, errors: [] };
      }
      const row = [...this.commissions.values()].find((c) => c.Id === id);
      if (!row)
        return {
          id,
          success: false,
          errors: [{ statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] }],
        };
      this.commissions.delete(row.Attain_Key__c);
      this.deleted.push(row.Attain_Key__c);
      return { id, success: true, errors: [] };
    });
  }

  private createQueryJob(body: { operation: string; query: string }): SfRecord {
    const result = this.soql(body.query, body.operation === 'queryAll');
    if (typeof result === 'string') throw new Error(result);
    const id = `750${String(this.bulkJobs.size + 1).padStart(15, '1')}`;
    this.bulkJobs.set(id, { records: result.rows, columns: result.fields });
    return { id, operation: body.operation, object: 'Opportunity', state: 'UploadComplete', contentType: 'CSV' };
  }

  private queryResults(id: string, url: URL, res: ServerResponse, headers: Record<string, string>): void {
    const job = this.bulkJobs.get(id)!;
    const size = Number(url.searchParams.get('maxRecords') ?? 50_000);
    const at = Number(url.searchParams.get('locator') ?? 0);
    const rows = job.records.slice(at, at + size);
    const csv =
      [
        job.columns.map(quote).join(','),
        ...rows.map((r) => job.columns.map((c) => quote(csvValue(readPath(r, c)))).join(',')),
      ].join('\n') + '\n';
    const next = at + size >= job.records.length ? 'null' : String(at + size);
    res.writeHead(200, {
      ...headers,
      'content-type': 'text/csv',
      'Sforce-Locator': next,
      'Sforce-NumberOfRecords': String(rows.length),
    });
    res.end(csv);
  }

  private ingestResults(id: string, successful: boolean, res: ServerResponse, headers: Record<string, string>): void {
    const job = this.ingestJobs.get(id)!;
    const rows = parse(job.csv, { columns: true }) as Record<string, string>[];
    // Bulk API 2.0 CSV: an empty cell leaves the field as it is, #N/A sets it to null ("Bulk API 2.0
    // and Bulk API Developer Guide", Valid Date Format / Relationship Fields in a Header Row / Field
    // Values: https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/datafiles_prepare_csv.htm).
    const given = (row: Record<string, string>) =>
      Object.fromEntries(
        Object.entries(row)
          .filter(([, v]) => v !== '')
          .map(([k, v]) => [k, v === '#N/A' ? null : v]),
      );
    const upsert = (record: SfRecord) =>
      job.object === 'Attain_Estimate__c' ? this.upsertEstimates([record])[0]! : this.upsert({ records: [record] })[0]!;
    const outcome = rows.map((row) => ({ row, result: upsert(given(row)) }));
    // Each result call re-applies the upsert: harmless (by key), and keeps this fake simple.
    const picked = outcome.filter((o) => o.result['success'] === successful);
    const columns = successful
      ? ['sf__Id', 'sf__Created', ...Object.keys(rows[0] ?? {})]
      : ['sf__Id', 'sf__Error', ...Object.keys(rows[0] ?? {})];
    const lines = picked.map(({ row, result }) =>
      [
        String(result['id'] ?? ''),
        successful
          ? String(result['created'])
          : 'INACTIVE_OWNER_OR_USER:operation performed with inactive user:OwnerId',
        ...Object.values(row),
      ]
        .map(quote)
        .join(','),
    );
    res.writeHead(200, { ...headers, 'content-type': 'text/csv' });
    res.end([columns.map(quote).join(','), ...lines].join('\n') + '\n');
  }
}

/** Numbers in [0, 1) from fast-check's seeded generator: the same seed, the same faults. */
function seededDraws(seed: number): () => number {
  // noBias: fast-check otherwise favours the ends of the range, which would skew the share.
  const draws = fc.sample(fc.noBias(fc.integer({ min: 0, max: 9_999 })), { seed, numRuns: 10_000 });
  let next = 0;
  return () => draws[next++ % draws.length]! / 10_000;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-type': 'application/json;charset=UTF-8' });
  res.end(JSON.stringify(body));
}

function readPath(record: SfRecord, path: string): unknown {
  let value: unknown = record;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as SfRecord)[part];
  }
  return value;
}

/** A REST record: the selected fields, relationship ones nested, with `attributes` as Salesforce adds them. */
function project(record: SfRecord, fields: string[], object: string): SfRecord {
  const out: SfRecord = {
    attributes: { type: object, url: `/services/data/v62.0/sobjects/${object}/${String(record['Id'])}` },
  };
  for (const field of fields) {
    const [head, ...rest] = field.split('.');
    if (rest.length === 0) out[head!] = record[head!] ?? null;
    else {
      const nested = (record[head!] as SfRecord | null | undefined) ?? null;
      out[head!] = nested === null ? null : { attributes: { type: head }, ...nested };
    }
  }
  return out;
}

function csvValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value.replace('+0000', 'Z').replace(/\.000Z$/, '.000Z');
  return String(value);
}

function quote(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}
