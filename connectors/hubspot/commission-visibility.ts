/**
 * Whether reps see only their own commission records, as far as HubSpot's API can tell.
 *
 * Records are owned by the rep (`hubspot_owner_id`); what a seat may see is its CRM object
 * permission for the Commissions object ("View: All / Their team's / Their commissions", HubSpot
 * Knowledge Base, "Assign access to records"). HubSpot's public API does not expose those
 * permissions, so that setting is printed for the admin to make. What the API does tell (the
 * Users API, `GET /settings/v3/users`, with `settings.users.read`) is which users are Super
 * Admins: they see every record whatever their permissions, so a rep who is one sees everyone's
 * commissions.
 */
import { ConnectorError } from '../source.js';
import type { HubspotApi } from './hubspot-api.js';
import { ownerPages } from './portal-reads.js';

/** The permission each audience needs, as HubSpot's permission editor names it. */
export const VISIBILITY_SETTING =
  'Settings › Users & Teams › select the reps › Edit permissions › CRM › CRM Objects › Commissions: ' +
  'View "Their commissions" (owned only) and Edit "Their commissions" (to fill the dispute properties), Delete none; for managers View "Their team\'s commissions" (team only), with their reps in their HubSpot team';

export interface VisibilityReport {
  /** What the API showed: reps who see more than their own. */
  problems: string[];
  /** What the API cannot show, and what it could not read. */
  notes: string[];
}

interface HubspotUser {
  id: string;
  email?: string;
  superAdmin?: boolean;
}

/** Active owners (the reps records are written for) who are Super Admins, and the setting to make. */
export async function commissionVisibility(api: HubspotApi, signal?: AbortSignal): Promise<VisibilityReport> {
  const owners = new Map<string, string>();
  for await (const page of ownerPages(api, signal))
    for (const owner of page)
      if (!owner.archived && owner.userId !== null && owner.userId !== undefined)
        owners.set(String(owner.userId), owner.email ?? [owner.firstName, owner.lastName].filter(Boolean).join(' '));
  const notes = [`HubSpot's API does not show seat permissions: make sure of ${VISIBILITY_SETTING}`];
  let users: HubspotUser[];
  try {
    users = await allUsers(api, signal);
  } catch (error) {
    if (!(error instanceof ConnectorError)) throw error;
    notes.push(
      `cannot tell which reps are Super Admins (who see every commission record): ${error.message} (the Users API needs the settings.users.read scope)`,
    );
    return { problems: [], notes };
  }
  const admins = users.filter((u) => u.superAdmin === true && owners.has(String(u.id)));
  const problems =
    admins.length === 0
      ? []
      : [
          `${admins.length} owner${admins.length === 1 ? ' is a Super Admin' : 's are Super Admins'} and see${admins.length === 1 ? 's' : ''} every rep's commissions, whatever their permissions: ${admins
            .slice(0, 5)
            .map((u) => owners.get(String(u.id)) || u.email || u.id)
            .join(
              ', ',
            )}${admins.length > 5 ? ', …' : ''} (remove Super Admin in Settings › Users & Teams if they are reps)`,
        ];
  return { problems, notes };
}

async function allUsers(api: HubspotApi, signal?: AbortSignal): Promise<HubspotUser[]> {
  const users: HubspotUser[] = [];
  let after: string | undefined;
  do {
    const answer = await api.request<{ results: HubspotUser[]; paging?: { next?: { after?: string } } }>(
      'GET /settings/v3/users',
      'standard',
      { method: 'GET', path: '/settings/v3/users', qs: { limit: '100', ...(after && { after }) } },
      signal,
    );
    users.push(...answer.results);
    after = answer.paging?.next?.after;
  } while (after);
  return users;
}
