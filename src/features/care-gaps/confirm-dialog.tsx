import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import Typography from '@mui/material/Typography';
import type { Task } from '@medplum/fhirtypes';
import type { OpenGap } from '../../writeback/builders.ts';
import { codeLabel } from './code-systems.ts';
import { actionLabel, writtenWords } from './gap-views.ts';
import type { WriteOutcome } from '../../writeback/write-action.ts';
import { useLiveUpdates } from '../live-updates/live-updates-provider.tsx';

export interface ConfirmDialogProps {
  gap: OpenGap;
  outreach: Task | null;
  patientName: string;
  requester: string | null;
  open: boolean;
  pending: boolean;
  failure: Extract<WriteOutcome, { kind: 'failed' }> | null;
  onConfirm: () => void;
  onCancel: () => void;
}

function Row({ label, value }: { label: string; value: string }) {
  return (
    <>
      <Typography component="dt" variant="caption" color="text.secondary">
        {label}
      </Typography>
      <Typography component="dd" variant="body2" sx={{ m: 0, mb: 0.75 }}>
        {value}
      </Typography>
    </>
  );
}

/** Shows exactly what will be written; nothing is written until "Confirm". */
export function ConfirmDialog({ gap, outreach, patientName, requester, open, pending, failure, onConfirm, onCancel }: ConfirmDialogProps) {
  const { action } = gap;
  const what = writtenWords(action);
  // A chart change waits while this is open (the dialog stays); the clinician is told here, where
  // a screen reader is while the rest of the page is hidden behind the dialog.
  const heldSince = useLiveUpdates()?.heldSince ?? null;
  return (
    <Dialog open={open} onClose={pending ? undefined : onCancel} aria-labelledby="confirm-title" fullWidth>
      <DialogTitle id="confirm-title" sx={{ fontSize: '1rem' }}>
        Confirm: {actionLabel(gap)}
      </DialogTitle>
      <DialogContent>
        {/* First, where a narrow sidebar shows it without scrolling past what will be written. */}
        {failure ? (
          <Alert severity="error" role="alert" sx={{ mb: 1 }}>
            {failure.message}
          </Alert>
        ) : null}
        {heldSince !== null ? (
          <Alert severity="warning" role="status" sx={{ mb: 1 }}>
            The chart changed while this was open. Cancel to see the updated care gaps before you confirm.
          </Alert>
        ) : null}
        <Typography variant="body2" sx={{ mb: 1 }}>
          Careloop will write this to the EHR:
        </Typography>
        <dl style={{ margin: 0 }}>
          <Row label="What" value={what.charAt(0).toUpperCase() + what.slice(1)} />
          <Row label="Code" value={`${action.code.display ?? action.text} (${codeLabel(action.code)})`} />
          <Row label="Text" value={action.text} />
          <Row label="Patient" value={patientName} />
          <Row label="Requester" value={requester ?? 'Unknown user (the EHR did not say who you are)'} />
          <Row label="Reason" value={action.reason} />
          <Row label="Rule" value={`${gap.rule} v${gap.version}`} />
          {outreach ? <Row label="Also" value={`Close the open task “${outreach.description ?? 'outreach'}” (${outreach.status}) as done`} /> : null}
        </dl>
      </DialogContent>
      <DialogActions>
        <Button onClick={onCancel} disabled={pending}>
          Cancel
        </Button>
        <Button variant="contained" onClick={onConfirm} disabled={pending} aria-busy={pending}>
          {pending ? 'Saving…' : failure?.retryable ? 'Retry' : 'Confirm'}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
