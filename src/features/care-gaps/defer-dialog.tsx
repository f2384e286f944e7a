import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import FormControl from '@mui/material/FormControl';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormLabel from '@mui/material/FormLabel';
import Radio from '@mui/material/Radio';
import RadioGroup from '@mui/material/RadioGroup';
import TextField from '@mui/material/TextField';
import { DISMISS_REASONS, SNOOZE_REASONS } from './defer-reasons';
import type { DeferDraft } from './ui-store';

export interface DeferDialogProps {
  draft: DeferDraft;
  title: string;
  minDate: string;
  onChange: (patch: Partial<Omit<DeferDraft, 'rule' | 'kind'>>) => void;
  onSubmit: () => void;
  onCancel: () => void;
}

/** "Not now" (snooze until a day, with a reason) or "Dismiss" (a reason from the list). */
export function DeferDialog({ draft, title, minDate, onChange, onSubmit, onCancel }: DeferDialogProps) {
  const snooze = draft.kind === 'snooze';
  const reasons = snooze ? SNOOZE_REASONS : DISMISS_REASONS;
  const valid = draft.reason !== '' && (!snooze || draft.until > minDate);
  return (
    <Dialog open onClose={onCancel} aria-labelledby="defer-title" fullWidth>
      <DialogTitle id="defer-title" sx={{ fontSize: '1rem' }}>
        {snooze ? `Not now: ${title}` : `Dismiss: ${title}`}
      </DialogTitle>
      <DialogContent>
        {snooze ? (
          <TextField
            label="Remind me on"
            type="date"
            value={draft.until}
            onChange={(e) => onChange({ until: e.target.value })}
            slotProps={{ inputLabel: { shrink: true }, htmlInput: { min: minDate } }}
            fullWidth
            size="small"
            sx={{ mt: 1, mb: 2 }}
          />
        ) : null}
        <FormControl>
          <FormLabel id="defer-reason-label">Reason</FormLabel>
          <RadioGroup aria-labelledby="defer-reason-label" value={draft.reason} onChange={(e) => onChange({ reason: e.target.value })}>
            {reasons.map((r) => (
              <FormControlLabel key={r.code} value={r.code} control={<Radio size="small" />} label={r.display} />
            ))}
          </RadioGroup>
        </FormControl>
      </DialogContent>
      <DialogActions>
        <Button onClick={onCancel}>Cancel</Button>
        <Button variant="contained" onClick={onSubmit} disabled={!valid}>
          {snooze ? 'Snooze' : 'Dismiss'}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
