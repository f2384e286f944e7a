/** Code systems and the codes the cast uses: real LOINC, SNOMED CT, CPT, ICD-10-CM, CVX and RxNorm codes. */
import type { CodeableConcept } from '@medplum/fhirtypes';

export const SYSTEM = {
  loinc: 'http://loinc.org',
  snomed: 'http://snomed.info/sct',
  cpt: 'http://www.ama-assn.org/go/cpt',
  icd10cm: 'http://hl7.org/fhir/sid/icd-10-cm',
  cvx: 'http://hl7.org/fhir/sid/cvx',
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  ucum: 'http://unitsofmeasure.org',
  obsCategory: 'http://terminology.hl7.org/CodeSystem/observation-category',
  conditionClinical: 'http://terminology.hl7.org/CodeSystem/condition-clinical',
  conditionVerification: 'http://terminology.hl7.org/CodeSystem/condition-ver-status',
  actCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  careloopTask: 'http://careloop.example/fhir/CodeSystem/task-type',
} as const;

type Sys = keyof typeof SYSTEM;

/** A CodeableConcept from one or more `[system, code, display]` codings; the first display is the text. */
export function cc(...codings: readonly (readonly [Sys, string, string])[]): CodeableConcept {
  const first = codings[0];
  return {
    coding: codings.map(([sys, code, display]) => ({ system: SYSTEM[sys], code, display })),
    ...(first ? { text: first[2] } : {}),
  };
}

export const CODE = {
  colonoscopy: cc(['cpt', '45378', 'Colonoscopy, flexible; diagnostic'], ['snomed', '73761001', 'Colonoscopy']),
  mammogram: cc(['loinc', '24606-6', 'MG Breast Screening']),
  fit: cc(['loinc', '29771-3', 'Hemoglobin.gastrointestinal [Presence] in Stool by Immunoassay']),
  hba1c: cc(['loinc', '4548-4', 'Hemoglobin A1c/Hemoglobin.total in Blood']),
  bpPanel: cc(['loinc', '85354-9', 'Blood pressure panel with all children optional']),
  systolic: cc(['loinc', '8480-6', 'Systolic blood pressure']),
  diastolic: cc(['loinc', '8462-4', 'Diastolic blood pressure']),
  bodyWeight: cc(['loinc', '29463-7', 'Body weight']),
  heartRate: cc(['loinc', '8867-4', 'Heart rate']),
  glucose: cc(['loinc', '2339-0', 'Glucose [Mass/volume] in Blood']),
  ldl: cc(['loinc', '13457-7', 'Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation']),
  creatinine: cc(['loinc', '2160-0', 'Creatinine [Mass/volume] in Serum or Plasma']),
  lipidPanel: cc(['loinc', '57698-3', 'Lipid panel with direct LDL - Serum or Plasma']),
  diabetesT2: cc(['icd10cm', 'E11.9', 'Type 2 diabetes mellitus without complications'], ['snomed', '44054006', 'Diabetes mellitus type 2']),
  hypertension: cc(['icd10cm', 'I10', 'Essential (primary) hypertension'], ['snomed', '59621000', 'Essential hypertension']),
  hospiceCare: cc(['snomed', '385763009', 'Hospice care']),
  hospiceAdmission: cc(['snomed', '183920000', 'Routine admission to hospice']),
  pancreasCancer: cc(['icd10cm', 'C25.9', 'Malignant neoplasm of pancreas, unspecified']),
  officeVisit: cc(['cpt', '99214', 'Office or other outpatient visit, established patient, 30-39 minutes'], ['snomed', '30346009', 'Evaluation and management of established outpatient in office or other outpatient facility']),
  wellnessVisit: cc(['snomed', '444971000124105', 'Annual wellness visit']),
  cervicalCytology: cc(['loinc', '10524-7', 'Microscopic observation [Identifier] in Cervix by Cyto stain']),
  hpvTest: cc(['loinc', '71431-1', 'HPV I/H risk 1 DNA [Presence] in Cervix by NAA with probe detection']),
  smokingStatus: cc(['loinc', '72166-2', 'Tobacco smoking status']),
  neverSmoked: cc(['snomed', '266919005', 'Never smoked tobacco']),
  socialHistory: { coding: [{ system: SYSTEM.obsCategory, code: 'social-history', display: 'Social History' }] },
  fluVaccine: cc(['cvx', '158', 'influenza, injectable, quadrivalent, contains preservative']),
  metformin: cc(['rxnorm', '861007', 'metformin hydrochloride 500 MG Oral Tablet']),
  lisinopril: cc(['rxnorm', '314076', 'lisinopril 10 MG Oral Tablet']),
  outreach: cc(['careloopTask', 'care-gap-outreach', 'Care gap outreach']),
  crcScreening: cc(['snomed', '275978004', 'Screening for malignant neoplasm of colon']),
  laboratory: { coding: [{ system: SYSTEM.obsCategory, code: 'laboratory', display: 'Laboratory' }] },
  vitalSigns: { coding: [{ system: SYSTEM.obsCategory, code: 'vital-signs', display: 'Vital Signs' }] },
  imaging: { coding: [{ system: SYSTEM.obsCategory, code: 'imaging', display: 'Imaging' }] },
  active: { coding: [{ system: SYSTEM.conditionClinical, code: 'active' }] },
  confirmed: { coding: [{ system: SYSTEM.conditionVerification, code: 'confirmed' }] },
} as const satisfies Record<string, CodeableConcept>;
