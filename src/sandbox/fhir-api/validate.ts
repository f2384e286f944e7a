/**
 * Validation of written resources: @medplum/core's structural validator (cardinality, types,
 * unknown elements) plus the required code bindings medplum does not check without terminology
 * loaded (status and intent of the resources apps write back).
 */
import { OperationOutcomeError, validateResource } from '@medplum/core';
import type { OperationOutcome, Resource } from '@medplum/fhirtypes';

const REQUIRED_CODES: Record<string, Record<string, readonly string[]>> = {
  Task: {
    status: ['draft', 'requested', 'received', 'accepted', 'rejected', 'ready', 'cancelled', 'in-progress', 'on-hold', 'failed', 'completed', 'entered-in-error'],
    intent: ['unknown', 'proposal', 'plan', 'order', 'original-order', 'reflex-order', 'filler-order', 'instance-order', 'option'],
  },
  ServiceRequest: {
    status: ['draft', 'active', 'on-hold', 'revoked', 'completed', 'entered-in-error', 'unknown'],
    intent: ['proposal', 'plan', 'directive', 'order', 'original-order', 'reflex-order', 'filler-order', 'instance-order', 'option'],
  },
  Observation: { status: ['registered', 'preliminary', 'final', 'amended', 'corrected', 'cancelled', 'entered-in-error', 'unknown'] },
  Communication: { status: ['preparation', 'in-progress', 'not-done', 'on-hold', 'stopped', 'completed', 'entered-in-error', 'unknown'] },
  CommunicationRequest: { status: ['draft', 'active', 'on-hold', 'revoked', 'completed', 'entered-in-error', 'unknown'] },
  Procedure: { status: ['preparation', 'in-progress', 'not-done', 'on-hold', 'stopped', 'completed', 'entered-in-error', 'unknown'] },
};

/** null when valid, otherwise the OperationOutcome to answer 400 with. */
export function validationProblem(resource: Resource): OperationOutcome | null {
  try {
    validateResource(resource);
  } catch (err) {
    if (err instanceof OperationOutcomeError) return err.outcome;
    return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid', diagnostics: err instanceof Error ? err.message : String(err) }] };
  }
  const rules = REQUIRED_CODES[resource.resourceType] ?? {};
  const r = resource as unknown as Record<string, unknown>;
  const issues = Object.entries(rules)
    .filter(([field, codes]) => r[field] !== undefined && !codes.includes(String(r[field])))
    .map(([field, codes]) => ({
      severity: 'error' as const,
      code: 'code-invalid' as const,
      expression: [`${resource.resourceType}.${field}`],
      diagnostics: `${resource.resourceType}.${field} "${String(r[field])}" is not one of ${codes.join(', ')}`,
    }));
  return issues.length > 0 ? { resourceType: 'OperationOutcome', issue: issues } : null;
}
