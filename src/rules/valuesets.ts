/**
 * Built-in value set expansions, keyed by the canonical URLs the eCQMs use
 * (`http://cts.nlm.nih.gov/fhir/ValueSet/<VSAC OID>`).
 *
 * STARTER SUBSETS: each expansion below holds only the codes Careloop knows it needs; the official
 * VSAC expansions are larger. Load the official ValueSet resources (see `withValueSets`) to replace
 * them by URL. Value sets under `http://careloop.example/fhir/ValueSet/` are Careloop's own (direct
 * reference codes the eCQMs use outside VSAC, or guideline sets with no eCQM).
 */
import type { CodeRef, ValueSetDefinition } from './types.ts';

/** Code system URIs. */
export const SYSTEMS = {
  loinc: 'http://loinc.org',
  snomed: 'http://snomed.info/sct',
  cpt: 'http://www.ama-assn.org/go/cpt',
  hcpcs: 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
  icd10cm: 'http://hl7.org/fhir/sid/icd-10-cm',
  icd10pcs: 'http://www.cms.gov/Medicare/Coding/ICD10',
  cvx: 'http://hl7.org/fhir/sid/cvx',
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
} as const;

type SystemName = keyof typeof SYSTEMS;
type Row = readonly [SystemName, string, string?];

const VSAC = 'http://cts.nlm.nih.gov/fhir/ValueSet/';
const OWN = 'http://careloop.example/fhir/ValueSet/';

function build(url: string, name: string, source: ValueSetDefinition['source'], rows: readonly Row[]): ValueSetDefinition {
  const codes: CodeRef[] = rows.map(([sys, code, display]) =>
    display === undefined ? { system: SYSTEMS[sys], code } : { system: SYSTEMS[sys], code, display },
  );
  return { url, name, version: source === 'careloop' ? 'careloop-1' : 'starter-2025', source, codes };
}
const vsac = (oid: string, name: string, rows: readonly Row[]): ValueSetDefinition => build(VSAC + oid, name, 'starter-subset', rows);
const own = (id: string, name: string, rows: readonly Row[]): ValueSetDefinition => build(OWN + id, name, 'careloop', rows);

