/**
 * The in-house alternative `attain calc` is measured against: load the org's CSVs into the local
 * PostgreSQL with `COPY` (a fresh schema, dropped afterwards) and compute the marginal AE plan's
 * commission per rep and quarter in one SQL statement. Its payout total is checked against
 * Attain's for the same plan and component, to the cent.
 *
 * The SQL follows the engine's rules for that plan: won deals; split percents on the deal's own
 * amount (overlay splits on top; a deal without revenue splits credits its owner 100 %), then the
 * exchange rate in effect on the close date, each rounded half-even to 10 decimals; credit counts
 * for the plan when the rep is assigned to it on the close date; the quarter's quota is prorated
 * by the days of the quarter the rep is assigned to the plan (half-even, 10 decimals); tiers 5 % / 8 % from 100 % / 10 %
 * from 150 % of the quarter's quota, paid on each slice; the quarter's due rounded half-even to
 * the cent (the plan's monthly lines of a quarter add up to it).
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

const POSTGRES_URL = process.env['ATTAIN_BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Tables as the CSVs' columns, in their order (the synthetic org writes these headers). */
const TABLES: Record<string, string> = {
  deals: `id text, name text, owner_id text, amount numeric, currency text, close_date date, stage text,
          type text, contract_term_months integer`,
  splits: 'deal_id text, rep_id text, percent numeric, kind text',
  quotas: 'rep_id text, period text, amount numeric',
  fx: 'currency text, from_date date, rate numeric',
  assignments: 'rep_id text, plan_id text, from_date date, to_date date',
};

const commissionSql = (base: string, plan: string): string => `
create table commission as
with rates as (
  select currency, from_date, rate,
         lead(from_date) over (partition by currency order by from_date) as next_date
    from fx
),
shares as (
  select s.deal_id, s.rep_id, s.percent from splits s
  union all
  select d.id, d.owner_id, 100 from deals d
   where not exists (select 1 from splits s where s.deal_id = d.id and s.kind = 'revenue')
),
credit as (
  select sh.rep_id, d.close_date,
         case when d.currency = ${base} then round(d.amount * sh.percent / 100, 10)
              else round(round(d.amount * sh.percent / 100, 10)::numeric(38, 20) / r.rate, 10) end as credit
    from deals d
    join shares sh on sh.deal_id = d.id
    left join rates r on r.currency = d.currency and d.close_date >= r.from_date
                     and (r.next_date is null or d.close_date < r.next_date)
   where d.stage = 'won'
),
plan_credit as (
  select c.rep_id, to_char(c.close_date, 'YYYY-"Q"Q') as quarter, sum(c.credit) as credit
    from credit c
    join assignments a on a.rep_id = c.rep_id and a.plan_id = ${plan} and c.close_date >= a.from_date
                      and (a.to_date is null or c.close_date <= a.to_date)
   group by 1, 2
),
quarters as (
  select period as quarter, start_date, (start_date + interval '3 months')::date - 1 as end_date
    from (select distinct period,
                 make_date(substr(period, 1, 4)::int, (substr(period, 7, 1)::int - 1) * 3 + 1, 1) as start_date
            from quotas where period ~ '^[0-9]{4}-Q[1-4]$') p
),
coverage as (
  select a.rep_id, k.quarter, k.end_date - k.start_date + 1 as period_days,
         sum(least(coalesce(a.to_date, k.end_date), k.end_date) - greatest(a.from_date, k.start_date) + 1) as days
    from assignments a
    join quarters k on a.from_date <= k.end_date and (a.to_date is null or a.to_date >= k.start_date)
   where a.plan_id = ${plan}
   group by 1, 2, 3
),
quota as (
  select q.rep_id, q.period as quarter,
         case when c.days < c.period_days then round(q.amount * c.days::numeric(38, 20) / c.period_days, 10)
              else q.amount end as amount
    from quotas q join coverage c on c.rep_id = q.rep_id and c.quarter = q.period
),
due as (
  select p.rep_id, p.quarter,
         round(0.05 * least(p.credit, q.amount), 10)
       + round(0.08 * greatest(0, least(p.credit, 1.5 * q.amount) - q.amount), 10)
       + round(0.10 * greatest(0, p.credit - 1.5 * q.amount), 10) as due
    from plan_credit p
    join quota q on q.rep_id = p.rep_id and q.quarter = p.quarter
)
select rep_id, quarter,
       case when abs(due * 100 - trunc(due * 100)) = 0.5 and trunc(due * 100) % 2 = 0
            then trunc(due * 100) / 100 else round(due, 2) end as amount
  from due`;

export interface BaselineFigures {
  seconds: number;
  loadSeconds: number;
  querySeconds: number;
  rows: number;
  /** The commission total in base currency, as PostgreSQL sums it. */
  total: string;
}

/** Loads `<orgDir>/data/*.csv` with COPY and computes the plan's commission per rep and quarter. */
export async function postgresBaseline(
  orgDir: string,
  options: { planId: string; baseCurrency: string },
): Promise<BaselineFigures> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  const schema = `attain_baseline_${process.pid}`;
  try {
    const started = process.hrtime.bigint();
    await client.query(`create schema ${schema}; set search_path to ${schema}`);
    for (const [table, columns] of Object.entries(TABLES)) {
      await client.query(`create table ${table} (${columns})`);
      await pipeline(
        createReadStream(join(orgDir, 'data', `${table}.csv`)),
        client.query(copyFrom(`copy ${table} from stdin with (format csv, header true)`)),
      );
    }
    const loaded = process.hrtime.bigint();
    await client.query(commissionSql(client.escapeLiteral(options.baseCurrency), client.escapeLiteral(options.planId)));
    const { rows } = await client.query<{ n: string; total: string | null }>(
      'select count(*) as n, sum(amount)::text as total from commission',
    );
    const finished = process.hrtime.bigint();
    return {
      seconds: Number(finished - started) / 1e9,
      loadSeconds: Number(loaded - started) / 1e9,
      querySeconds: Number(finished - loaded) / 1e9,
      rows: Number(rows[0]!.n),
      total: rows[0]!.total ?? '0',
    };
  } finally {
    await client.query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
    await client.end();
  }
}
