import Box from '@mui/material/Box';
import Typography from '@mui/material/Typography';
import type { PatientSummary } from '../../fhir/patient-summary.ts';

const SEX: Record<PatientSummary['sex'], string> = { female: 'Female', male: 'Male', other: 'Other', unknown: 'Sex unknown' };

/**
 * The patient's identity at the top of the panel. With `full` (the EHR set need_patient_banner)
 * it is a compact banner with age, sex and birth date; otherwise only the name, to confirm the
 * chart, since the EHR already shows its own banner.
 */
export function PatientBanner({ summary, full }: { summary: PatientSummary; full: boolean }) {
  return (
    <Box component="header" aria-label="Patient" sx={{ px: 2, py: 1, borderBottom: 1, borderColor: 'divider' }}>
      <Typography component="h1" variant="subtitle1" sx={{ fontWeight: 600, lineHeight: 1.3 }}>
        {summary.name}
      </Typography>
      {full ? (
        <Typography variant="body2" color="text.secondary">
          {[summary.age !== null ? `${summary.age} y` : 'Age unknown', SEX[summary.sex], summary.birthDate ? `DOB ${summary.birthDate}` : null]
            .filter(Boolean)
            .join(' · ')}
        </Typography>
      ) : null}
    </Box>
  );
}
