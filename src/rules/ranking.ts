/**
 * The next-best action's ordering of one patient's results.
 */
import { isOpenGap, type RuleResult, type RuleStatus } from './types.ts';

const STATUS_ORDER: Readonly<Record<RuleStatus, number>> = {
  overdue: 0,
  due: 1,
  'insufficient-data': 2,
  satisfied: 3,
  excluded: 4,
  'not-applicable': 5,
};

/**
 * The documented prioritisation: overdue before due; then higher clinical weight; then the earlier
 * due date; then rule id. Results that are not open gaps follow (insufficient data, satisfied,
 * excluded, not applicable), by weight then id.
 */
export function compareResults(a: RuleResult, b: RuleResult, weights: ReadonlyMap<string, number>): number {
  const s = STATUS_ORDER[a.status] - STATUS_ORDER[b.status];
  if (s !== 0) return s;
  const w = (weights.get(b.rule) ?? 0) - (weights.get(a.rule) ?? 0);
  if (w !== 0) return w;
  const da = isOpenGap(a) ? a.dueDate : '';
  const db = isOpenGap(b) ? b.dueDate : '';
  if (da !== db) return da < db ? -1 : 1;
  return a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0;
}
