/** The HubSpot connector (issue 5): placeholder until the sync is wired in. */
import type { HubspotConfig } from '../../config/attain-schema.js';
import { ConnectorError, type ConnectorOptions, type SourceConnector } from '../source.js';

export function createHubspotConnector(options: ConnectorOptions<HubspotConfig>): SourceConnector {
  void options;
  throw new ConnectorError('INVALID_CONFIG', 'source.kind hubspot: the Hubspot connector is not built yet');
}
