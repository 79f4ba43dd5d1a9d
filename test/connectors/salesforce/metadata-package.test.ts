/**
 * The Salesforce package under connectors/salesforce/metadata, validated offline with Salesforce's
 * own tooling (@salesforce/source-deploy-retrieve, the library behind the `sf` CLI): every source
 * file resolves to a known metadata type, the source converts to Metadata API format, and the
 * converted package.xml lists every component. Then the access rules of the two permission sets,
 * and the element order the Metadata API's WSDL declares (alphabetical, `fullName` first).
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  ComponentSet,
  MetadataConverter,
  RegistryAccess,
  type SourceComponent,
} from '@salesforce/source-deploy-retrieve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMISSION_FIELDS, DISPUTE_FIELDS, LINK_FIELDS } from '../../../connectors/salesforce/commission-target.js';
import { PACKAGE_PIECES } from '../../../connectors/salesforce/commission-setup.js';
import { ESTIMATE_FIELDS, ESTIMATE_OBJECT } from '../../../connectors/salesforce/estimate-target.js';
import { STATEMENT_FIELDS, STATEMENT_OBJECT } from '../../../connectors/salesforce/statement-target.js';

const ROOT = join(import.meta.dirname, '../../../connectors/salesforce/metadata');
const SOURCE_DIRS = ['force-app', 'opportunity-layout'].map((dir) => join(ROOT, dir));

type Xml = Record<string, unknown>;

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** Every component with its decomposed children (fields, list views, compact layouts). */
function allComponents(set: ComponentSet): SourceComponent[] {
  return set
    .getSourceComponents()
    .toArray()
    .flatMap((c) => [c, ...c.getChildren()]);
}

function asList<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

let set: ComponentSet;
let components: SourceComponent[];
let output: string;

beforeAll(async () => {
  set = ComponentSet.fromSource({ fsPaths: SOURCE_DIRS });
  // What the sf CLI does: the package's API version comes from sfdx-project.json.
  const project = JSON.parse(await readFile(join(ROOT, 'sfdx-project.json'), 'utf8')) as { sourceApiVersion: string };
  set.sourceApiVersion = project.sourceApiVersion;
  components = allComponents(set);
  output = await mkdtemp(join(tmpdir(), 'attain-mdapi-'));
});

afterAll(async () => {
  await rm(output, { recursive: true, force: true });
});

describe('the Salesforce package resolves and converts with source-deploy-retrieve', () => {
  it('resolves every source file to a component of a type the registry knows', async () => {
    const registry = new RegistryAccess();
    const claimed = new Set(components.flatMap((c) => [...(c.xml ? [c.xml] : []), ...c.walkContent()]));
    for (const c of components) {
      expect(registry.getTypeByName(c.type.name).name, `${c.fullName}`).toBe(c.type.name);
    }
    const files = (await Promise.all(SOURCE_DIRS.map(filesUnder))).flat();
    const unclaimed = files.filter((f) => !claimed.has(f)).map((f) => relative(ROOT, f));
    expect(unclaimed).toEqual([]);
  });

  it('holds every piece attain salesforce setup verifies, and nothing else', () => {
    const names = components.map((c) => `${c.type.name}:${c.fullName}`).sort();
    const fields = [...COMMISSION_FIELDS, ...LINK_FIELDS, ...DISPUTE_FIELDS]
      .filter((f) => f.endsWith('__c'))
      .map((f) => `CustomField:Attain_Commission__c.${f}`);
    const expected = [
      'CustomObject:Attain_Commission__c',
      ...fields,
      ...PACKAGE_PIECES.map((p) => `${p.type}:${p.fullName}`),
      'ReportFolder:Attain_Commissions',
      'DashboardFolder:Attain_Commissions',
      // Statements in the CRM: the object, its fields and its tab.
      `CustomObject:${STATEMENT_OBJECT}`,
      ...STATEMENT_FIELDS.map((f) => `CustomField:${STATEMENT_OBJECT}.${f}`),
      `CustomTab:${STATEMENT_OBJECT}`,
      // Estimates of open opportunities: the object and its fields (shown on the Opportunity layout).
      `CustomObject:${ESTIMATE_OBJECT}`,
      ...ESTIMATE_FIELDS.map((f) => `CustomField:${ESTIMATE_OBJECT}.${f}`),
    ];
    expect(names).toEqual([...new Set(expected)].sort());
  });

  it('converts to Metadata API format, and package.xml lists every component', async () => {
    const result = await new MetadataConverter().convert(set, 'metadata', {
      type: 'directory',
      outputDirectory: output,
      genUniqueDir: false,
    });
    expect(result.packagePath).toBe(output);
    const packageXml = await readFile(join(output, 'package.xml'), 'utf8');
    const listed = new Set<string>();
    for (const [, body] of packageXml.matchAll(/<types>([\s\S]*?)<\/types>/g)) {
      const type = /<name>(.+?)<\/name>/.exec(body!)![1]!;
      for (const [, member] of body!.matchAll(/<members>(.+?)<\/members>/g)) listed.add(`${type}:${member}`);
    }
    // Folders are listed under the type of what they hold (Report, Dashboard), as `Folder/`.
    const wanted = components.map((c) => {
      const folderOf = /^(Report|Dashboard)Folder$/.exec(c.type.name)?.[1];
      return folderOf ? `${folderOf}:${c.fullName}/` : `${c.type.name}:${c.fullName}`;
    });
    expect([...listed].sort()).toEqual([...new Set(wanted)].sort());
    expect(packageXml).toContain('<version>62.0</version>');
    // The object comes out recomposed: one .object file holding its fields and list views.
    const object = await readFile(join(output, 'objects/Attain_Commission__c.object'), 'utf8');
    expect(object).toContain('<fullName>Opportunity__c</fullName>');
    expect(object).toContain('<fullName>Disputed</fullName>');
  });

  it('writes every element in the order the WSDL declares (alphabetical, fullName first)', () => {
    const misplaced: string[] = [];
    const check = (node: unknown, path: string) => {
      if (Array.isArray(node)) return node.forEach((n, i) => check(n, `${path}[${i}]`));
      if (node === null || typeof node !== 'object') return;
      const keys = Object.keys(node).filter((k) => !k.startsWith('@_') && !k.startsWith('#'));
      const body = keys.filter((k) => k !== 'fullName');
      if (keys.includes('fullName') && keys[0] !== 'fullName') misplaced.push(`${path}: fullName is not first`);
      const sorted = [...body].sort();
      if (body.join() !== sorted.join()) misplaced.push(`${path}: ${body.join(', ')}`);
      for (const k of keys) check((node as Xml)[k], `${path}.${k}`);
    };
    for (const c of components) check(c.parseXmlSync(), relative(ROOT, c.xml!));
    expect(misplaced).toEqual([]);
  });
});

