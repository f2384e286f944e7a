import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/app/config';
import { MAX_LAUNCH_LENGTH, readLaunchParams } from '../../src/smart/launch';
import { ProblemError, type Problem } from '../../src/shared/problem';
import { validConfig } from '../msw/server';

const parsed = parseConfig(validConfig, 'x');
if (!parsed.ok) throw new Error('config');
const config = parsed.config;
const ISS = 'https://ehr.example.org/fhir';

function problemOf(search: string): Problem | null {
  try {
    readLaunchParams(search, config);
    return null;
  } catch (error) {
    if (error instanceof ProblemError) return error.problem;
    throw error;
  }
}

describe('launch.html parameters', () => {
  it('passes on a launch value of any characters as it came, as SMART keeps it opaque', () => {
    // What smart-launcher-v2 sends with scopes in the client registration: 632 characters of
    // base64url JSON, beside values with characters the old pattern refused.
    const launcherCode = 'eyJ'.padEnd(632, 'aB3_-');
    for (const launch of [launcherCode, 'a b', 'x!y*z(1)', 'ünïcödé', '{"a":1}', 'x'.repeat(2000)]) {
      const search = `?iss=${encodeURIComponent(ISS)}&launch=${encodeURIComponent(launch)}`;
      expect(readLaunchParams(search, config)).toEqual({ iss: ISS, launch, kind: 'ehr' });
    }
  });

  it('accepts a launch of 8 KB and more, and refuses only one past the abuse bound', () => {
    expect(MAX_LAUNCH_LENGTH).toBeGreaterThanOrEqual(8 * 1024);
    const longest = 'L'.repeat(MAX_LAUNCH_LENGTH);
    expect(readLaunchParams(`?iss=${encodeURIComponent(ISS)}&launch=${longest}`, config).launch).toBe(longest);
    expect(problemOf(`?iss=${encodeURIComponent(ISS)}&launch=${longest}L`)).toMatchObject({ kind: 'launch-invalid' });
  });

  it('refuses an empty launch rather than treating it as a standalone launch', () => {
    expect(problemOf(`?iss=${encodeURIComponent(ISS)}&launch=`)).toEqual({ kind: 'launch-invalid', detail: 'The "launch" parameter is empty.' });
  });

  it('takes iss as an absolute http(s) URL, without its trailing slash', () => {
    expect(readLaunchParams('?iss=https://ehr.example.org/fhir/r4/', config)).toEqual({ iss: 'https://ehr.example.org/fhir/r4', launch: null, kind: 'standalone' });
    expect(readLaunchParams('?iss=http://127.0.0.1:4000/fhir&launch=1', config).iss).toBe('http://127.0.0.1:4000/fhir');
  });

  it.each([
    ['a relative path', '/fhir'],
    ['a bare host', 'ehr.example.org/fhir'],
    ['another scheme', 'javascript:alert(1)'],
    ['credentials', 'https://user:pw@ehr.example.org/fhir'],
    ['a fragment', 'https://ehr.example.org/fhir#x'],
  ])('refuses an iss that is %s', (_what, iss) => {
    expect(problemOf(`?iss=${encodeURIComponent(iss)}&launch=abc`)).toMatchObject({ kind: 'launch-invalid' });
  });
});
