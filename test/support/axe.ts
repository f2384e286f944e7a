import axe from 'axe-core';
import { expect } from 'vitest';

/** Runs axe-core on an element and fails with the rule ids and targets it finds. */
export async function noAxeViolations(container: Element): Promise<void> {
  // jsdom has no layout, so colour contrast cannot be measured here.
  const results = await axe.run(container, { rules: { 'color-contrast': { enabled: false } } });
  expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
}
