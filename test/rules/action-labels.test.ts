import { describe, expect, it } from 'vitest';
import { PACK_RULES } from '../../src/rules/index.ts';

const templates = PACK_RULES.flatMap((rule) => Object.entries(rule.actions).map(([key, action]) => [`${rule.id} ${key}`, action] as const));

describe('the words on each action button', () => {
  it.each(templates)('%s has a short label that says what will be written', (_name, action) => {
    expect(action.label).toBeDefined();
    const label = action.label ?? '';
    expect(label.length).toBeLessThanOrEqual(40);
    // A ServiceRequest with intent proposal is proposed, never "ordered"; a Task is created.
    if (action.resourceType === 'ServiceRequest' && action.intent === 'proposal') expect(label).toMatch(/^Propose /);
    if (action.resourceType === 'Task') expect(label).toMatch(/^Create a .*task|^Create a task /);
    expect(`${label} ${action.text}`).not.toMatch(/\bOrder\b/);
  });
});
