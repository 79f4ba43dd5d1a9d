/**
 * Every request Attain makes to a HubSpot portal goes through `HubspotApi.request`, which sends it
 * with `@hubspot/api-client`'s `client.apiRequest`: one rate limiter per portal, the access token
 * refreshed ahead of expiry, 429s and 5xx retried here, and every failure turned into a
 * `ConnectorError` that names what failed and never the token.
 *
 * Why `apiRequest` rather than the typed APIs: their error path deserializes the body into the
 * generated `Error` model, which drops `policyName` (so a DAILY 429 cannot be told from a
 * TEN_SECONDLY one); their config `middleware` is applied in 13.5 only when call-time options are
 * passed (so the rate-limit headers of successful calls are out of reach); and they turn
 * timestamps into `Date`s. `apiRequest` gives the status, the headers and the JSON as HubSpot sent it.
 *
 * The client's own retry is left off on purpose: its `numberOfApiCallRetries` counts attempts,
 * ignores Retry-After and the rate-limit headers, and its decorators are a process-wide singleton
 * (a second Client with other settings would change ours).
 */
import { createHash } from 'node:crypto';
import { Client } from '@hubspot/api-client';
import type { HubspotConfig } from '../../config/attain-schema.js';
import { ConnectorError } from '../source.js';
import { limiterForPortal, PortalRateLimiter, systemClock, type Clock, type RequestKind } from './rate-limiter.js';

/** A 4xx that is neither auth, scope nor rate limit: the caller decides (the search cap, a portal without splits). */
export class HubspotResponseError extends ConnectorError {
  override readonly name = 'ConnectorError';
  constructor(
    readonly status: number,
    readonly body: HubspotErrorBody | undefined,
    message: string,
  ) {
    super(status === 404 || status === 400 ? 'INVALID_CONFIG' : 'INVALID_DATA', message);
  }
}

export interface HubspotErrorBody {
  status?: string;
  message?: string;
  category?: string;
  policyName?: string;
  errors?: { message?: string; context?: Record<string, string[]> }[];
}

/** Refresh this long before the access token expires (they live 30 minutes). */
export const REFRESH_AHEAD_MS = 5 * 60_000;
/**
 * HubSpot's OAuth token endpoint, v3: every parameter in the form body (v1, `/oauth/v1/token`, is
 * deprecated from 2027-02-16). The answer is the same: `access_token`, `refresh_token`, `expires_in`.
 */
export const OAUTH_TOKEN_PATH = '/oauth/v3/token';
const MAX_RATE_LIMIT_RETRIES = 8;
const MAX_SERVER_RETRIES = 4;
const MAX_NETWORK_RETRIES = 3;

export interface HubspotApiDeps {
  /** A virtual clock for tests; with one, the limiter is private to this instance. */
  clock?: Clock;
  /** Wall-clock time for token expiry (tests move it). */
  wallNow?: () => number;
}

