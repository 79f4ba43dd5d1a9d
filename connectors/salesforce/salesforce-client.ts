/**
 * One authenticated session with an org, through jsforce's Connection and HttpApi: every request
 * Attain makes goes through `request`, which
 *
 * - counts API calls and reads `Sforce-Limit-Info`, so a run stops at its share of the org's daily
 *   allocation (`limits.maxApiShare`, default 25 %) instead of starving the org's other integrations;
 * - retries 5xx, 429 and dropped connections for every method (jsforce would not retry PATCH/POST);
 * - on `INVALID_SESSION_ID` fetches a new token once and repeats the request (JWT issues no refresh
 *   token: the assertion is simply signed again);
 * - turns Salesforce's errors into ConnectorErrors that say what to fix, never holding a secret.
 *
 * jsforce's own session refresh is left off on purpose: on a second 401 it refreshes again,
 * forever; here a second 401 is a credential problem.
 */
import { Connection } from 'jsforce';
import { HttpApi } from 'jsforce/lib/http-api.js';
import type { SalesforceConfig } from '../../config/attain-schema.js';
import { ConnectorError } from '../source.js';
import { requestAccessToken } from './salesforce-auth.js';
import {
  DEFAULT_RETRY,
  describeFailure,
  isTransientError,
  withHttpStatus,
  withRetries,
  type RetryPolicy,
} from './retry-policy.js';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface SalesforceRequest {
  method?: HttpMethod;
  /** A path under the versioned data root (`/sobjects/User/describe`), or from the host (`/services/…`). */
  path: string;
  /** JSON-encoded unless a string. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Keep the body as text (CSV results) instead of letting jsforce parse it. */
  text?: boolean;
}

export interface SalesforceResponse<T> {
  body: T;
  headers: Record<string, string>;
}

export interface ApiUsage {
  used: number;
  limit: number;
}

export interface ClientOptions {
  config: SalesforceConfig;
  workspaceDir: string;
  log: (message: string) => void;
  retry?: RetryPolicy;
}

const DEFAULT_MAX_API_SHARE = 0.25;

export class SalesforceClient {
  /** API requests made by this client, every attempt counted (token requests are not API calls). */
  apiCalls = 0;
  /** The org's daily usage as last reported by `Sforce-Limit-Info`. */
  usage: ApiUsage | undefined;
  readonly retry: RetryPolicy;
  readonly maxApiShare: number;
  private connection: Connection | undefined;

  constructor(private readonly options: ClientOptions) {
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.maxApiShare = Number(options.config.limits?.maxApiShare ?? DEFAULT_MAX_API_SHARE);
  }

  get config(): SalesforceConfig {
    return this.options.config;
  }

  get apiVersion(): string {
    return this.options.config.apiVersion;
  }

  /** `/services/data/vXX.0`: the root of the REST API this client speaks. */
  get dataRoot(): string {
    return `/services/data/v${this.apiVersion}`;
  }

  /** Logs in (once); later calls reuse the session. */
  async connect(): Promise<Connection> {
    if (this.connection) return this.connection;
    const token = await requestAccessToken(this.options.config, this.options.workspaceDir, this.retry);
    // The version is set explicitly: jsforce would otherwise speak API 50.0.
    this.connection = new Connection({
      instanceUrl: token.instanceUrl,
      accessToken: token.accessToken,
      version: this.apiVersion,
    });
    return this.connection;
  }

  /**
   * Why this run should stop now, or undefined: the calls it made reached its share of the daily
   * allocation, or the org has no allocation left.
   */
  budgetExhausted(): string | undefined {
    if (!this.usage) return undefined;
    const allowed = Math.floor(this.usage.limit * this.maxApiShare);
    if (this.apiCalls >= allowed) {
      return `stopped after ${this.apiCalls} API calls: the run's share of the org's daily allocation (${Math.round(this.maxApiShare * 100)} % of ${this.usage.limit}) is used; the next run resumes from the saved cursors`;
    }
    if (this.usage.used >= this.usage.limit) {
      return `stopped: the org has used its daily API allocation (${this.usage.used}/${this.usage.limit}); the next run resumes from the saved cursors`;
    }
    return undefined;
  }

