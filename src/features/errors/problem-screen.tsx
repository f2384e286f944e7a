import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Typography from '@mui/material/Typography';
import type { Problem } from '../../shared/problem.ts';
import { problemCopy } from '../../shared/problem-copy.ts';

/**
 * A full-panel explanation of why Careloop cannot go on: what happened and what to do.
 * All text is ours; server messages appear only as plain text, folded under "Details".
 */
export function ProblemScreen({ problem, onRetry }: { problem: Problem; onRetry?: () => void }) {
  const copy = problemCopy(problem);
  return (
    <Box component="main" sx={{ p: 2 }}>
      <Alert severity={copy.retryable ? 'warning' : 'error'} role="alert">
        <AlertTitle component="h1" sx={{ fontSize: '1rem', fontWeight: 600 }}>
          {copy.title}
        </AlertTitle>
        <Typography variant="body2">{copy.detail}</Typography>
        <Typography variant="body2" sx={{ mt: 1 }}>
          {copy.action}
        </Typography>
        {copy.technical ? (
          // The server's words, as text (React escapes them; never HTML), folded under our own.
          <Box component="details" sx={{ mt: 1 }}>
            <Box component="summary" sx={{ cursor: 'pointer', typography: 'caption', fontWeight: 600 }}>
              Details
            </Box>
            <Typography variant="caption" component="p" sx={{ mt: 0.5, whiteSpace: 'pre-wrap', wordBreak: 'break-word', maxHeight: '50vh', overflowY: 'auto' }}>
              {copy.technical}
            </Typography>
          </Box>
        ) : null}
        {copy.openInNewWindow ? (
          <Button variant="contained" size="small" sx={{ mt: 1, mr: 1 }} href={copy.openInNewWindow} target="_blank" rel="noopener">
            Open Careloop in a new window
          </Button>
        ) : null}
        {copy.retryable && onRetry ? (
          <Button variant="outlined" size="small" sx={{ mt: 1 }} onClick={onRetry}>
            Try again
          </Button>
        ) : null}
      </Alert>
    </Box>
  );
}
