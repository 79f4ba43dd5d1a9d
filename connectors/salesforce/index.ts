/** The Salesforce connector (being built: issue 4). */
import type { SalesforceConfig } from '../../config/attain-schema.js';
import { ConnectorError, type ConnectorOptions, type SourceConnector } from '../source.js';

export function createSalesforceConnector(options: ConnectorOptions<SalesforceConfig>): SourceConnector {
  void options;
  throw new ConnectorError('INVALID_CONFIG', 'source.kind salesforce: the Salesforce connector is not built yet');
}
