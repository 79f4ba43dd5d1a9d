/**
 * Kysely's PostgreSQL introspector, limited to the current schema. The Migrator asks it whether its
 * bookkeeping tables exist; Kysely's own version reads every schema's tables and calls
 * `pg_get_serial_sequence` on each, which fails with "schema … does not exist" when another
 * workspace's (or test's) schema is dropped at that moment on the same server. Attain's tables all
 * live in one schema, so that is all it needs to see.
 */
import {
  PostgresDialect,
  sql,
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type Kysely,
  type SchemaMetadata,
  type TableMetadata,
} from 'kysely';

class CurrentSchemaIntrospector implements DatabaseIntrospector {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's introspector contract
  constructor(private readonly db: Kysely<any>) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<{ name: string }>`select current_schema() as name`.execute(this.db);
    return rows;
  }

  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{
      name: string;
      schema: string;
      type: string;
      column: string | null;
      data_type: string | null;
      nullable: string | null;
      has_default: boolean | null;
    }>`
      select t.table_name as name, t.table_schema as schema, t.table_type as type,
             c.column_name as column, c.data_type, c.is_nullable as nullable, c.column_default is not null as has_default
        from information_schema.tables t
        left join information_schema.columns c on c.table_schema = t.table_schema and c.table_name = t.table_name
       where t.table_schema = current_schema()
       order by t.table_name, c.ordinal_position`.execute(this.db);
    const tables = new Map<string, TableMetadata>();
    for (const row of rows) {
      let table = tables.get(row.name);
      if (!table)
        tables.set(
          row.name,
          (table = { name: row.name, schema: row.schema, isView: row.type === 'VIEW', columns: [] }),
        );
      if (row.column !== null) {
        (table.columns as unknown[]).push({
          name: row.column,
          dataType: row.data_type ?? '',
          isNullable: row.nullable === 'YES',
          isAutoIncrementing: false,
          hasDefaultValue: row.has_default === true,
        });
      }
    }
    return [...tables.values()];
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}

export class CurrentSchemaPostgresDialect extends PostgresDialect {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's dialect contract
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new CurrentSchemaIntrospector(db);
  }
}