/** Canonical URLs of the value sets the built-in rules use, by short name. */
export const VS = {
  officeVisit: `${VSAC}2.16.840.1.113883.3.464.1003.101.12.1001`,
  annualWellnessVisit: `${VSAC}2.16.840.1.113883.3.526.3.1240`,
  preventiveEstablished: `${VSAC}2.16.840.1.113883.3.464.1003.101.12.1025`,
  preventiveInitial: `${VSAC}2.16.840.1.113883.3.464.1003.101.12.1023`,
  homeHealthcare: `${VSAC}2.16.840.1.113883.3.464.1003.101.12.1016`,
  telephoneVisits: `${VSAC}2.16.840.1.113883.3.464.1003.101.12.1080`,
  virtualEncounter: `${VSAC}2.16.840.1.113883.3.464.1003.101.12.1089`,
  colonoscopy: `${VSAC}2.16.840.1.113883.3.464.1003.108.12.1020`,
  fobt: `${VSAC}2.16.840.1.113883.3.464.1003.198.12.1011`,
  fitDna: `${VSAC}2.16.840.1.113883.3.464.1003.108.12.1039`,
  flexibleSigmoidoscopy: `${VSAC}2.16.840.1.113883.3.464.1003.198.12.1010`,
  ctColonography: `${VSAC}2.16.840.1.113883.3.464.1003.108.12.1038`,
  malignantNeoplasmOfColon: `${VSAC}2.16.840.1.113883.3.464.1003.108.12.1001`,
  totalColectomy: `${VSAC}2.16.840.1.113883.3.464.1003.198.12.1019`,
  mammography: `${VSAC}2.16.840.1.113883.3.464.1003.108.12.1018`,
  bilateralMastectomy: `${VSAC}2.16.840.1.113883.3.464.1003.198.12.1005`,
  historyOfBilateralMastectomy: `${VSAC}2.16.840.1.113883.3.464.1003.198.12.1068`,
  statusPostLeftMastectomy: `${VSAC}2.16.840.1.113883.3.464.1003.198.12.1069`,
  statusPostRightMastectomy: `${VSAC}2.16.840.1.113883.3.464.1003.198.12.1070`,
  papTest: `${VSAC}2.16.840.1.113883.3.464.1003.108.12.1017`,
  hpvTest: `${VSAC}2.16.840.1.113883.3.464.1003.110.12.1059`,
  hysterectomyNoResidualCervix: `${VSAC}2.16.840.1.113883.3.464.1003.198.12.1014`,
  absenceOfCervix: `${VSAC}2.16.840.1.113883.3.464.1003.111.12.1016`,
  diabetes: `${VSAC}2.16.840.1.113883.3.464.1003.103.12.1001`,
  hba1cLabTest: `${VSAC}2.16.840.1.113883.3.464.1003.198.12.1013`,
  glucoseManagementIndicator: `${OWN}glucose-management-indicator`,
  essentialHypertension: `${VSAC}2.16.840.1.113883.3.464.1003.104.12.1011`,
  endStageRenalDisease: `${VSAC}2.16.840.1.113883.3.526.3.353`,
  kidneyTransplantRecipient: `${VSAC}2.16.840.1.113883.3.464.1003.109.12.1029`,
  chronicKidneyDiseaseStage5: `${VSAC}2.16.840.1.113883.3.526.3.1002`,
  kidneyTransplant: `${VSAC}2.16.840.1.113883.3.464.1003.109.12.1012`,
  esrdMonthlyOutpatientServices: `${VSAC}2.16.840.1.113883.3.464.1003.109.12.1014`,
  dialysisServices: `${VSAC}2.16.840.1.113883.3.464.1003.109.12.1013`,
  pregnancy: `${VSAC}2.16.840.1.113883.3.526.3.378`,
  hospiceEncounter: `${VSAC}2.16.840.1.113883.3.464.1003.1003`,
  hospiceCareAmbulatory: `${VSAC}2.16.840.1.113883.3.526.3.1584`,
  hospiceDiagnosis: `${VSAC}2.16.840.1.113883.3.464.1003.1165`,
  encounterInpatient: `${VSAC}2.16.840.1.113883.3.666.5.307`,
  dementiaMedications: `${VSAC}2.16.840.1.113883.3.464.1003.196.12.1510`,
  palliativeCareEncounter: `${VSAC}2.16.840.1.113883.3.464.1003.101.12.1090`,
  palliativeCareIntervention: `${VSAC}2.16.840.1.113883.3.464.1003.198.12.1135`,
  palliativeCareDiagnosis: `${VSAC}2.16.840.1.113883.3.464.1003.1167`,
  palliativeCareAssessment: `${OWN}palliative-care-assessment`,
  frailtyDiagnosis: `${VSAC}2.16.840.1.113883.3.464.1003.113.12.1074`,
  frailtySymptom: `${VSAC}2.16.840.1.113883.3.464.1003.113.12.1075`,
  frailtyDevice: `${VSAC}2.16.840.1.113883.3.464.1003.118.12.1300`,
  frailtyEncounter: `${VSAC}2.16.840.1.113883.3.464.1003.101.12.1088`,
  advancedIllness: `${VSAC}2.16.840.1.113883.3.464.1003.110.12.1082`,
  nursingFacilityVisit: `${VSAC}2.16.840.1.113883.3.464.1003.101.12.1012`,
  longTermResidentialCare: `${VSAC}2.16.840.1.113883.3.464.1003.101.12.1014`,
  influenzaVaccine: `${VSAC}2.16.840.1.113883.3.526.3.1254`,
  influenzaVaccineAllergy: `${OWN}influenza-vaccine-contraindication`,
  pneumococcalVaccine: `${VSAC}2.16.840.1.113883.3.464.1003.110.12.1027`,
  tobaccoUseScreening: `${VSAC}2.16.840.1.113883.3.526.3.1278`,
  tobaccoUser: `${VSAC}2.16.840.1.113883.3.526.3.1170`,
  tobaccoNonUser: `${VSAC}2.16.840.1.113883.3.526.3.1189`,
  tobaccoCessationCounseling: `${VSAC}2.16.840.1.113883.3.526.3.509`,
  tobaccoCessationPharmacotherapy: `${VSAC}2.16.840.1.113883.3.526.3.1190`,
  medicalReason: `${VSAC}2.16.840.1.113883.3.526.3.1007`,
  myocardialInfarction: `${VSAC}2.16.840.1.113883.3.526.3.403`,
  atherosclerosisPad: `${VSAC}2.16.840.1.113762.1.4.1047.21`,
  ischemicHeartDisease: `${VSAC}2.16.840.1.113762.1.4.1047.46`,
  angina: `${VSAC}2.16.840.1.113762.1.4.1047.47`,
  cerebrovascularDisease: `${VSAC}2.16.840.1.113762.1.4.1047.44`,
  pci: `${VSAC}2.16.840.1.113762.1.4.1045.67`,
  cabg: `${VSAC}2.16.840.1.113883.3.666.5.694`,
  lowIntensityStatin: `${VSAC}2.16.840.1.113883.3.526.3.1574`,
  moderateIntensityStatin: `${VSAC}2.16.840.1.113883.3.526.3.1575`,
  highIntensityStatin: `${VSAC}2.16.840.1.113883.3.526.3.1572`,
  rhabdomyolysis: `${VSAC}2.16.840.1.113762.1.4.1047.102`,
  statinAllergen: `${VSAC}2.16.840.1.113762.1.4.1110.42`,
  statinMuscleSymptoms: `${VSAC}2.16.840.1.113762.1.4.1108.85`,
  pregnancyOrRelated: `${VSAC}2.16.840.1.113883.3.600.1.1623`,
  breastfeeding: `${VSAC}2.16.840.1.113762.1.4.1047.73`,
  liverDisease: `${VSAC}2.16.840.1.113762.1.4.1047.42`,
  hepatitisA: `${VSAC}2.16.840.1.113883.3.464.1003.110.12.1024`,
  hepatitisB: `${VSAC}2.16.840.1.113883.3.67.1.101.1.269`,
} as const;

