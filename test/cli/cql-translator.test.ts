import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIGEST_FIELD, run } from '../../src/cli/cql-translate.ts';
import { fhirHelpersCql, readConversionInfos } from '../../src/cli/cql/fhir-helpers.ts';
import { CqlTranslationError, fhirModelInfoPath, sourceDigest, translateLibraries, translatorVersion } from '../../src/cli/cql/translator.ts';
import type { TranslationResult } from '../../src/cli/cql/translator.ts';

// The translator needs seconds per run on a shared 2-core CI machine: three runs in this file.
const SLOW = 60_000;

const arithmetic = `library Arithmetic version '1.0.0'

define function Double(x Integer): x * 2

define "Four": Double(2)
`;

const vitals = `library Vitals version '0.1.0'

using FHIR version '4.0.1'

include FHIRHelpers version '4.0.1'
include Arithmetic version '1.0.0' called Arith

valueset "Some VS": 'http://example.org/fhir/ValueSet/some-vs'

context Patient

define "High Readings":
  [Observation: "Some VS"] O
    where O.effective after @2024-01-01T00:00:00
      and (O.value as Quantity) > 5 'mg'

define "Eight": Arith.Double(Arith."Four")
`;

type Json = Record<string, unknown>;

/** Every object in an ELM tree, depth first. */
function nodes(x: unknown, out: Json[] = []): Json[] {
  if (Array.isArray(x)) for (const v of x) nodes(v, out);
  else if (typeof x === 'object' && x !== null) {
    out.push(x as Json);
    for (const v of Object.values(x)) nodes(v, out);
  }
  return out;
}

function statement(elm: unknown, name: string): Json {
  const defs = ((elm as { library: { statements: { def: Json[] } } }).library.statements.def);
  const def = defs.find((d) => d['name'] === name);
  if (def === undefined) throw new Error(`no statement ${name}`);
  return def;
}

describe('FHIRHelpers generation', () => {
  const xml = readFileSync(fhirModelInfoPath(), 'utf8');

  it('defines one function per conversion the FHIR model info names, the same text every time', () => {
    const cql = fhirHelpersCql(xml);
    const conversions = readConversionInfos(xml);
    expect(conversions).toHaveLength(264);
    expect(cql.match(/^define function /gm)).toHaveLength(conversions.length);
    expect(cql).toContain("library FHIRHelpers version '4.0.1'");
    expect(cql).toContain('define function ToString(value FHIR.ObservationStatus) returns System.String: value.value');
    expect(cql).toContain('define function ToDateTime(value FHIR.instant) returns System.DateTime: value.value');
    expect(cql).toContain('define function ToInterval(period FHIR.Period) returns Interval<System.DateTime>:');
    expect(fhirHelpersCql(xml)).toBe(cql);
  });

  it('refuses a conversion it has no body for instead of dropping it', () => {
    const odd = `<modelInfo name="FHIR" version="4.0.1">
  <typeInfo namespace="FHIR" name="Thing" baseType="FHIR.Element" xsi:type="ClassInfo"><element name="other" elementType="System.String"/></typeInfo>
  <conversionInfo functionName="FHIRHelpers.ToString" fromType="FHIR.Thing" toType="System.String"/>
</modelInfo>`;
    expect(() => fhirHelpersCql(odd)).toThrow(/FHIR\.Thing is not a primitive wrapper/);
  });
});

