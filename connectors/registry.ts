/**
 * The CRM connector for a workspace's `source.kind`. Loaded on demand, so a CSV workspace never
 * loads jsforce or the HubSpot client.
 */
import type { AttainConfig } from '../config/attain-schema.js';
import type { SourceConnector } from './source.js';

export interface OpenConnectorOptions {
  config: AttainConfig;
  workspaceDir: string;
  env: NodeJS.ProcessEnv;
  log: (message: string) => void;
}

/** The workspace's CRM connector; undefined for a CSV source. */
export async function openConnector(options: OpenConnectorOptions): Promise<SourceConnector | undefined> {
  const { config, workspaceDir, env, log } = options;
  const { source } = config;
  const settings = { tz: config.calendar.tz, baseCurrency: config.baseCurrency };
  switch (source.kind) {
    case 'csv':
      return undefined;
    case 'salesforce': {
      const { createSalesforceConnector } = await import('./salesforce/index.js');
      // The schema makes the block required for its kind.
      return createSalesforceConnector({ config: source.salesforce!, workspaceDir, env, log, ...settings });
    }
    case 'hubspot': {
      const { createHubspotConnector } = await import('./hubspot/index.js');
      return createHubspotConnector({ config: source.hubspot!, workspaceDir, env, log, ...settings });
    }
  }
}
