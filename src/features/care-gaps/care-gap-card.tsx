import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardActions from '@mui/material/CardActions';
import CardContent from '@mui/material/CardContent';
import Chip from '@mui/material/Chip';
import Collapse from '@mui/material/Collapse';
import Typography from '@mui/material/Typography';
import type { WriteBlock } from '../../smart/permissions.ts';
import type { OpenGap } from '../../writeback/builders.ts';
import type { Task } from '@medplum/fhirtypes';
import { lazy, Suspense, useRef, type Ref } from 'react';
import type { ConfirmOutcome } from './use-confirm.ts';
import { actionLabel, indicatorOf, summaryOf, timingLine } from './gap-views.ts';
import { useConfirm } from './use-confirm.ts';
import { WhyPanel } from './why-panel.tsx';
import { keepDates } from '../shared/dates.tsx';
import { LIVE_HOLD } from '../live-updates/live-updates-provider.tsx';

/** Loaded when the clinician first asks to act (see the SnoozeDialog note in care-gap-panel.tsx). */
const ConfirmDialog = lazy(() => import('./confirm-dialog.tsx').then((m) => ({ default: m.ConfirmDialog })));

const SEVERITY = { info: 'info', warning: 'warning', critical: 'error' } as const;

export interface CareGapCardProps {
  gap: OpenGap;
  outreach: Task | null;
  /** The decision's correlation id for a rule, minted on first use (the panel's store keeps it). */
  correlationOf: (rule: string) => string;
  patientName: string;
  requester: string | null;
  whyOpen: boolean;
  /** The card's heading, which takes the focus when the card replaces one snoozed or dismissed. */
  headingRef?: Ref<HTMLHeadingElement>;
  confirmOpen: boolean;
  asOfLabel: string;
  /** Why the action may not be written back (then no write is offered), or null. */
  writeBlock: WriteBlock | null;
  /** Whether "Not now" and "Dismiss" are offered: decisions only a clinician records. */
  canSnooze: boolean;
  onWhy: () => void;
  onOpenConfirm: () => void;
  onCloseConfirm: () => void;
  onSnooze: () => void;
  onDismiss: () => void;
  /** After a confirm: the outcome, and the gap it was for. */
  onWritten: (outcome: ConfirmOutcome, gap: OpenGap) => void;
}

/** The next-best action: what, why, and one button that says what will happen. */
export function CareGapCard(props: CareGapCardProps) {
  const { gap, whyOpen, confirmOpen } = props;
  const { onWritten, onCloseConfirm } = props;
  const confirm = useConfirm(gap, props.correlationOf, props.outreach, (outcome) => {
    onWritten(outcome, gap);
    onCloseConfirm();
  });
  const submitting = useRef(false);
  const indicator = indicatorOf(gap);
  const severity = SEVERITY[indicator];
  const failure = confirm.data?.write.kind === 'failed' ? confirm.data.write : null;

  return (
    <Card component="section" variant="outlined" aria-labelledby="next-action-title" sx={{ m: 1 }} {...LIVE_HOLD}>
      <CardContent sx={{ pb: 1 }}>
        <Alert severity={severity} icon={false} sx={{ py: 0, mb: 1 }}>
          <Typography variant="caption" sx={{ fontWeight: 600 }}>
            {keepDates(timingLine(gap))}
          </Typography>
        </Alert>
        <Typography id="next-action-title" component="h2" variant="subtitle2" ref={props.headingRef} tabIndex={-1} sx={{ lineHeight: 1.35 }}>
          {keepDates(summaryOf(gap))}
        </Typography>
        <Box sx={{ mt: 0.5, display: 'flex', gap: 0.5, flexWrap: 'wrap', alignItems: 'center' }}>
          <Chip size="small" label={gap.measure ? `${gap.title} · ${gap.measure}` : gap.title} sx={{ height: 'auto', maxWidth: '100%', '& .MuiChip-label': { whiteSpace: 'normal', py: 0.25 } }} />
          <Typography variant="caption" color="text.secondary">
            {gap.citation.text}
          </Typography>
        </Box>
        <Collapse in={whyOpen} unmountOnExit>
          <WhyPanel gap={gap} />
        </Collapse>
        <Typography variant="caption" component="p" color="text.secondary" sx={{ mt: 1 }}>
          As of {props.asOfLabel}
        </Typography>
        {props.writeBlock?.kind === 'missing-scope' ? (
          <Typography variant="caption" component="p" sx={{ mt: 0.5 }}>
            Read only: the EHR did not give Careloop permission to write this ({props.writeBlock.scopes.join(', ')}).
          </Typography>
        ) : null}
      </CardContent>
      <CardActions sx={{ flexWrap: 'wrap', gap: 0.5, px: 2, pb: 2 }}>
        {props.writeBlock ? null : (
          <Button variant="contained" size="small" onClick={props.onOpenConfirm}>
            {actionLabel(gap)}
          </Button>
        )}
        <Button size="small" onClick={props.onWhy} aria-expanded={whyOpen}>
          {whyOpen ? 'Hide why' : 'Why?'}
        </Button>
        {props.canSnooze ? (
          <>
            <Button size="small" onClick={props.onSnooze}>
              Not now
            </Button>
            <Button size="small" onClick={props.onDismiss}>
              Dismiss
            </Button>
          </>
        ) : null}
      </CardActions>
      {confirmOpen && !props.writeBlock ? (
        <Suspense fallback={null}>
          <ConfirmDialog
            gap={gap}
            outreach={props.outreach}
            patientName={props.patientName}
            requester={props.requester}
            open
            pending={confirm.isPending}
            failure={failure}
            onConfirm={() => {
              // A second click can arrive before React re-renders the button as disabled.
              if (submitting.current) return;
              submitting.current = true;
              confirm.mutate(undefined, { onSettled: () => void (submitting.current = false) });
            }}
            onCancel={props.onCloseConfirm}
          />
        </Suspense>
      ) : null}
    </Card>
  );
}
