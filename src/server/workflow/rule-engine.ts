/**
 * The rule pack as the workflow service runs it: the sidebar's own pack and evaluation, from
 * src/rules/ (pure: no UI, no network, no clock), so the server and the sidebar cannot disagree
 * about a gap. This is the one server module allowed to import rules/ (see eslint.config.js).
 */
import { careloopPreventive, evaluatePack, PACK_RULES, ruleDataTypes, type RulePack } from '../../rules/index.ts';
import type { RuleEngine } from './reevaluate.ts';

/** The {@link RuleEngine} over a rule pack (default: the built-in preventive pack). */
export function ruleEngine(pack: RulePack = careloopPreventive): RuleEngine {
  const dataTypes = [...new Set([...ruleDataTypes().values()].flat())].sort();
  return {
    packId: pack.id,
    dataTypes,
    actionCodes: (rule) => Object.values(PACK_RULES.find((r) => r.id === rule)?.actions ?? {}).map((a) => a.code),
    evaluate: (resources, asOf) => evaluatePack(pack, resources, { mode: 'point-of-care', asOf }),
  };
}
