/** The Hubspot connector (being built: issue 5). */
import type { HubspotConfig } from '../../config/attain-schema.js';
import { ConnectorError, type ConnectorOptions, type SourceConnector } from '../source.js';

export function createHubspotConnector(options: ConnectorOptions<HubspotConfig>): SourceConnector {
  void options;
  throw new ConnectorError('INVALID_CONFIG', 'source.kind hubspot: the Hubspot connector is not built yet');
}