export class HubspotApi {
  readonly client: Client;
  readonly limiter: PortalRateLimiter;
  readonly host: string;
  /** Requests sent, retries included. */
  apiCalls = 0;
  private readonly clock: Clock;
  private readonly wallNow: () => number;
  private token: { value: string; expiresAt: number } | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    readonly config: HubspotConfig,
    private readonly log: (message: string) => void,
    deps: HubspotApiDeps = {},
  ) {
    this.host = new URL(config.baseUrl).host;
    this.clock = deps.clock ?? systemClock;
    this.wallNow = deps.wallNow ?? Date.now;
    const options = {
      perWindow: config.rateLimit.perTenSeconds,
      windowMs: 10_000,
      searchPerSecond: config.rateLimit.searchPerSecond,
    };
    this.limiter = deps.clock
      ? new PortalRateLimiter(options, deps.clock)
      : limiterForPortal(portalKey(config), options);
    // basePath without a trailing slash: the generated APIs append `/crm/v3/...`.
    const basePath = config.baseUrl.replace(/\/+$/, '');
    this.client = new Client({ basePath, numberOfApiCallRetries: 0 });
    if (config.auth.accessToken) this.client.setAccessToken(config.auth.accessToken);
  }

  get usesOAuth(): boolean {
    return this.config.auth.accessToken === undefined;
  }

  /** Calls `client.apiRequest` through the limiter; the parsed JSON body (undefined for 204). */
  async request<T>(
    what: string,
    kind: RequestKind,
    options: { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; path: string; body?: unknown; qs?: Record<string, string> },
    signal?: AbortSignal,
  ): Promise<T> {
    const response = await this.send(what, kind, signal, async () => {
      const res = await this.client.apiRequest(options);
      const headers: Record<string, string> = {};
      res.headers.forEach((value, name) => (headers[name] = value));
      const text = await res.text();
      let body: unknown = undefined;
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          body = { message: text.slice(0, 200) };
        }
      }
      return { status: res.status, headers, body };
    });
    return response.body as T;
  }

  private async send(
    what: string,
    kind: RequestKind,
    signal: AbortSignal | undefined,
    attempt: () => Promise<{ status: number; headers: Record<string, string>; body: unknown }>,
  ): Promise<{ status: number; headers: Record<string, string>; body: unknown }> {
    let rateLimited = 0;
    let serverErrors = 0;
    let networkErrors = 0;
    for (;;) {
      await this.ensureToken(signal);
      const ticket = await this.limiter.acquire(kind, signal);
      this.apiCalls++;
      let response;
      try {
        response = await attempt();
        this.limiter.settle(ticket);
      } catch (error) {
        this.limiter.settle(ticket);
        if (++networkErrors > MAX_NETWORK_RETRIES) {
          throw new ConnectorError(
            'UNREACHABLE',
            `HubSpot at ${this.host} could not be reached (${what}): ${this.scrub(describe(error))}`,
            {
              cause: error,
            },
          );
        }
        await this.clock.sleep(500 * 2 ** networkErrors, signal);
        continue;
      }
      this.limiter.observe(response.headers);
      const { status, headers } = response;
      if (status < 300) return response;
      const body = errorBody(response.body);
      if (status === 429) {
        if (body?.policyName === 'DAILY') {
          throw new ConnectorError(
            'RATE_LIMITED',
            `HubSpot's daily API limit for this portal is used up (${what}): the run stops here, what was stored is kept, and the next run resumes from the saved cursor`,
          );
        }
        if (++rateLimited > MAX_RATE_LIMIT_RETRIES) {
          throw new ConnectorError(
            'TEMPORARY',
            `HubSpot kept answering 429 (${body?.policyName ?? 'rate limit'}) to ${what} after ${MAX_RATE_LIMIT_RETRIES} retries`,
          );
        }
        const wait =
          retryAfterMs(headers) ??
          (body?.policyName === 'SECONDLY' || kind === 'search' ? 1000 : this.limiter.options.windowMs);
        this.limiter.holdFor(wait);
        this.log(
          `hubspot: 429 ${body?.policyName ?? ''} on ${what}; waiting ${Math.round(wait)} ms and retrying`.replace(
            '  ',
            ' ',
          ),
        );
        continue;
      }
      if (status >= 500) {
        if (++serverErrors > MAX_SERVER_RETRIES) {
          throw new ConnectorError(
            'TEMPORARY',
            `HubSpot answered ${status} to ${what} ${MAX_SERVER_RETRIES + 1} times: ${this.scrub(body?.message ?? '')}`.trim(),
          );
        }
        await this.clock.sleep(250 * 2 ** serverErrors, signal);
        continue;
      }
      const reason = this.scrub(body?.message ?? `HTTP ${status}`);
      if (status === 401) {
        throw new ConnectorError(
          'AUTH_FAILED',
          `HubSpot at ${this.host} refused the ${this.usesOAuth ? 'OAuth access token' : 'private app access token'} (401 on ${what}): ${reason}. ` +
            (this.usesOAuth
              ? 'Run `attain hubspot login` for a new refresh token.'
              : 'Check the token the accessToken variable holds (a private app token starts with pat-).'),
        );
      }
      if (status === 403) {
        const scopes = body?.errors?.flatMap((e) => Object.values(e.context ?? {}).flat()) ?? [];
        throw new ConnectorError(
          'INVALID_CONFIG',
          `HubSpot refused ${what} (403${body?.category ? ` ${body.category}` : ''}): ${reason}` +
            (scopes.length ? `. Grant the app the scopes ${scopes.join(', ')}` : ''),
        );
      }
      throw new HubspotResponseError(status, body, `HubSpot answered ${status} to ${what}: ${reason}`);
    }
  }

  /** Private app: the token as given. OAuth: refreshed ahead of expiry, never on a 401. */
  private async ensureToken(signal?: AbortSignal): Promise<void> {
    if (!this.usesOAuth) return;
    if (this.token && this.wallNow() < this.token.expiresAt - REFRESH_AHEAD_MS) return;
    this.refreshing ??= this.refresh(signal).finally(() => (this.refreshing = undefined));
    await this.refreshing;
  }

  /**
   * A form POSTed to HubSpot's token endpoint, without a bearer: every OAuth grant (the refresh
   * below, the authorization code of `attain hubspot login`) goes through here.
   */
  postTokenForm(form: URLSearchParams): ReturnType<Client['apiRequest']> {
    return this.client.apiRequest({
      method: 'POST',
      path: OAUTH_TOKEN_PATH,
      authType: 'none',
      defaultJson: false,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
  }

  /** The refresh-token grant on OAUTH_TOKEN_PATH, sent without a bearer. */
  private async refresh(signal?: AbortSignal): Promise<void> {
    const { clientId = '', clientSecret = '', refreshToken = '' } = this.config.auth;
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: clientId,
      client_secret: clientSecret,
      refresh_token: refreshToken,
    });
    const ticket = await this.limiter.acquire('standard', signal);
    this.apiCalls++;
    let status: number;
    let body: { access_token?: string; expires_in?: number; status?: string; message?: string } | undefined;
    try {
      const res = await this.postTokenForm(form);
      status = res.status;
      body = (await res.json().catch(() => undefined)) as typeof body;
    } catch (error) {
      this.limiter.settle(ticket);
      throw new ConnectorError(
        'UNREACHABLE',
        `HubSpot at ${this.host} could not be reached to refresh the OAuth token: ${this.scrub(describe(error))}`,
        { cause: error },
      );
    }
    this.limiter.settle(ticket);
    if (status >= 500) throw new ConnectorError('TEMPORARY', `HubSpot answered ${status} to the OAuth token refresh`);
    if (status >= 300 || typeof body?.access_token !== 'string' || typeof body.expires_in !== 'number') {
      throw new ConnectorError(
        'AUTH_FAILED',
        `HubSpot refused the OAuth refresh token (${status}${body?.status ? ` ${body.status}` : ''}): ${this.scrub(body?.message ?? 'no access token in the answer')}. ` +
          'Check clientId and clientSecret, or run `attain hubspot login` for a new refresh token.',
      );
    }
    this.token = { value: body.access_token, expiresAt: this.wallNow() + body.expires_in * 1000 };
    this.client.setAccessToken(body.access_token);
    this.log(`hubspot: OAuth access token refreshed (valid ${Math.round(body.expires_in / 60)} min)`);
  }

  /** Removes every credential from text that may end in a message. */
  scrub(text: string): string {
    let out = text;
    const secrets = [
      this.config.auth.accessToken,
      this.config.auth.clientSecret,
      this.config.auth.refreshToken,
      this.token?.value,
    ];
    // Too short to be a real credential (and replacing it would garble the message).
    for (const secret of secrets) if (secret && secret.length >= 8) out = out.split(secret).join('***');
    return out;
  }
}

function errorBody(body: unknown): HubspotErrorBody | undefined {
  if (typeof body === 'string') {
    try {
      return errorBody(JSON.parse(body));
    } catch {
      return { message: body.slice(0, 200) };
    }
  }
  return typeof body === 'object' && body !== null ? (body as HubspotErrorBody) : undefined;
}

function retryAfterMs(headers: Record<string, string>): number | undefined {
  const value = headers['retry-after'];
  if (value === undefined) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
}

/** Names a portal for the limiter registry: its base URL and a hash of the credential (never the credential). */
function portalKey(config: HubspotConfig): string {
  const credential = config.auth.accessToken ?? `${config.auth.clientId}:${config.auth.refreshToken}`;
  return `${config.baseUrl}#${createHash('sha256').update(credential).digest('hex').slice(0, 16)}`;
}
