/**
 * Every source is a Source: the one place that knows which kinds there are. A CRM connector is
 * loaded on demand, so a CSV workspace never loads jsforce or the HubSpot client.
 */
import type { AttainConfig } from '../config/attain-schema.js';
import { csvSource } from './csv/index.js';
import type { ConnectorOptions, Source, SourceConnector } from './source.js';

/**
 * The files a CRM workspace still keeps: what a CRM does not know (quotas, plan assignments) and
 * exchange rates where the CRM has none.
 */
const CRM_WORKSPACE_FILES = ['quotas.csv', 'assignments.csv', 'fx.csv', 'territory-assignments.csv'] as const;

type ConnectOptions = Omit<ConnectorOptions<unknown>, 'config'>;

/** The workspace's source, by `source.kind`. */
export function sourceOf(config: AttainConfig): Source {
  const { source } = config;
  switch (source.kind) {
    case 'csv':
      return csvSource;
    case 'salesforce':
      return {
        kind: 'salesforce',
        files: CRM_WORKSPACE_FILES,
        connect: async (options: ConnectOptions) => {
          const { createSalesforceConnector } = await import('./salesforce/index.js');
          // The schema makes the block required for its kind.
          return createSalesforceConnector({ ...options, config: source.salesforce! });
        },
      };
    case 'hubspot':
      return {
        kind: 'hubspot',
        files: CRM_WORKSPACE_FILES,
        connect: async (options: ConnectOptions) => {
          const { createHubspotConnector } = await import('./hubspot/index.js');
          return createHubspotConnector({ ...options, config: source.hubspot! });
        },
      };
  }
}

export interface OpenConnectorOptions {
  config: AttainConfig;
  workspaceDir: string;
  env: NodeJS.ProcessEnv;
  log: (message: string) => void;
}

/** The workspace's CRM connection (sync and write-back); undefined for a source that has none (csv). */
export async function openConnector(options: OpenConnectorOptions): Promise<SourceConnector | undefined> {
  const { config, workspaceDir, env, log } = options;
  const source = sourceOf(config);
  return source.connect?.({ workspaceDir, env, log, tz: config.calendar.tz, baseCurrency: config.baseCurrency });
}
