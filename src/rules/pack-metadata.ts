/**
 * What the CQL rule pack keeps as data beside its CQL: for each rule, its identity (id, version),
 * the library that holds its logic, the words and citation the card shows, its clinical weight and
 * grace months (next-best-action ranking), the write-back action templates its `"Action"` define
 * names by key, and the eCQM it reports in measure mode. No logic lives here: ages, intervals,
 * value sets and exclusions are in src/rules/cql/*.cql.
 */
import type { ActionTemplate, Citation } from './types.ts';

/** The eCQM a rule reports in measure mode. */
export interface MeasureMeta {
  readonly id: string;
  readonly version: string;
  readonly url: string;
  /**
   * Canonical URLs of the official FHIR Measure (as MADiE publishes it): an admin-loaded measure
   * package with one of these URLs replaces the rule's measure logic.
   */
  readonly canonicalUrls?: readonly string[];
  /** CMS122: the numerator is the open gap. */
  readonly inverse: boolean;
}

/** One rule of the CQL pack, as data. */
export interface RuleMeta {
  readonly id: string;
  /** The CQL library (src/rules/cql/<library>.cql) whose defines decide the rule. */
  readonly library: string;
  readonly version: string;
  readonly title: string;
  readonly citation: Citation;
  /** Clinical weight for prioritisation, 0–100 (higher first). */
  readonly weight: number;
  /** Months after the due date before a due gap becomes overdue. */
  readonly graceMonths: number;
  /**
   * The age the guideline starts at, for the wording of a gap with nothing on record ("No … on
   * record (eligible since 45)"); absent when a diagnosis, not an age, makes the rule apply.
   */
  readonly eligibleAge?: number;
  /**
   * A seasonal rule: the month and day (`MM-DD`) of the season whose due date is its first day after
   * which the gap is overdue (influenza: due from Aug 1, overdue after Oct 31).
   */
  readonly seasonDueBy?: string;
  /** Action templates by the key the library's `"Action"` define returns. */
  readonly actions: Readonly<Record<string, ActionTemplate>>;
  readonly measure?: MeasureMeta;
}

