/**
 * An admin lists official value set expansions in careloop.config.json (`valueSetBundles`): the
 * rule engine loads them over the starter subsets, and the pack's digest (carried by every card and
 * audit event) changes with them; a file that cannot be loaded leaves the built-in expansions.
 */
import { http, HttpResponse } from 'msw';
import { describe, expect, it, vi } from 'vitest';
import { rulesEngineQuery } from '../../src/features/care-gaps/load-rules.ts';
import { careloopPreventive } from '../../src/rules/index.ts';
import sample from '../fixtures/content/sample-value-sets.json';
import { server } from '../msw/server.ts';

const URL_ = 'http://careloop.example/fhir/ValueSet/influenza-vaccine-contraindication';
const BASE = 'https://careloop.hospital.example/index.html';

async function engine(valueSetBundles: string[]) {
  const query = rulesEngineQuery({ measurePackages: [], valueSetBundles }, BASE);
  return (query.queryFn as () => ReturnType<NonNullable<typeof query.queryFn>>)();
}

describe('value set bundles from the deployment config', () => {
  it('replace the starter expansion of the same canonical URL, and change the pack digest', async () => {
    server.use(http.get('https://careloop.hospital.example/content/value-sets.json', () => HttpResponse.json(sample)));
    const { pack } = await engine(['content/value-sets.json']);
    expect(pack.valueSets[URL_]?.codes.map((c) => c.code)).toEqual(['294640001', '91934008']);
    expect(pack.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(pack.digest).not.toBe(careloopPreventive.digest);
  });

  it('leave the built-in expansions, with a warning naming the file, when one cannot be loaded', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    server.use(http.get('https://careloop.hospital.example/content/value-sets.json', () => HttpResponse.json({ resourceType: 'Patient' })));
    const { pack } = await engine(['content/value-sets.json']);
    expect(pack.digest).toBe(careloopPreventive.digest);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('value set bundle content/value-sets.json was not loaded'));
    warn.mockRestore();
  });
});