describe('the permission sets', () => {
  const permissionSet = (name: string) => {
    const c = components.find((x) => x.type.name === 'PermissionSet' && x.fullName === name);
    if (!c) throw new Error(`no permission set ${name}`);
    return (c.parseXmlSync() as { PermissionSet: Xml }).PermissionSet;
  };
  const objectFields = (object = 'Attain_Commission__c') =>
    components
      .filter((c) => c.type.name === 'CustomField' && c.fullName.startsWith(`${object}.`))
      .map((c) => c.fullName);
  const onObject = (object: string) => (f: FieldPermission) => f.field.startsWith(`${object}.`);
  interface FieldPermission {
    field: string;
    readable: string | boolean;
    editable: string | boolean;
  }
  const truthy = (v: unknown) => v === true || v === 'true';

  it('reader: read on the object and every field; no create, delete, view all or modify all', () => {
    const reader = permissionSet('Attain_Commission_Reader');
    const objects = asList(reader['objectPermissions'] as Xml | Xml[]);
    expect(objects.map((o) => o['object'])).toEqual(['Attain_Commission__c', ESTIMATE_OBJECT, STATEMENT_OBJECT]);
    const access = objects[0]!;
    expect(truthy(access['allowRead'])).toBe(true);
    // Edit on the object is what lets field-level edit on the dispute fields work at all.
    expect(truthy(access['allowEdit'])).toBe(true);
    for (const denied of ['allowCreate', 'allowDelete', 'viewAllRecords', 'modifyAllRecords'])
      expect(truthy(access[denied]), denied).toBe(false);
    const all = asList(reader['fieldPermissions'] as FieldPermission | FieldPermission[]);
    const fields = all.filter(onObject('Attain_Commission__c'));
    expect(fields.map((f) => f.field).sort()).toEqual(objectFields().sort());
    expect(fields.every((f) => truthy(f.readable))).toBe(true);
    const editable = fields.filter((f) => truthy(f.editable)).map((f) => f.field);
    expect(editable.sort()).toEqual([
      'Attain_Commission__c.Dispute_Reason__c',
      'Attain_Commission__c.Dispute_Status__c',
    ]);
    expect(reader['tabSettings']).toEqual([
      { tab: 'Attain_Commission__c', visibility: 'Visible' },
      { tab: STATEMENT_OBJECT, visibility: 'Visible' },
    ]);
    expect(reader['userPermissions']).toBeUndefined();

    // Estimates: read only, on the object and each of its fields; sharing (Private) and ownership
    // decide whose, so no view-all.
    const estimate = objects[1]!;
    expect(truthy(estimate['allowRead'])).toBe(true);
    for (const denied of ['allowCreate', 'allowEdit', 'allowDelete', 'viewAllRecords', 'modifyAllRecords'])
      expect(truthy(estimate[denied]), `estimate ${denied}`).toBe(false);
    const estimateFields = all.filter(onObject(ESTIMATE_OBJECT));
    expect(estimateFields.map((f) => f.field).sort()).toEqual(objectFields(ESTIMATE_OBJECT).sort());
    expect(estimateFields.every((f) => truthy(f.readable) && !truthy(f.editable))).toBe(true);

    // Statements: read only, on the object and each of its fields.
    const statement = objects[2]!;
    expect(truthy(statement['allowRead'])).toBe(true);
    for (const denied of ['allowCreate', 'allowEdit', 'allowDelete', 'viewAllRecords', 'modifyAllRecords'])
      expect(truthy(statement[denied]), `statement ${denied}`).toBe(false);
    const statementFields = all.filter(onObject(STATEMENT_OBJECT));
    expect(statementFields.map((f) => f.field).sort()).toEqual(objectFields(STATEMENT_OBJECT).sort());
    expect(statementFields.every((f) => truthy(f.readable) && !truthy(f.editable))).toBe(true);
  });

  it('writer: everything the write-back sets and resolves, never the reason a rep wrote', () => {
    const writer = permissionSet('Attain_Commission_Writer');
    const access = asList(writer['objectPermissions'] as Xml | Xml[])[0]!;
    for (const allowed of ['allowRead', 'allowCreate', 'allowEdit', 'allowDelete', 'viewAllRecords'])
      expect(truthy(access[allowed]), allowed).toBe(true);
    const all = asList(writer['fieldPermissions'] as FieldPermission | FieldPermission[]);
    const fields = all.filter(onObject('Attain_Commission__c'));
    expect(fields.map((f) => f.field).sort()).toEqual(objectFields().sort());
    // Statements: it creates and updates the records, and sets every field.
    // Estimates: it creates, updates and deletes them (a closed deal's), and sets every field.
    const estimate = asList(writer['objectPermissions'] as Xml | Xml[])[1]!;
    expect(estimate['object']).toBe(ESTIMATE_OBJECT);
    for (const allowed of ['allowRead', 'allowCreate', 'allowEdit', 'allowDelete'])
      expect(truthy(estimate[allowed]), `estimate ${allowed}`).toBe(true);
    const estimateFields = all.filter(onObject(ESTIMATE_OBJECT));
    expect(estimateFields.map((f) => f.field).sort()).toEqual(objectFields(ESTIMATE_OBJECT).sort());
    expect(estimateFields.every((f) => truthy(f.readable) && truthy(f.editable))).toBe(true);
    const statement = asList(writer['objectPermissions'] as Xml | Xml[])[2]!;
    expect(statement['object']).toBe(STATEMENT_OBJECT);
    for (const allowed of ['allowRead', 'allowCreate', 'allowEdit'])
      expect(truthy(statement[allowed]), `statement ${allowed}`).toBe(true);
    const statementFields = all.filter(onObject(STATEMENT_OBJECT));
    expect(statementFields.map((f) => f.field).sort()).toEqual(objectFields(STATEMENT_OBJECT).sort());
    expect(statementFields.every((f) => truthy(f.editable))).toBe(true);
    const editable = new Set(fields.filter((f) => truthy(f.editable)).map((f) => f.field.split('.')[1]));
    const written = [...COMMISSION_FIELDS, ...LINK_FIELDS, 'Dispute_Status__c', 'Dispute_Resolution__c'];
    for (const field of written) expect(editable.has(field), field).toBe(true);
    expect(editable.has('Dispute_Reason__c')).toBe(false);
    expect(fields.every((f) => truthy(f.readable))).toBe(true);
  });

  it('estimates: private, so each rep sees their own (managers their team’s), in the Opportunity’s related list', () => {
    const object = components.find((c) => c.type.name === 'CustomObject' && c.fullName === ESTIMATE_OBJECT)!;
    const parsed = (object.parseXmlSync() as { CustomObject: Xml }).CustomObject;
    expect(parsed['sharingModel']).toBe('Private');
    expect(parsed['externalSharingModel']).toBe('Private');
    const key = components.find((c) => c.fullName === `${ESTIMATE_OBJECT}.Attain_Key__c`)!;
    const keyField = (key.parseXmlSync() as { CustomField: Xml }).CustomField;
    expect([truthy(keyField['externalId']), truthy(keyField['unique'])]).toEqual([true, true]);
    const lookup = components.find((c) => c.fullName === `${ESTIMATE_OBJECT}.Opportunity__c`)!;
    expect((lookup.parseXmlSync() as { CustomField: Xml }).CustomField).toMatchObject({
      type: 'Lookup',
      referenceTo: 'Opportunity',
    });
    const layout = components.find((c) => c.type.name === 'Layout' && c.fullName === 'Opportunity-Opportunity Layout')!;
    const lists = asList((layout.parseXmlSync() as { Layout: Xml }).Layout['relatedLists'] as Xml | Xml[]);
    expect(lists.map((l) => l['relatedList'])).toContain(`${ESTIMATE_OBJECT}.Opportunity__c`);
  });

  it('no field is required, so field-level security can make each read-only', () => {
    const required = components
      .filter((c) => c.type.name === 'CustomField')
      .filter((c) => truthy((c.parseXmlSync() as { CustomField: Xml }).CustomField['required']))
      .map((c) => c.fullName);
    expect(required).toEqual([]);
  });
});
