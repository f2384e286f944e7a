import Box from '@mui/material/Box';
import Link from '@mui/material/Link';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import ListItemText from '@mui/material/ListItemText';
import Typography from '@mui/material/Typography';
import type { Evidence } from '../../rules/index.ts';
import { clinicalUnits, codeLabel } from './code-systems.ts';
import type { OpenGap } from '../../writeback/builders.ts';
import { keepDates } from '../shared/dates.tsx';

const ROLE: Record<Evidence['role'], string> = {
  numerator: 'Counts toward the measure',
  'most-recent': 'Most recent',
  exclusion: 'Exclusion',
  exception: 'Exception',
  negation: 'Not done',
  diagnosis: 'Diagnosis',
  visit: 'Visit',
  demographics: 'Patient',
  invalid: 'Not usable',
};

/** What a piece of evidence is, in words: its code by name (SNOMED CT, LOINC …), value and day. */
function describe(e: Evidence): string {
  const parts = [e.code ? `${e.code.display ?? e.code.code} (${codeLabel(e.code)})` : null, e.value ? clinicalUnits(e.value) : null, e.date ?? null];
  return parts.filter(Boolean).join(' · ') || `${e.reference.split('/')[0] ?? 'A'} record`;
}

/** The evidence behind a gap: what was found or missing, with dates, values and codes, the rule and the guideline. */
export function WhyPanel({ gap }: { gap: OpenGap }) {
  return (
    <Box component="section" aria-label="Why this is recommended" sx={{ mt: 1, p: 1, bgcolor: 'action.hover', borderRadius: 1 }}>
      <Typography variant="body2">{keepDates(gap.reason)}</Typography>
      {gap.evidence.length === 0 ? (
        <Typography variant="body2" sx={{ mt: 0.5 }}>
          Nothing in the record closes this gap.
        </Typography>
      ) : (
        <List dense disablePadding aria-label="Evidence">
          {gap.evidence.map((e) => (
            <ListItem key={`${e.role}-${e.reference}`} disableGutters>
              <ListItemText primary={keepDates(`${ROLE[e.role]}: ${describe(e)}`)} secondary={e.note ?? null} />
            </ListItem>
          ))}
        </List>
      )}
      <Typography variant="caption" component="p" sx={{ mt: 0.5 }}>
        Rule {gap.rule} v{gap.version}
        {gap.measure ? ` · ${gap.measure}` : ''}
        {/* The pack's digest: it changes with every value set bundle or measure package an admin loads. */}
        {gap.packDigest ? ` · content ${gap.packDigest.slice(0, 12)}` : ''}
      </Typography>
      <Typography variant="caption" component="p">
        {gap.logic.source === 'measure-package' ? 'Decided by official measure logic' : 'Decided by Careloop logic'} {gap.logic.library} {gap.logic.version}
        {gap.logic.elmDigest ? ` · ELM ${gap.logic.elmDigest.slice(0, 12)}` : ''}
      </Typography>
      <Typography variant="caption" component="p">
        Source:{' '}
        <Link href={gap.citation.url} target="_blank" rel="noreferrer noopener">
          {gap.citation.text}
        </Link>
      </Typography>
    </Box>
  );
}