/** The rules of the careloop-preventive pack, in pack order. */
export const PACK_RULES: readonly RuleMeta[] = [
  {
    id: 'diabetes-glycemic-status',
    library: 'CareloopDiabetesGlycemicStatus',
    version: '1.0.0',
    title: 'Diabetes: HbA1c/GMI above 9% or missing',
    citation: {
      text: 'CMS122v13 (2025): most recent HbA1c or GMI above 9.0% or missing is poor control. ADA Standards of Care 2025.',
      url: 'https://ecqi.healthit.gov/ecqm/ec/2025/cms0122v13',
    },
    weight: 90,
    graceMonths: 3,
    actions: {
      screening: {
        resourceType: 'ServiceRequest',
        code: {
          system: 'http://loinc.org',
          code: '4548-4',
          display: 'Hemoglobin A1c/Hemoglobin.total in Blood',
        },
        intent: 'proposal',
        text: 'HbA1c test.',
        reason: 'No current HbA1c or GMI for a patient with diabetes (CMS122).',
        label: 'Propose an HbA1c test',
      },
      'poor-control': {
        resourceType: 'Task',
        code: {
          system: 'http://snomed.info/sct',
          code: '698360004',
          display: 'Diabetes self management plan',
        },
        intent: 'plan',
        text: 'Review diabetes treatment: most recent HbA1c/GMI is above 9%.',
        reason: 'Poor glycemic control, HbA1c/GMI > 9% (CMS122).',
        label: 'Create a diabetes treatment review task',
      },
    },
    measure: {
      id: 'CMS122',
      version: '13.0.000',
      url: 'https://ecqi.healthit.gov/ecqm/ec/2025/cms0122v13',
      canonicalUrls: ['https://madie.cms.gov/Measure/CMS122FHIRDiabetesAssessGreaterThan9Percent'],
      inverse: true,
    },
  },
  {
    id: 'controlling-blood-pressure',
    library: 'CareloopControllingBloodPressure',
    version: '1.0.0',
    title: 'Controlling high blood pressure',
    citation: {
      text: 'CMS165v13 (2025): most recent blood pressure below 140/90 mmHg for adults 18–85 with hypertension.',
      url: 'https://ecqi.healthit.gov/ecqm/ec/2025/cms0165v13',
    },
    weight: 85,
    graceMonths: 3,
    actions: {
      screening: {
        resourceType: 'Task',
        code: {
          system: 'http://snomed.info/sct',
          code: '46973005',
          display: 'Blood pressure taking',
        },
        intent: 'plan',
        text: 'Measure blood pressure.',
        reason: 'No blood pressure reading in the last 12 months for a patient with hypertension (CMS165).',
        label: 'Create a task to measure blood pressure',
      },
      uncontrolled: {
        resourceType: 'Task',
        code: {
          system: 'http://snomed.info/sct',
          code: '390906007',
          display: 'Follow-up encounter',
        },
        intent: 'plan',
        text: 'Recheck blood pressure and review antihypertensive treatment.',
        reason: 'Most recent blood pressure is 140/90 mmHg or higher (CMS165).',
        label: 'Create a blood pressure follow-up task',
      },
    },
    measure: {
      id: 'CMS165',
      version: '13.0.000',
      url: 'https://ecqi.healthit.gov/ecqm/ec/2025/cms0165v13',
      canonicalUrls: ['https://madie.cms.gov/Measure/CMS165FHIRControllingHighBloodPressure'],
      inverse: false,
    },
  },
  {
    id: 'statin-therapy-cvd',
    library: 'CareloopStatinTherapy',
    version: '1.0.0',
    title: 'Statin therapy for cardiovascular disease',
    citation: {
      text: 'CMS347 (2025), population 1: patients with clinical ASCVD should be on statin therapy. ACC/AHA 2018 cholesterol guideline.',
      url: 'https://ecqi.healthit.gov/ecqm/ec/2025/cms0347v8',
    },
    weight: 80,
    graceMonths: 1,
    actions: {
      screening: {
        resourceType: 'Task',
        code: {
          system: 'http://snomed.info/sct',
          code: '33633005',
          display: 'Prescription of drug',
        },
        intent: 'proposal',
        text: 'Consider starting statin therapy (high intensity for clinical ASCVD).',
        reason: 'Clinical ASCVD without statin therapy (CMS347, ACC/AHA 2018).',
        label: 'Create a task to consider a statin',
      },
    },
    measure: {
      id: 'CMS347',
      version: '8.0.000',
      url: 'https://ecqi.healthit.gov/ecqm/ec/2025/cms0347v8',
      inverse: false,
    },
  },
  {
    id: 'colorectal-cancer-screening',
    library: 'CareloopColorectalCancerScreening',
    version: '1.0.0',
    title: 'Colorectal cancer screening',
    citation: {
      text: 'USPSTF 2021: screen adults aged 45 to 75 years for colorectal cancer. CMS130v13 (2025).',
      url: 'https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/colorectal-cancer-screening',
    },
    weight: 70,
    graceMonths: 12,
    eligibleAge: 45,
    actions: {
      screening: {
        resourceType: 'ServiceRequest',
        code: {
          system: 'http://snomed.info/sct',
          code: '275978004',
          display: 'Screening for malignant neoplasm of colon',
        },
        intent: 'proposal',
        text: 'Offer colorectal cancer screening (FIT yearly, FIT-DNA every 3 years, or colonoscopy every 10 years).',
        reason: 'Colorectal cancer screening is due (USPSTF 2021, CMS130).',
        label: 'Propose colorectal cancer screening',
      },
    },
    measure: {
      id: 'CMS130',
      version: '13.0.000',
      url: 'https://ecqi.healthit.gov/ecqm/ec/2025/cms0130v13',
      canonicalUrls: ['https://madie.cms.gov/Measure/CMS130FHIRColorectalCancerScreening'],
      inverse: false,
    },
  },
  {
    id: 'breast-cancer-screening',
    library: 'CareloopBreastCancerScreening',
    version: '1.0.0',
    title: 'Breast cancer screening',
    citation: {
      text: 'USPSTF 2024: biennial screening mammography for women aged 40 to 74 years. CMS125v13 (2025).',
      url: 'https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/breast-cancer-screening',
    },
    weight: 65,
    graceMonths: 6,
    eligibleAge: 40,
    actions: {
      screening: {
        resourceType: 'ServiceRequest',
        code: {
          system: 'http://snomed.info/sct',
          code: '24623002',
          display: 'Screening mammography',
        },
        intent: 'proposal',
        text: 'Screening mammogram.',
        reason: 'Biennial breast cancer screening is due (USPSTF 2024, CMS125).',
        label: 'Propose a screening mammogram',
      },
    },
    measure: {
      id: 'CMS125',
      version: '13.0.000',
      url: 'https://ecqi.healthit.gov/ecqm/ec/2025/cms0125v13',
      canonicalUrls: ['https://madie.cms.gov/Measure/CMS125FHIRBreastCancerScreening'],
      inverse: false,
    },
  },
  {
    id: 'cervical-cancer-screening',
    library: 'CareloopCervicalCancerScreening',
    version: '1.0.0',
    title: 'Cervical cancer screening',
    citation: {
      text: 'USPSTF 2018: cytology every 3 years at 21–29; cytology every 3 years or hrHPV every 5 years at 30–65. CMS124v13 (2025).',
      url: 'https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/cervical-cancer-screening',
    },
    weight: 60,
    graceMonths: 6,
    eligibleAge: 21,
    actions: {
      screening: {
        resourceType: 'ServiceRequest',
        code: {
          system: 'http://snomed.info/sct',
          code: '171149006',
          display: 'Screening for malignant neoplasm of cervix',
        },
        intent: 'proposal',
        text: 'Offer cervical cancer screening (cytology, or hrHPV testing from 30).',
        reason: 'Cervical cancer screening is due (USPSTF 2018, CMS124).',
        label: 'Propose cervical cancer screening',
      },
    },
    measure: {
      id: 'CMS124',
      version: '13.0.000',
      url: 'https://ecqi.healthit.gov/ecqm/ec/2025/cms0124v13',
      canonicalUrls: ['https://madie.cms.gov/Measure/CMS124FHIRCervicalCancerScreening'],
      inverse: false,
    },
  },
  {
    id: 'tobacco-screening-cessation',
    library: 'CareloopTobaccoScreening',
    version: '1.0.0',
    title: 'Tobacco use screening and cessation',
    citation: {
      text: 'CMS138v13 (2025): screen for tobacco use at least once a year and offer cessation intervention to users. USPSTF 2021.',
      url: 'https://ecqi.healthit.gov/ecqm/ec/2025/cms0138v13',
    },
    weight: 55,
    graceMonths: 3,
    eligibleAge: 12,
    actions: {
      screening: {
        resourceType: 'Task',
        code: {
          system: 'http://loinc.org',
          code: '72166-2',
          display: 'Tobacco smoking status',
        },
        intent: 'plan',
        text: 'Ask about tobacco use and record the answer.',
        reason: 'No tobacco use screening in the last 12 months (CMS138).',
        label: 'Create a task to ask about tobacco use',
      },
      cessation: {
        resourceType: 'Task',
        code: {
          system: 'http://snomed.info/sct',
          code: '225323000',
          display: 'Smoking cessation education',
        },
        intent: 'plan',
        text: 'Offer tobacco cessation counselling or medication.',
        reason: 'Tobacco user without a cessation intervention (CMS138, USPSTF 2021).',
        label: 'Create a tobacco cessation task',
      },
    },
    measure: {
      id: 'CMS138',
      version: '13.0.000',
      url: 'https://ecqi.healthit.gov/ecqm/ec/2025/cms0138v13',
      inverse: false,
    },
  },
  {
    id: 'influenza-vaccination',
    library: 'CareloopInfluenzaVaccination',
    version: '1.0.0',
    title: 'Annual influenza vaccination',
    citation: {
      text: 'CDC/ACIP 2024–25: annual influenza vaccination for everyone 6 months and older, ideally by the end of October.',
      url: 'https://www.cdc.gov/mmwr/volumes/73/rr/rr7305a1.htm',
    },
    weight: 50,
    graceMonths: 3,
    seasonDueBy: '10-31',
    actions: {
      screening: {
        resourceType: 'ServiceRequest',
        code: {
          system: 'http://snomed.info/sct',
          code: '86198006',
          display: 'Administration of vaccine product containing only Influenza virus antigen',
        },
        intent: 'proposal',
        text: 'Offer this season\'s influenza vaccine.',
        reason: 'Annual influenza vaccination is due (CDC/ACIP).',
        label: 'Propose this season’s flu vaccine',
      },
    },
  },
  {
    id: 'pneumococcal-vaccination',
    library: 'CareloopPneumococcalVaccination',
    version: '1.0.0',
    title: 'Pneumococcal vaccination (65+)',
    citation: {
      text: 'CDC/ACIP: adults 65 and older who have not received a pneumococcal conjugate vaccine should receive one.',
      url: 'https://www.cdc.gov/pneumococcal/hcp/vaccine-recommendations/',
    },
    weight: 45,
    graceMonths: 12,
    eligibleAge: 65,
    actions: {
      screening: {
        resourceType: 'ServiceRequest',
        code: {
          system: 'http://snomed.info/sct',
          code: '12866006',
          display: 'Administration of vaccine product containing only Streptococcus pneumoniae antigen',
        },
        intent: 'proposal',
        text: 'Offer a pneumococcal conjugate vaccine (PCV20 or PCV21).',
        reason: 'No pneumococcal vaccine since the 60th birthday (CDC/ACIP, CMS127).',
        label: 'Propose a pneumococcal vaccine',
      },
    },
  },
];
