/**
 * Value set membership: a code system published under several URIs matches as one
 * (CODE_SYSTEM_ALIASES), and a code with no system matches by code alone.
 */
import { describe, expect, it } from 'vitest';
import { CqlCode, createTerminology } from '../../src/cql/index.ts';

const VS = 'http://example.org/fhir/ValueSet/mixed';
const terminology = createTerminology(
  new Map([
    [
      VS,
      [
        new CqlCode('G0121', 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets'),
        new CqlCode('D1110', 'http://ada.org/cdt'),
        new CqlCode('5', 'https://nahdo.org/sopt'),
        new CqlCode('73761001', 'http://snomed.info/sct'),
      ],
    ],
  ]),
);

describe('value set membership', () => {
  it.each([
    ['HCPCS under its http URL', 'G0121', 'http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets'],
    ['HCPCS under its OID', 'G0121', 'urn:oid:2.16.840.1.113883.6.285'],
    ['CDT under its www URL', 'D1110', 'http://www.ada.org/cdt'],
    ['CDT under its OID', 'D1110', 'urn:oid:2.16.840.1.113883.6.13'],
    ['SOPT under its OID', '5', 'urn:oid:2.16.840.1.113883.3.221.5'],
    ['SNOMED CT under its OID', '73761001', 'urn:oid:2.16.840.1.113883.6.96'],
  ])('matches %s', (_name, code, system) => {
    expect(terminology.inValueSet(new CqlCode(code, system), VS)).toBe(true);
  });

  it('matches a code without a system by its code, and nothing under another system', () => {
    expect(terminology.inValueSet(new CqlCode('G0121', null), VS)).toBe(true);
    expect(terminology.inValueSet(new CqlCode('G0121', 'http://www.ama-assn.org/go/cpt'), VS)).toBe(false);
    expect(terminology.inValueSet(new CqlCode('73761001', 'http://snomed.info/sct'), 'http://example.org/fhir/ValueSet/unknown')).toBe(false);
  });
});
