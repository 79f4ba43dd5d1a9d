/**
 * `attain salesforce setup` and the check before the first write-back: the custom object shipped
 * under `metadata/` exists, and the integration user can create and update each of its fields.
 * Attain does not deploy metadata itself: admins deploy it with the Salesforce CLI, under their
 * own change control.
 */
import { COMMISSION_FIELDS, COMMISSION_OBJECT, EXTERNAL_ID_FIELD } from './commission-target.js';
import type { SchemaProblem, SchemaReader } from './org-schema.js';

const DEPLOY =
  'cd connectors/salesforce/metadata && sf project deploy start --source-dir force-app --target-org <your org alias>';

export async function commissionObjectProblems(schema: SchemaReader): Promise<SchemaProblem[]> {
  const described = await schema.describe(COMMISSION_OBJECT);
  if (!described)
    return [
      {
        problem: `${COMMISSION_OBJECT} does not exist (or the integration user cannot see it)`,
        fix: `deploy it: ${DEPLOY}; then assign the Attain_Commission_Writer permission set`,
      },
    ];
  const problems: SchemaProblem[] = [];
  const objectWritable =
    described.createable !== false && described.updateable !== false && described.deletable !== false;
  if (!objectWritable) {
    problems.push({
      problem: `${COMMISSION_OBJECT}: the integration user cannot create, edit and delete its records`,
      fix: 'assign the Attain_Commission_Writer permission set to the integration user',
    });
  }
  // Without edit on the object every field describes as read-only: the object's fix covers them all.
  for (const name of COMMISSION_FIELDS) {
    const field = described.fields.find((f) => f.name === name);
    if (!field) {
      problems.push({
        problem: `${COMMISSION_OBJECT}.${name} is missing or not visible`,
        fix: `deploy the object again (${DEPLOY}) and assign the Attain_Commission_Writer permission set`,
      });
    } else if (objectWritable && (field.createable === false || field.updateable === false)) {
      problems.push({
        problem: `${COMMISSION_OBJECT}.${name} is read-only for the integration user`,
        fix: 'grant edit access to it (the Attain_Commission_Writer permission set does)',
      });
    } else if (name === EXTERNAL_ID_FIELD && (!field.externalId || !field.unique)) {
      problems.push({
        problem: `${COMMISSION_OBJECT}.${name} is not a unique external id`,
        fix: 'mark it External ID and Unique, as the shipped metadata does',
      });
    }
  }
  return problems;
}
