/**
 * Code systems by the names clinicians know (CPT, LOINC, SNOMED CT), never by their URLs. A system
 * not listed shows as "code" alone: a URL is no help at the bedside.
 */
const NAMES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^http:\/\/loinc\.org$/, 'LOINC'],
  [/^http:\/\/snomed\.info\/sct$/, 'SNOMED CT'],
  [/^http:\/\/www\.ama-assn\.org\/go\/cpt$/, 'CPT'],
  [/^https?:\/\/(www\.)?cms\.gov\/Medicare\/Coding\/HCPCSReleaseCodeSets$/, 'HCPCS'],
  [/^http:\/\/hl7\.org\/fhir\/sid\/icd-10-cm$/, 'ICD-10-CM'],
  [/^http:\/\/www\.cms\.gov\/Medicare\/Coding\/ICD10$/, 'ICD-10-PCS'],
  [/^http:\/\/hl7\.org\/fhir\/sid\/cvx$/, 'CVX'],
  [/^http:\/\/www\.nlm\.nih\.gov\/research\/umls\/rxnorm$/, 'RxNorm'],
  [/^http:\/\/unitsofmeasure\.org$/, 'UCUM'],
  [/^http:\/\/careloop\.example\//, 'Careloop'],
];

/** "LOINC", "SNOMED CT", "CPT" … for a code system URL; null when it has no common name. */
export function codeSystemName(system: string): string | null {
  return NAMES.find(([pattern]) => pattern.test(system))?.[1] ?? null;
}

/** "SNOMED CT 275978004", or "code 275978004" for a system without a common name. */
export function codeLabel(code: { system: string; code: string }): string {
  return `${codeSystemName(code.system) ?? 'code'} ${code.code}`;
}

/** Units as clinicians write them: UCUM's `mm[Hg]` is mmHg. */
export function clinicalUnits(text: string): string {
  return text.replaceAll('mm[Hg]', 'mmHg');
}