const oid = (url: string): string => url.slice(VSAC.length);

/** Every built-in expansion, keyed by URL. */
export const BUILT_IN_VALUE_SETS: Readonly<Record<string, ValueSetDefinition>> = Object.fromEntries(
  [
    vsac(oid(VS.officeVisit), 'Office Visit', [
      ['cpt', '99202'], ['cpt', '99203'], ['cpt', '99204'], ['cpt', '99205'],
      ['cpt', '99212'], ['cpt', '99213'], ['cpt', '99214'], ['cpt', '99215'],
      ['snomed', '30346009', 'Evaluation and management of established outpatient in office or other outpatient facility'],
      ['snomed', '37894004', 'Evaluation and management of new outpatient in office or other outpatient facility'],
      ['snomed', '185463005', 'Visit out of hours'],
    ]),
    vsac(oid(VS.annualWellnessVisit), 'Annual Wellness Visit', [
      ['hcpcs', 'G0438'], ['hcpcs', 'G0439'],
      ['snomed', '444971000124105', 'Annual wellness visit'],
    ]),
    vsac(oid(VS.preventiveEstablished), 'Preventive Care Services Established Office Visit, 18 and Up', [
      ['cpt', '99395'], ['cpt', '99396'], ['cpt', '99397'],
    ]),
    vsac(oid(VS.preventiveInitial), 'Preventive Care Services Initial Office Visit, 18 and Up', [
      ['cpt', '99385'], ['cpt', '99386'], ['cpt', '99387'],
    ]),
    vsac(oid(VS.homeHealthcare), 'Home Healthcare Services', [
      ['cpt', '99341'], ['cpt', '99342'], ['cpt', '99344'], ['cpt', '99345'],
      ['cpt', '99347'], ['cpt', '99348'], ['cpt', '99349'], ['cpt', '99350'],
    ]),
    vsac(oid(VS.telephoneVisits), 'Telephone Visits', [
      ['cpt', '98966'], ['cpt', '98967'], ['cpt', '98968'],
      ['cpt', '99441'], ['cpt', '99442'], ['cpt', '99443'],
    ]),
    vsac(oid(VS.virtualEncounter), 'Virtual Encounter', [
      ['cpt', '98970'], ['cpt', '98971'], ['cpt', '98972'],
      ['cpt', '99421'], ['cpt', '99422'], ['cpt', '99423'],
    ]),
    vsac(oid(VS.colonoscopy), 'Colonoscopy', [
      ['cpt', '44388'], ['cpt', '44389'], ['cpt', '44392'], ['cpt', '45378'], ['cpt', '45380'],
      ['cpt', '45384'], ['cpt', '45385'], ['cpt', '45388'],
      ['hcpcs', 'G0105'], ['hcpcs', 'G0121'],
      ['snomed', '73761001', 'Colonoscopy'],
      ['snomed', '446521004', 'Total colonoscopy'],
    ]),
    vsac(oid(VS.fobt), 'Fecal Occult Blood Test (FOBT)', [
      ['loinc', '2335-8', 'Hemoglobin.gastrointestinal [Presence] in Stool'],
      ['loinc', '12503-9'], ['loinc', '12504-7'], ['loinc', '14563-1'], ['loinc', '14564-9'], ['loinc', '14565-6'],
      ['loinc', '27396-1'], ['loinc', '27401-9'], ['loinc', '27925-7'], ['loinc', '27926-5'],
      ['loinc', '29771-3', 'Hemoglobin.gastrointestinal [Presence] in Stool by Immunoassay'],
      ['loinc', '56490-6'], ['loinc', '56491-4'],
      ['loinc', '57905-2', 'Hemoglobin.gastrointestinal [Presence] in Stool by Immunoassay --1st specimen'],
      ['loinc', '58453-2'], ['loinc', '80372-6'],
    ]),
    vsac(oid(VS.fitDna), 'FIT DNA', [
      ['loinc', '77353-1', 'Noninvasive colorectal cancer DNA and occult blood screening [Interpretation] in Stool Narrative'],
      ['loinc', '77354-9', 'Noninvasive colorectal cancer DNA and occult blood screening [Presence] in Stool'],
      ['cpt', '81528'],
    ]),
    vsac(oid(VS.flexibleSigmoidoscopy), 'Flexible Sigmoidoscopy', [
      ['cpt', '45330'], ['cpt', '45331'], ['cpt', '45332'], ['cpt', '45333'], ['cpt', '45335'], ['cpt', '45346'],
      ['hcpcs', 'G0104'],
      ['snomed', '44441009', 'Flexible fiberoptic sigmoidoscopy'],
    ]),
    vsac(oid(VS.ctColonography), 'CT Colonography', [
      ['loinc', '60515-4', 'CT Abdomen and Pelvis Colonography'],
      ['loinc', '72531-7'], ['loinc', '79069-7'], ['loinc', '79071-3'], ['loinc', '79101-8'],
      ['cpt', '74261'], ['cpt', '74262'], ['cpt', '74263'],
    ]),
    vsac(oid(VS.malignantNeoplasmOfColon), 'Malignant Neoplasm of Colon', [
      ['icd10cm', 'C18.0'], ['icd10cm', 'C18.2'], ['icd10cm', 'C18.4'], ['icd10cm', 'C18.6'], ['icd10cm', 'C18.7'],
      ['icd10cm', 'C18.9', 'Malignant neoplasm of colon, unspecified'],
      ['icd10cm', 'C19'], ['icd10cm', 'C20', 'Malignant neoplasm of rectum'],
      ['snomed', '363406005', 'Malignant neoplasm of colon'],
      ['snomed', '93761005', 'Primary malignant neoplasm of colon'],
    ]),
    vsac(oid(VS.totalColectomy), 'Total Colectomy', [
      ['cpt', '44150'], ['cpt', '44151'], ['cpt', '44155'], ['cpt', '44156'], ['cpt', '44157'], ['cpt', '44158'],
      ['cpt', '44210'], ['cpt', '44211'], ['cpt', '44212'],
      ['snomed', '26390003', 'Total colectomy'],
    ]),
    vsac(oid(VS.mammography), 'Mammography', [
      ['loinc', '24606-6', 'MG Breast Screening'],
      ['loinc', '24604-1', 'MG Breast Diagnostic Limited Views'],
      ['loinc', '26175-0', 'MG Breast - bilateral Screening'],
      ['loinc', '26346-7'], ['loinc', '26347-5'], ['loinc', '26348-3'],
      ['loinc', '36319-2'], ['loinc', '46335-6'], ['loinc', '46336-4'], ['loinc', '46337-2'],
      ['loinc', '86462-9'], ['loinc', '86463-7'],
    ]),
    vsac(oid(VS.bilateralMastectomy), 'Bilateral Mastectomy', [
      ['snomed', '52314009', 'Total mastectomy (procedure)'],
      ['snomed', '456903003', 'Bilateral mastectomy'],
      ['icd10pcs', '0HTV0ZZ', 'Resection of Bilateral Breast, Open Approach'],
    ]),
    vsac(oid(VS.historyOfBilateralMastectomy), 'History of bilateral mastectomy', [
      ['icd10cm', 'Z90.13', 'Acquired absence of bilateral breasts and nipples'],
      ['snomed', '136071000119101', 'History of bilateral mastectomy'],
    ]),
    vsac(oid(VS.statusPostLeftMastectomy), 'Status Post Left Mastectomy', [
      ['icd10cm', 'Z90.12', 'Acquired absence of left breast and nipple'],
      ['snomed', '429009003', 'History of left mastectomy'],
    ]),
    vsac(oid(VS.statusPostRightMastectomy), 'Status Post Right Mastectomy', [
      ['icd10cm', 'Z90.11', 'Acquired absence of right breast and nipple'],
      ['snomed', '429242008', 'History of right mastectomy'],
    ]),
    vsac(oid(VS.papTest), 'Pap Test', [
      ['loinc', '10524-7', 'Microscopic observation [Identifier] in Cervix by Cyto stain'],
      ['loinc', '18500-9'], ['loinc', '19762-4'], ['loinc', '19764-0'], ['loinc', '19765-7'], ['loinc', '19766-5'],
      ['loinc', '19774-9'], ['loinc', '33717-0'], ['loinc', '47527-7'], ['loinc', '47528-5'],
    ]),
    vsac(oid(VS.hpvTest), 'HPV Test', [
      ['loinc', '21440-3'], ['loinc', '30167-1'], ['loinc', '38372-9'], ['loinc', '59263-4'], ['loinc', '59420-0'],
      ['loinc', '69002-4'], ['loinc', '71431-1'], ['loinc', '75406-9'], ['loinc', '77379-6'], ['loinc', '77399-4'],
      ['loinc', '77400-0'], ['loinc', '82354-2'], ['loinc', '82456-5'], ['loinc', '82675-0'],
    ]),
    vsac(oid(VS.hysterectomyNoResidualCervix), 'Hysterectomy with No Residual Cervix', [
      ['cpt', '58150'], ['cpt', '58152'], ['cpt', '58200'], ['cpt', '58210'], ['cpt', '58260'], ['cpt', '58262'],
      ['cpt', '58550'], ['cpt', '58570'], ['cpt', '58571'],
      ['snomed', '116140006', 'Total hysterectomy'],
    ]),
    vsac(oid(VS.absenceOfCervix), 'Congenital or Acquired Absence of Cervix', [
      ['icd10cm', 'Q51.5', 'Agenesis and aplasia of cervix'],
      ['icd10cm', 'Z90.710', 'Acquired absence of both cervix and uterus'],
      ['icd10cm', 'Z90.712', 'Acquired absence of cervix with remaining uterus'],
      ['snomed', '428078001', 'History of total hysterectomy'],
    ]),
    vsac(oid(VS.diabetes), 'Diabetes', [
      ['icd10cm', 'E10.9'], ['icd10cm', 'E10.65'], ['icd10cm', 'E11.9', 'Type 2 diabetes mellitus without complications'],
      ['icd10cm', 'E11.65'], ['icd10cm', 'E11.69'], ['icd10cm', 'E13.9'],
      ['snomed', '44054006', 'Diabetes mellitus type 2'],
      ['snomed', '46635009', 'Diabetes mellitus type 1'],
      ['snomed', '73211009', 'Diabetes mellitus'],
    ]),
    vsac(oid(VS.hba1cLabTest), 'HbA1c Laboratory Test', [
      ['loinc', '4548-4', 'Hemoglobin A1c/Hemoglobin.total in Blood'],
      ['loinc', '4549-2', 'Hemoglobin A1c/Hemoglobin.total in Blood by Electrophoresis'],
      ['loinc', '17855-8', 'Hemoglobin A1c/Hemoglobin.total in Blood by calculation'],
      ['loinc', '17856-6', 'Hemoglobin A1c/Hemoglobin.total in Blood by HPLC'],
      ['loinc', '96595-4', 'Hemoglobin A1c/Hemoglobin.total in DBS'],
    ]),
    own('glucose-management-indicator', 'Glucose Management Indicator (CMS122 direct reference code)', [
      ['loinc', '97506-0', 'Glucose management indicator'],
    ]),
    vsac(oid(VS.essentialHypertension), 'Essential Hypertension', [
      ['icd10cm', 'I10', 'Essential (primary) hypertension'],
      ['snomed', '59621000', 'Essential hypertension'],
      ['snomed', '1201005', 'Benign essential hypertension'],
      ['snomed', '38341003', 'Hypertensive disorder'],
    ]),
    vsac(oid(VS.endStageRenalDisease), 'End Stage Renal Disease', [
      ['icd10cm', 'N18.6', 'End stage renal disease'],
      ['snomed', '46177005', 'End-stage renal disease'],
    ]),
    vsac(oid(VS.kidneyTransplantRecipient), 'Kidney Transplant Recipient', [
      ['icd10cm', 'Z94.0', 'Kidney transplant status'],
    ]),
    vsac(oid(VS.dialysisServices), 'Dialysis Services', [['cpt', '90935'], ['cpt', '90937'], ['cpt', '90945']]),
    // Used by the CQL pack (src/rules/cql/CareloopControllingBloodPressure.cql): CMS165v13's kidney exclusions.
    vsac(oid(VS.chronicKidneyDiseaseStage5), 'Chronic Kidney Disease, Stage 5', [
      ['icd10cm', 'N18.5', 'Chronic kidney disease, stage 5'],
      ['snomed', '433146000', 'Chronic kidney disease stage 5'],
    ]),
    vsac(oid(VS.kidneyTransplant), 'Kidney Transplant', [
      ['cpt', '50360'], ['cpt', '50365'],
      ['snomed', '70536003', 'Transplantation of kidney'],
    ]),
    vsac(oid(VS.esrdMonthlyOutpatientServices), 'ESRD Monthly Outpatient Services', [
      ['cpt', '90951'], ['cpt', '90954'], ['cpt', '90957'], ['cpt', '90960'], ['cpt', '90961'], ['cpt', '90962'], ['cpt', '90966'], ['cpt', '90970'],
    ]),
    vsac(oid(VS.pregnancy), 'Pregnancy', [
      ['icd10cm', 'Z33.1', 'Pregnant state, incidental'],
      ['snomed', '77386006', 'Pregnancy'],
    ]),
    vsac(oid(VS.hospiceEncounter), 'Hospice Encounter', [
      ['snomed', '183919006', 'Urgent admission to hospice'],
      ['snomed', '183920000', 'Routine admission to hospice'],
      ['hcpcs', 'Q5001'], ['hcpcs', 'Q5002'], ['hcpcs', 'Q5003'],
    ]),
    vsac(oid(VS.hospiceCareAmbulatory), 'Hospice Care Ambulatory', [
      ['snomed', '385763009', 'Hospice care'],
      ['snomed', '385765002', 'Hospice care management'],
      ['cpt', '99377'], ['cpt', '99378'], ['hcpcs', 'G0182'],
    ]),
    // Used by the CQL pack (src/rules/cql/CareloopCommon.cql): the 2025 Hospice and
    // AdvancedIllnessandFrailty libraries' inpatient discharge, hospice diagnosis and dementia medications.
    vsac(oid(VS.hospiceDiagnosis), 'Hospice Diagnosis', [['snomed', '170935008', 'Full care by hospice']]),
    vsac(oid(VS.encounterInpatient), 'Encounter Inpatient', [
      ['snomed', '183452005', 'Emergency hospital admission'],
      ['snomed', '32485007', 'Hospital admission'],
      ['snomed', '8715000', 'Hospital admission, elective'],
    ]),
    // Starter subset of the official expansion (its common oral and transdermal products); load the
    // expansion for the rest.
    vsac(oid(VS.dementiaMedications), 'Dementia Medications', [
      ['rxnorm', '997229', 'donepezil hydrochloride 5 MG Oral Tablet'],
      ['rxnorm', '997223', 'donepezil hydrochloride 10 MG Oral Tablet'],
      ['rxnorm', '1100184', 'donepezil hydrochloride 23 MG Oral Tablet'],
      ['rxnorm', '310436', 'galantamine 4 MG Oral Tablet'],
      ['rxnorm', '310437', 'galantamine 8 MG Oral Tablet'],
      ['rxnorm', '996571', 'memantine hydrochloride 5 MG Oral Tablet'],
      ['rxnorm', '996561', 'memantine hydrochloride 10 MG Oral Tablet'],
      ['rxnorm', '314214', 'rivastigmine 1.5 MG Oral Capsule'],
      ['rxnorm', '725021', '24 HR rivastigmine 0.192 MG/HR Transdermal System'],
    ]),
    vsac(oid(VS.palliativeCareEncounter), 'Palliative Care Encounter', [['hcpcs', 'G9054'], ['hcpcs', 'M1017']]),
    vsac(oid(VS.palliativeCareIntervention), 'Palliative Care Intervention', [
      ['snomed', '103735009', 'Palliative care'],
      ['snomed', '713281006', 'Consultation for palliative care'],
    ]),
    vsac(oid(VS.palliativeCareDiagnosis), 'Palliative Care Diagnosis', [
      ['icd10cm', 'Z51.5', 'Encounter for palliative care'],
    ]),
    own('palliative-care-assessment', 'Palliative care assessment (eCQM direct reference code)', [
      ['loinc', '71007-9', 'Functional Assessment of Chronic Illness Therapy - Palliative Care [FACIT-Pal]'],
    ]),
    vsac(oid(VS.frailtyDiagnosis), 'Frailty Diagnosis', [
      ['icd10cm', 'R54', 'Age-related physical debility'],
      ['icd10cm', 'Z74.01', 'Bed confinement status'],
      ['icd10cm', 'Z91.81', 'History of falling'],
      ['icd10cm', 'R26.2'], ['icd10cm', 'R26.89'],
      ['snomed', '248279007', 'Frailty'],
    ]),
    vsac(oid(VS.frailtySymptom), 'Frailty Symptom', [
      ['icd10cm', 'R53.1', 'Weakness'], ['icd10cm', 'R53.81', 'Other malaise'], ['icd10cm', 'M62.81', 'Muscle weakness (generalized)'],
      ['snomed', '13791008', 'Asthenia'],
    ]),
    vsac(oid(VS.frailtyDevice), 'Frailty Device', [
      ['hcpcs', 'E0100'], ['hcpcs', 'E0130'], ['hcpcs', 'E0135'], ['hcpcs', 'E1130'],
    ]),
    vsac(oid(VS.frailtyEncounter), 'Frailty Encounter', [['cpt', '99504'], ['cpt', '99509'], ['hcpcs', 'T1000']]),
    vsac(oid(VS.advancedIllness), 'Advanced Illness', [
      ['icd10cm', 'C25.9', 'Malignant neoplasm of pancreas, unspecified'],
      ['icd10cm', 'G30.9', "Alzheimer's disease, unspecified"],
      ['icd10cm', 'F03.90'], ['icd10cm', 'G12.21', 'Amyotrophic lateral sclerosis'],
      ['icd10cm', 'I50.9', 'Heart failure, unspecified'], ['icd10cm', 'J43.9', 'Emphysema, unspecified'],
      ['icd10cm', 'N18.5'], ['icd10cm', 'K74.60'],
    ]),
    vsac(oid(VS.nursingFacilityVisit), 'Nursing Facility Visit', [
      ['cpt', '99304'], ['cpt', '99305'], ['cpt', '99306'], ['cpt', '99307'], ['cpt', '99308'], ['cpt', '99309'], ['cpt', '99310'],
    ]),
    vsac(oid(VS.longTermResidentialCare), 'Care Services in Long-Term Residential Facility', [
      ['cpt', '99334'], ['cpt', '99335'], ['cpt', '99336'], ['cpt', '99337'],
    ]),
    vsac(oid(VS.influenzaVaccine), 'Influenza Vaccine', [
      ['cvx', '88', 'influenza virus vaccine, unspecified formulation'],
      ['cvx', '135'], ['cvx', '140'], ['cvx', '141'], ['cvx', '150'], ['cvx', '153'], ['cvx', '155'],
      ['cvx', '158'], ['cvx', '161'], ['cvx', '166'], ['cvx', '168'], ['cvx', '171'], ['cvx', '185'],
      ['cvx', '186'], ['cvx', '197'], ['cvx', '205'],
    ]),
    own('influenza-vaccine-contraindication', 'Influenza vaccine contraindication', [
      ['snomed', '294647003', 'Allergy to influenza vaccine'],
      ['snomed', '293112000', 'Influenza vaccine adverse reaction'],
    ]),
    vsac(oid(VS.pneumococcalVaccine), 'Pneumococcal Vaccine', [
      ['cvx', '33', 'pneumococcal polysaccharide vaccine, 23 valent'],
      ['cvx', '109', 'pneumococcal vaccine, unspecified formulation'],
      ['cvx', '133', 'pneumococcal conjugate vaccine, 13 valent'],
      ['cvx', '215', 'pneumococcal conjugate vaccine, 15 valent'],
      ['cvx', '216', 'pneumococcal conjugate vaccine, 20 valent'],
    ]),
    vsac(oid(VS.tobaccoUseScreening), 'Tobacco Use Screening', [
      ['loinc', '72166-2', 'Tobacco smoking status'],
      ['loinc', '68535-4', 'Have you used tobacco in the last 30 days'],
      ['loinc', '39240-7', 'Tobacco use status CPHS'],
    ]),
    vsac(oid(VS.tobaccoUser), 'Tobacco User', [
      ['snomed', '77176002', 'Smoker'],
      ['snomed', '449868002', 'Smokes tobacco daily'],
      ['snomed', '428041000124106', 'Occasional tobacco smoker'],
      ['snomed', '428061000124105', 'Light tobacco smoker'],
      ['snomed', '428071000124103', 'Heavy tobacco smoker'],
      ['snomed', '65568007', 'Cigarette smoker'],
    ]),
    vsac(oid(VS.tobaccoNonUser), 'Tobacco Non-User', [
      ['snomed', '266919005', 'Never smoked tobacco'],
      ['snomed', '8517006', 'Ex-smoker'],
      ['snomed', '8392000', 'Non-smoker'],
    ]),
    vsac(oid(VS.tobaccoCessationCounseling), 'Tobacco Use Cessation Counseling', [
      ['cpt', '99406'], ['cpt', '99407'],
      ['snomed', '225323000', 'Smoking cessation education'],
      ['snomed', '710081004', 'Smoking cessation therapy'],
    ]),
    vsac(oid(VS.tobaccoCessationPharmacotherapy), 'Tobacco Use Cessation Pharmacotherapy', [
      ['rxnorm', '636671', 'varenicline 0.5 MG Oral Tablet'],
      ['rxnorm', '636676', 'varenicline 1 MG Oral Tablet'],
    ]),
    vsac(oid(VS.medicalReason), 'Medical Reason', [
      ['snomed', '183932001', 'Procedure contraindicated'],
      ['snomed', '397745006', 'Medical contraindication'],
      ['snomed', '407563006', 'Treatment not tolerated'],
      ['snomed', '410534003', 'Not indicated'],
    ]),
    vsac(oid(VS.myocardialInfarction), 'Myocardial Infarction', [
      ['icd10cm', 'I21.9', 'Acute myocardial infarction, unspecified'],
      ['icd10cm', 'I25.2', 'Old myocardial infarction'],
      ['snomed', '22298006', 'Myocardial infarction'],
    ]),
    vsac(oid(VS.atherosclerosisPad), 'Atherosclerosis and Peripheral Arterial Disease', [
      ['icd10cm', 'I70.0', 'Atherosclerosis of aorta'],
      ['icd10cm', 'I73.9', 'Peripheral vascular disease, unspecified'],
      ['snomed', '399957001', 'Peripheral arterial occlusive disease'],
    ]),
    vsac(oid(VS.ischemicHeartDisease), 'Ischemic Heart Disease or Other Related Diagnoses', [
      ['icd10cm', 'I25.10', 'Atherosclerotic heart disease of native coronary artery without angina pectoris'],
      ['icd10cm', 'I25.9', 'Chronic ischemic heart disease, unspecified'],
      ['snomed', '53741008', 'Coronary arteriosclerosis'],
      ['snomed', '414545008', 'Ischemic heart disease'],
    ]),
    vsac(oid(VS.angina), 'Stable and Unstable Angina', [
      ['icd10cm', 'I20.0', 'Unstable angina'],
      ['icd10cm', 'I20.9', 'Angina pectoris, unspecified'],
      ['snomed', '194828000', 'Angina'],
    ]),
    vsac(oid(VS.cerebrovascularDisease), 'Cerebrovascular Disease, Stroke, TIA', [
      ['icd10cm', 'I63.9', 'Cerebral infarction, unspecified'],
      ['icd10cm', 'G45.9', 'Transient cerebral ischemic attack, unspecified'],
      ['snomed', '422504002', 'Ischemic stroke'],
      ['snomed', '266257000', 'Transient ischemic attack'],
    ]),
    vsac(oid(VS.pci), 'PCI', [['cpt', '92920'], ['cpt', '92928'], ['snomed', '415070008', 'Percutaneous coronary intervention']]),
    vsac(oid(VS.cabg), 'CABG Surgeries', [['cpt', '33533'], ['snomed', '232717009', 'Coronary artery bypass grafting']]),
    // Starter subset of the official expansion; load the expansion for the rest.
    vsac(oid(VS.lowIntensityStatin), 'Low Intensity Statin Therapy', [
      ['rxnorm', '314231', 'simvastatin 10 MG Oral Tablet'],
      ['rxnorm', '904458', 'pravastatin sodium 10 MG Oral Tablet'],
      ['rxnorm', '904467', 'pravastatin sodium 20 MG Oral Tablet'],
      ['rxnorm', '197903', 'lovastatin 10 MG Oral Tablet'],
      ['rxnorm', '197904', 'lovastatin 20 MG Oral Tablet'],
      ['rxnorm', '310404', 'fluvastatin 20 MG Oral Capsule'],
    ]),
    vsac(oid(VS.moderateIntensityStatin), 'Moderate Intensity Statin Therapy', [
      ['rxnorm', '617312', 'atorvastatin 10 MG Oral Tablet'],
      ['rxnorm', '617310', 'atorvastatin 20 MG Oral Tablet'],
    ]),
    vsac(oid(VS.highIntensityStatin), 'High Intensity Statin Therapy', [
      ['rxnorm', '617311', 'atorvastatin 40 MG Oral Tablet'],
      ['rxnorm', '259255', 'atorvastatin 80 MG Oral Tablet'],
    ]),
    vsac(oid(VS.rhabdomyolysis), 'Rhabdomyolysis', [
      ['icd10cm', 'M62.82', 'Rhabdomyolysis'],
      ['snomed', '240131006', 'Rhabdomyolysis'],
    ]),
    vsac(oid(VS.statinAllergen), 'Statin Allergen', [
      ['rxnorm', '83367', 'atorvastatin'],
      ['rxnorm', '36567', 'simvastatin'],
      ['rxnorm', '301542', 'rosuvastatin'],
      ['rxnorm', '42463', 'pravastatin'],
      ['rxnorm', '6472', 'lovastatin'],
    ]),
    vsac(oid(VS.statinMuscleSymptoms), 'Statin Associated Muscle Symptoms', [
      ['icd10cm', 'G72.0', 'Drug-induced myopathy'],
    ]),
    vsac(oid(VS.pregnancyOrRelated), 'Pregnancy or Other Related Diagnoses', [
      ['icd10cm', 'Z33.1', 'Pregnant state, incidental'],
      ['snomed', '77386006', 'Pregnancy'],
    ]),
    vsac(oid(VS.breastfeeding), 'Breastfeeding', [['icd10cm', 'Z39.1', 'Encounter for care and examination of lactating mother']]),
    vsac(oid(VS.liverDisease), 'Liver Disease', [['icd10cm', 'K70.30'], ['icd10cm', 'K74.60']]),
    vsac(oid(VS.hepatitisA), 'Hepatitis A', [['icd10cm', 'B15.9', 'Hepatitis A without hepatic coma']]),
    vsac(oid(VS.hepatitisB), 'Hepatitis B', [['icd10cm', 'B18.1'], ['icd10cm', 'B16.9']]),
  ].map((v) => [v.url, v] as const),
);