  async request<T>(request: SalesforceRequest): Promise<SalesforceResponse<T>> {
    let refreshed = false;
    for (;;) {
      const connection = await this.connect();
      try {
        return await withRetries(
          () => this.send<T>(connection, request),
          this.retry,
          isTransientError,
          (error, wait) =>
            this.options.log(
              `salesforce: ${describeFailure(error)} on ${request.method ?? 'GET'} ${pathOnly(request.path)}; retrying in ${wait} ms`,
            ),
        );
      } catch (error) {
        const code = errorCode(error);
        if (code === 'INVALID_SESSION_ID' && !refreshed) {
          // Expired (or revoked) session: one new token, then the same request again.
          refreshed = true;
          this.connection = undefined;
          this.options.log('salesforce: session expired; signing in again');
          continue;
        }
        throw this.toConnectorError(error, request);
      }
    }
  }

  private async send<T>(connection: Connection, request: SalesforceRequest): Promise<SalesforceResponse<T>> {
    // jsforce's retry is off (maxRetries 0): `withRetries` retries every method, and counts each try.
    const api = new HttpApi(connection, {
      retry: { maxRetries: 0 },
      ...(request.text ? { responseType: 'text/plain' } : {}),
    });
    let headers: Record<string, string> = {};
    let status: number | undefined;
    api.on('response', (response: { statusCode?: number; headers?: Record<string, string> }) => {
      status = response.statusCode;
      headers = response.headers ?? {};
      const usage = /api-usage=(\d+)\/(\d+)/.exec(headers['sforce-limit-info'] ?? '');
      if (usage) this.usage = { used: Number(usage[1]), limit: Number(usage[2]) };
    });
    const body =
      request.body === undefined
        ? undefined
        : typeof request.body === 'string'
          ? request.body
          : JSON.stringify(request.body);
    const url = `${connection.instanceUrl}${request.path.startsWith('/services/') ? request.path : `${this.dataRoot}${request.path}`}`;
    this.apiCalls++;
    try {
      const result = (await api.request({
        method: request.method ?? 'GET',
        url,
        headers: {
          ...(body !== undefined && typeof request.body !== 'string' ? { 'content-type': 'application/json' } : {}),
          ...request.headers,
        },
        ...(body !== undefined ? { body } : {}),
      })) as T;
      return { body: result, headers };
    } catch (error) {
      // jsforce drops the status of an answer whose body names a Salesforce error code.
      throw withHttpStatus(error, status);
    }
  }

  private toConnectorError(error: unknown, request: SalesforceRequest): ConnectorError {
    if (error instanceof ConnectorError) return error;
    const code = errorCode(error);
    const message = error instanceof Error ? error.message : String(error);
    const where = `${request.method ?? 'GET'} ${pathOnly(request.path)}`;
    const cause = { cause: error };
    switch (code) {
      case 'INVALID_SESSION_ID':
        return new ConnectorError(
          'AUTH_FAILED',
          `salesforce: the session was refused again after signing in anew (${where}): ${message}`,
          cause,
        );
      case 'REQUEST_LIMIT_EXCEEDED':
        return new ConnectorError(
          'RATE_LIMITED',
          `salesforce: the org's daily API allocation is used up (REQUEST_LIMIT_EXCEEDED); the cursors are kept and the next run resumes`,
          cause,
        );
      case 'INVALID_FIELD':
      case 'INVALID_TYPE':
      case 'NOT_FOUND':
      case 'INSUFFICIENT_ACCESS':
      case 'INSUFFICIENT_ACCESS_OR_READONLY':
      case 'API_DISABLED_FOR_ORG':
      case 'API_CURRENTLY_DISABLED':
        return new ConnectorError(
          'INVALID_CONFIG',
          `salesforce: ${code} on ${where}: ${message} (attain salesforce check lists what to fix)`,
          cause,
        );
    }
    if (isTransientError(error)) {
      const socket = (error as { code?: string }).code !== undefined || (error as Error).name === 'FetchError';
      return socket
        ? new ConnectorError(
            'UNREACHABLE',
            `salesforce: cannot reach the org for ${where} (${describeFailure(error)}) after ${this.retry.retries} retries; check instanceUrl and the network`,
            cause,
          )
        : new ConnectorError(
            'TEMPORARY',
            `salesforce: ${where} kept failing (${describeFailure(error)}) after ${this.retry.retries} retries`,
            cause,
          );
    }
    return new ConnectorError('INVALID_DATA', `salesforce: ${where} failed: ${code ?? 'error'} ${message}`, cause);
  }
}

/** The Salesforce error code (`INVALID_FIELD`) jsforce put on the error. */
export function errorCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  return (error as Error & { errorCode?: string }).errorCode ?? undefined;
}

/** The path without its query string: a SOQL query can be long, and is no one's secret, but is noise. */
function pathOnly(path: string): string {
  const at = path.indexOf('?');
  return at < 0 ? path : `${path.slice(0, at)}?…`;
}
