/** `attain calc --period P`: the payout lines inside P and the attainment of quota periods overlapping it. */
import type { CalculationResult } from '../domain/engine.js';
import type { FiscalCalendar, Period } from '../domain/periods.js';

export function filterByPeriod(
  result: CalculationResult,
  period: Period | undefined,
  calendar: FiscalCalendar,
): CalculationResult {
  if (!period) return result;
  const inside = (label: string) => {
    const p = calendar.parse(label);
    return p !== undefined && p.startDay >= period.startDay && p.endDay <= period.endDay;
  };
  const overlaps = (label: string) => {
    const p = calendar.parse(label);
    return p !== undefined && p.startDay <= period.endDay && p.endDay >= period.startDay;
  };
  return {
    ...result,
    payouts: result.payouts.filter((line) => inside(line.period)),
    attainment: result.attainment.filter((row) => overlaps(row.period)),
  };
}