describe('translateLibraries', () => {
  let result: TranslationResult;

  beforeAll(async () => {
    result = await translateLibraries({ sources: new Map([['Vitals', vitals], ['Arithmetic', arithmetic]]) });
  }, SLOW);

  it('adds the generated FHIRHelpers for a FHIR library and returns ELM for every library', () => {
    expect([...result.elm.keys()]).toEqual(['Arithmetic', 'FHIRHelpers', 'Vitals']);
    expect(result.errors).toEqual([]);
    expect(result.translatorVersion).toBe(translatorVersion());
    const info = nodes(result.elm.get('Vitals')).find((n) => n['type'] === 'CqlToElmInfo');
    expect(info).toMatchObject({ translatorOptions: 'EnableLocators,EnableResultTypes,DisableListDemotion,DisableListPromotion', signatureLevel: 'Overloads' });
  });

  it('retrieves FHIR Observations by value set and converts FHIR values through FHIRHelpers', () => {
    const def = statement(result.elm.get('Vitals'), 'High Readings');
    const all = nodes(def);
    const retrieve = all.find((n) => n['type'] === 'Retrieve');
    expect(retrieve).toMatchObject({ dataType: '{http://hl7.org/fhir}Observation', codeProperty: 'code', codes: { type: 'ValueSetRef', name: 'Some VS' } });
    const helpers = all.filter((n) => n['type'] === 'FunctionRef' && n['libraryName'] === 'FHIRHelpers').map((n) => n['name']);
    expect(helpers).toContain('ToQuantity');
    expect(helpers).toContain('ToDateTime');
    const toQuantity = all.find((n) => n['type'] === 'FunctionRef' && n['name'] === 'ToQuantity');
    expect(toQuantity?.['operand']).toMatchObject([{ type: 'As', asTypeSpecifier: { name: '{http://hl7.org/fhir}Quantity' } }]);
  });

  it('records locators and result types on the ELM nodes', () => {
    const def = statement(result.elm.get('Vitals'), 'High Readings');
    expect(def['locator']).toBe('12:1-15:40');
    expect(def['resultTypeSpecifier']).toMatchObject({ type: 'ListTypeSpecifier', elementType: { name: '{http://hl7.org/fhir}Observation' } });
    const greater = nodes(def).find((n) => n['type'] === 'Greater');
    expect(greater).toMatchObject({ locator: '15:11-15:40', resultTypeName: '{urn:hl7-org:elm-types:r1}Boolean' });
  });

  it('resolves an include between two sources by name and version', () => {
    const elm = result.elm.get('Vitals') as unknown as { library: { includes: { def: Json[] } } };
    expect(elm.library.includes.def).toContainEqual(expect.objectContaining({ localIdentifier: 'Arith', path: 'Arithmetic', version: '1.0.0' }));
    const eight = nodes(statement(result.elm.get('Vitals'), 'Eight'));
    expect(eight).toContainEqual(expect.objectContaining({ type: 'FunctionRef', libraryName: 'Arith', name: 'Double' }));
    expect(eight).toContainEqual(expect.objectContaining({ type: 'ExpressionRef', libraryName: 'Arith', name: 'Four' }));
  });

  it('translates a library without a model against System types only', () => {
    const elm = result.elm.get('Arithmetic') as unknown as { library: { usings: { def: Json[] } } };
    expect(elm.library.usings.def.map((u) => u['localIdentifier'])).toEqual(['System']);
    expect(statement(elm, 'Four')['resultTypeName']).toBe('{urn:hl7-org:elm-types:r1}Integer');
  });

  it(
    'rejects a syntax error naming the library, line and column',
    async () => {
      const broken = "library Broken version '1'\n\ndefine \"Fine\": 1\ndefine \"Bad\": )\n";
      const failure = translateLibraries({ sources: new Map([['Broken', broken]]) });
      await expect(failure).rejects.toBeInstanceOf(CqlTranslationError);
      await expect(failure).rejects.toThrow(/Broken line 4, column 15: Syntax error/);
    },
    SLOW,
  );
});

describe('cql-translate CLI', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'careloop-cql-'));
    mkdirSync(join(dir, 'cql'));
    writeFileSync(join(dir, 'cql', 'arithmetic.cql'), arithmetic);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    'writes one pretty ELM file per library, the source digest first, with a final newline',
    async () => {
      const outcome = await run([join(dir, 'cql'), join(dir, 'elm')]);
      expect(outcome).toMatchObject({ code: 0, stderr: '' });
      const text = readFileSync(join(dir, 'elm', 'Arithmetic.json'), 'utf8');
      expect(text.endsWith('}\n')).toBe(true);
      expect(text.startsWith(`{\n  "${DIGEST_FIELD}": "${sourceDigest(arithmetic, translatorVersion())}",\n  "library": {`)).toBe(true);
      expect(outcome.stdout).not.toContain('FHIRHelpers');
    },
    SLOW,
  );
});
