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
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import { DISMISS_REASONS, SNOOZE_REASONS } from './snooze-reasons.ts';
import type { SnoozeDraft } from './ui-store.ts';

export interface SnoozeDialogProps {
  draft: SnoozeDraft;
  title: string;
  minDate: string;
  onChange: (patch: Partial<Omit<SnoozeDraft, 'rule' | 'kind'>>) => void;
  onSubmit: () => void;
  onCancel: () => void;
}

/** `YYYY-MM-DD` plus n days (calendar arithmetic in UTC). */
function plusDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** Whether a string is a real calendar day written `YYYY-MM-DD`. */
export function isIsoDay(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

const QUICK = [
  { days: 14, label: 'In 2 weeks' },
  { days: 30, label: 'In 1 month' },
  { days: 91, label: 'In 3 months' },
] as const;

/**
 * "Not now" (snooze until a day, with a reason) or "Dismiss" (a reason from the list). The day is
 * typed and shown as `YYYY-MM-DD`, like every date in Careloop (a native date input would show the
 * browser's locale format); the reasons are one radio group: one Tab stop, arrow keys to choose.
 */
export function SnoozeDialog({ draft, title, minDate, onChange, onSubmit, onCancel }: SnoozeDialogProps) {
  const snooze = draft.kind === 'snooze';
  const reasons = snooze ? SNOOZE_REASONS : DISMISS_REASONS;
  const dayOk = isIsoDay(draft.until) && draft.until > minDate;
  const valid = draft.reason !== '' && (!snooze || dayOk);
  const tabStop = reasons.some((r) => r.code === draft.reason) ? draft.reason : reasons[0]?.code;
  return (
    <Dialog open onClose={onCancel} aria-labelledby="snooze-title" fullWidth>
      <DialogTitle id="snooze-title" sx={{ fontSize: '1rem' }}>
        {snooze ? `Not now: ${title}` : `Dismiss: ${title}`}
      </DialogTitle>
      <DialogContent>
        {snooze ? (
          <>
            <TextField
              label="Remind me on"
              value={draft.until}
              onChange={(e) => onChange({ until: e.target.value.trim() })}
              error={!dayOk}
              helperText={dayOk ? 'YYYY-MM-DD' : `A day after ${minDate}, as YYYY-MM-DD`}
              slotProps={{ inputLabel: { shrink: true }, htmlInput: { inputMode: 'numeric', placeholder: 'YYYY-MM-DD', maxLength: 10, autoComplete: 'off' } }}
              fullWidth
              size="small"
              sx={{ mt: 1, mb: 0.5 }}
            />
            <Stack direction="row" spacing={0.5} sx={{ mb: 2, flexWrap: 'wrap' }} role="group" aria-label="Quick choices">
              {QUICK.map((q) => (
                <Button key={q.days} size="small" onClick={() => onChange({ until: plusDays(minDate, q.days) })}>
                  {q.label}
                </Button>
              ))}
            </Stack>
          </>
        ) : null}
        <FormControl>
          <FormLabel id="snooze-reason-label">Reason</FormLabel>
          <RadioGroup aria-labelledby="snooze-reason-label" value={draft.reason} onChange={(e) => onChange({ reason: e.target.value })}>
            {reasons.map((r) => (
              <FormControlLabel
                key={r.code}
                value={r.code}
                control={<Radio size="small" slotProps={{ input: { tabIndex: r.code === tabStop ? 0 : -1 } }} />}
                label={r.display}
              />
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
