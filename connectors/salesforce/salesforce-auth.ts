/**
 * Getting an access token for each OAuth flow attain.yaml allows (docs/workspace.md). jsforce 3 removed its
 * JWT helper, so the JWT bearer assertion is signed here with node:crypto; the token endpoint is
 * called through jsforce's OAuth2 class. None of these flows is retried by jsforce (a POST), so
 * 5xx answers and dropped connections are retried here.
 */
import { sign } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { OAuth2 } from 'jsforce';
import type { SalesforceConfig } from '../../config/attain-schema.js';
import { ConnectorError } from '../source.js';
import { isTransientError, withRetries, type RetryPolicy } from './retry-policy.js';

export interface AccessToken {
  accessToken: string;
  instanceUrl: string;
}

/** What the token endpoint answers (only the fields Attain reads). */
interface TokenResponse {
  access_token?: string;
  instance_url?: string;
  refresh_token?: string;
}

/** Lifetime of a JWT assertion: Salesforce accepts at most 3 minutes. */
const JWT_LIFETIME_SECONDS = 170;

/** The JWT bearer assertion (RFC 7523) for `username`, signed RS256 with the connected app's key. */
export function signJwtAssertion(input: {
  clientId: string;
  username: string;
  audience: string;
  privateKey: string;
  now?: number;
}): string {
  const issuedAt = Math.floor((input.now ?? Date.now()) / 1000);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({
    iss: input.clientId,
    sub: input.username,
    aud: input.audience,
    exp: issuedAt + JWT_LIFETIME_SECONDS,
  })}`;
  let signature: Buffer;
  try {
    signature = sign('sha256', Buffer.from(unsigned), input.privateKey);
  } catch (error) {
    // The key's text is never echoed: only that it could not be read as a private key.
    throw new ConnectorError(
      'AUTH_FAILED',
      'salesforce auth.privateKey: not a PEM RSA private key (expected -----BEGIN PRIVATE KEY----- …)',
      { cause: error },
    );
  }
  return `${unsigned}.${signature.toString('base64url')}`;
}

/**
 * The audience of a JWT assertion: login.salesforce.com, test.salesforce.com, or the login URL
 * itself for a My Domain or an Experience Cloud site.
 */
function jwtAudience(loginUrl: string): string {
  return loginUrl.replace(/\/+$/, '');
}

/** Fetches a fresh access token with the configured flow. Throws AUTH_FAILED or UNREACHABLE. */
export async function requestAccessToken(
  config: SalesforceConfig,
  workspaceDir: string,
  retry: RetryPolicy,
): Promise<AccessToken> {
  const { auth, loginUrl } = config;
  const oauth2 = new OAuth2({
    loginUrl,
    clientId: auth.clientId,
    ...(auth.clientSecret ? { clientSecret: auth.clientSecret } : {}),
  });
  const obtain = async (): Promise<TokenResponse> => {
    switch (auth.flow) {
      case 'jwt': {
        const privateKey = auth.privateKey ?? (await readPrivateKeyFile(auth.privateKeyFile!, workspaceDir));
        const assertion = signJwtAssertion({
          clientId: auth.clientId,
          username: auth.username!,
          audience: jwtAudience(loginUrl),
          privateKey,
        });
        return (await oauth2.requestToken({
          grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
          assertion,
        })) as TokenResponse;
      }
      case 'refresh-token':
        return (await oauth2.refreshToken(auth.refreshToken!)) as TokenResponse;
      case 'client-credentials':
        return (await oauth2.requestToken({ grant_type: 'client_credentials' })) as TokenResponse;
      case 'password':
        // The OAuth username-password flow, not SOAP login (retired in Summer '27).
        return (await oauth2.authenticate(auth.username!, auth.password!)) as TokenResponse;
    }
  };
  let response: TokenResponse;
  try {
    response = await withRetries(obtain, retry, isTransientError);
  } catch (error) {
    throw tokenError(error, auth.flow, loginUrl);
  }
  if (!response.access_token || !(config.instanceUrl ?? response.instance_url)) {
    throw new ConnectorError(
      'INVALID_DATA',
      `salesforce: the token endpoint at ${loginUrl} answered without access_token or instance_url`,
    );
  }
  return {
    accessToken: response.access_token,
    instanceUrl: (config.instanceUrl ?? response.instance_url)!.replace(/\/+$/, ''),
  };
}

async function readPrivateKeyFile(file: string, workspaceDir: string): Promise<string> {
  const path = isAbsolute(file) ? file : join(workspaceDir, file);
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new ConnectorError(
      'AUTH_FAILED',
      `salesforce auth.privateKeyFile: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      {
        cause: error,
      },
    );
  }
}

/** What to do about each refusal; the token endpoint's own words never hold a secret. */
const TOKEN_FIXES: Record<string, string> = {
  invalid_client_id: "check auth.clientId (the connected app's consumer key)",
  invalid_client: "check auth.clientId and auth.clientSecret (the connected app's consumer key and secret)",
  invalid_grant:
    'check the credentials and that the user is pre-authorized for the connected app (JWT: the certificate matches the key; refresh token: not revoked; sandboxes: loginUrl https://test.salesforce.com)',
  unsupported_grant_type: 'enable this flow on the connected app (client credentials need a run-as user)',
  invalid_request: 'check loginUrl (client credentials need the My Domain URL)',
};

function tokenError(error: unknown, flow: string, loginUrl: string): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const err = error as Error & { code?: string };
  if (isTransientError(error)) {
    const what = err.code ?? err.name;
    return new ConnectorError(
      'UNREACHABLE',
      `salesforce: cannot reach ${loginUrl} for the ${flow} login (${what}); check loginUrl and the network`,
      { cause: error },
    );
  }
  const fix = TOKEN_FIXES[err.name] ?? 'check the auth block of attain.yaml';
  return new ConnectorError(
    'AUTH_FAILED',
    `salesforce: ${loginUrl} refused the ${flow} login: ${err.name} (${err.message}); ${fix}`,
    { cause: error },
  );
}

/** The web-server flow's two halves, for `attain salesforce login`. */
export function authorizeUrl(config: SalesforceConfig, redirectUri: string): string {
  const oauth2 = new OAuth2({ loginUrl: config.loginUrl, clientId: config.auth.clientId, redirectUri });
  return oauth2.getAuthorizationUrl({ scope: 'api refresh_token' });
}

/** Exchanges an authorization code for a refresh token. */
export async function exchangeCode(
  config: SalesforceConfig,
  redirectUri: string,
  code: string,
  clientSecret: string | undefined,
): Promise<string> {
  const oauth2 = new OAuth2({
    loginUrl: config.loginUrl,
    clientId: config.auth.clientId,
    redirectUri,
    ...(clientSecret ? { clientSecret } : {}),
  });
  let response: TokenResponse;
  try {
    // Not retried on a 5xx: an authorization code is single-use.
    response = (await oauth2.requestToken(code)) as TokenResponse;
  } catch (error) {
    throw tokenError(error, 'authorization-code', config.loginUrl);
  }
  if (!response.refresh_token) {
    throw new ConnectorError(
      'AUTH_FAILED',
      'salesforce: no refresh token was issued; add the "refresh_token, offline_access" scope to the connected app',
    );
  }
  return response.refresh_token;
}
