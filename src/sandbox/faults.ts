/**
 * Fault switches for reliability tests: per route, add latency, answer 429/5xx, drop the
 * connection, or apply a write twice. Set through the loopback-only admin API (`/_admin/faults`).
 */
import { z } from 'zod';

export const faultRuleSchema = z
  .object({
    /** HTTP method, or `*` for any (OPTIONS preflights are never faulted). */
    method: z.string().regex(/^(\*|GET|POST|PUT|PATCH|DELETE|HEAD)$/i).default('*'),
    /** Path pattern: `*` matches any run of characters, e.g. `/fhir/Task*`; the query string is ignored. */
    path: z.string().min(1),
    latencyMs: z.number().int().min(0).max(120_000).optional(),
    /** Answer with this status instead of handling the request (429 or 5xx). */
    status: z.union([z.literal(429), z.number().int().min(500).max(599)]).optional(),
    /** Retry-After seconds sent with a 429/503; default 1. */
    retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
    /** Destroy the socket without answering. */
    drop: z.boolean().optional(),
    /** Apply a FHIR create/update twice (as a retrying proxy would) and answer with the first. */
    duplicateWrite: z.boolean().optional(),
    /** How many matching requests to affect; default: every one until cleared. */
    times: z.number().int().min(1).optional(),
  })
  .strict();

export type FaultRuleInput = z.input<typeof faultRuleSchema>;

export interface FaultRule extends z.output<typeof faultRuleSchema> {
  readonly id: string;
  /** Requests it has affected so far. */
  hits: number;
}

let nextId = 1;

export class FaultSwitchboard {
  private rules: FaultRule[] = [];

  add(input: z.output<typeof faultRuleSchema>): FaultRule {
    const rule: FaultRule = { ...input, id: `fault-${nextId++}`, hits: 0 };
    this.rules.push(rule);
    return rule;
  }

  list(): readonly FaultRule[] {
    return this.rules;
  }

  clear(): void {
    this.rules = [];
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length < before;
  }

  /** The rule that applies to a request, counted as a hit (and retired when its `times` run out). */
  take(method: string, path: string): FaultRule | undefined {
    if (method === 'OPTIONS') return undefined;
    const rule = this.rules.find((r) => (r.method === '*' || r.method.toUpperCase() === method) && globToRegExp(r.path).test(path));
    if (!rule) return undefined;
    rule.hits++;
    if (rule.times !== undefined && rule.hits >= rule.times) this.remove(rule.id);
    return rule;
  }
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}
