import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import LinearProgress from '@mui/material/LinearProgress';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import ListItemText from '@mui/material/ListItemText';
import Skeleton from '@mui/material/Skeleton';
import Typography from '@mui/material/Typography';
import { useEncounter } from '../../fhir/get-encounter.ts';
import { useOpenTasks } from '../../fhir/get-open-tasks.ts';
import { usePatient } from '../../fhir/get-patient.ts';
import { ProblemError, type Problem } from '../../shared/problem.ts';
import { summarizePatient } from '../../fhir/patient-summary.ts';
import { useSession } from '../../fhir/session-context.tsx';
import { CareGapPanel } from '../care-gaps/care-gap-panel.tsx';
import { ProblemScreen } from '../errors/problem-screen.tsx';
import { problemCopy } from '../../shared/problem-copy.ts';
import { describeEncounter, describeTask, statusWords } from './describe.ts';
import { PatientBanner } from './patient-banner.tsx';
import { useUserName } from './user-name.ts';
import { keepDates } from '../shared/dates.tsx';

function problemOf(error: unknown): Problem {
  return error instanceof ProblemError ? error.problem : { kind: 'unknown', detail: 'The chart could not be read.' };
}

function InlineProblem({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  const copy = problemCopy(problemOf(error));
  return (
    <Alert severity="warning" action={copy.retryable ? <button onClick={onRetry}>Retry</button> : undefined}>
      {copy.title}. {copy.detail}
    </Alert>
  );
}

/** Loading state: a skeleton with progress, never a blank sidebar. */
export function ChartLoading() {
  return (
    <Box role="status" aria-live="polite" aria-label="Loading the chart" sx={{ p: 2 }}>
      <LinearProgress aria-label="Loading the chart" />
      <Typography variant="body2" sx={{ mt: 1 }}>
        Loading the chart…
      </Typography>
      <Skeleton variant="text" width="60%" />
      <Skeleton variant="rectangular" height={64} sx={{ mt: 1 }} />
    </Box>
  );
}

/**
 * The chart context in the sidebar: who the patient is (a full banner only when the EHR asks for
 * one), the encounter and user in context, and the patient's open Tasks.
 */
export function ChartContext({ asOf }: { asOf: string }) {
  const { context } = useSession();
  const patient = usePatient();
  const encounter = useEncounter();
  const tasks = useOpenTasks();
  const userName = useUserName();

  if (patient.isPending) return <ChartLoading />;
  if (patient.isError) return <ProblemScreen problem={problemOf(patient.error)} onRetry={() => void patient.refetch()} />;

  const summary = summarizePatient(patient.data, asOf);
  return (
    <Box component="main">
      <PatientBanner summary={summary} full={context.needPatientBanner} />
      <CareGapPanel asOf={asOf} patientName={summary.name} userName={userName} />
      <Box component="section" aria-label="Context" sx={{ px: 2, py: 1 }}>
        <Typography variant="body2" color="text.secondary">
          {context.encounterId === null
            ? 'No encounter in context'
            : encounter.isPending
              ? 'Loading the encounter…'
              : encounter.isError
                ? 'The encounter could not be read'
                : keepDates(`Encounter: ${describeEncounter(encounter.data)}`)}
        </Typography>
        {userName ? (
          <Typography variant="body2" color="text.secondary">
            Signed in as {userName}
          </Typography>
        ) : null}
      </Box>
      <Box component="section" aria-labelledby="open-tasks-heading" sx={{ px: 2, py: 1 }}>
        <Typography id="open-tasks-heading" component="h2" variant="subtitle2">
          {tasks.isSuccess ? `Open tasks (${tasks.data.items.length})` : 'Open tasks'}
        </Typography>
        {tasks.isPending ? <Skeleton variant="text" aria-label="Loading open tasks" /> : null}
        {tasks.isError ? <InlineProblem error={tasks.error} onRetry={() => void tasks.refetch()} /> : null}
        {tasks.isSuccess ? (
          <>
            {tasks.data.items.length === 0 ? (
              <Typography variant="body2">No open tasks.</Typography>
            ) : (
              <List dense disablePadding aria-label="Open tasks">
                {tasks.data.items.map((task, index) => (
                  <ListItem key={task.id ?? `task-${index}`} disableGutters>
                    <ListItemText primary={describeTask(task)} secondary={keepDates([statusWords(task.status), task.authoredOn?.slice(0, 10)].filter(Boolean).join(' · '))} />
                  </ListItem>
                ))}
              </List>
            )}
            {tasks.data.truncated ? (
              <Alert severity="info" sx={{ mt: 1 }}>
                Showing the first {tasks.data.items.length} open tasks
                {tasks.data.total !== null ? ` of ${tasks.data.total}` : ''}; the rest are in the EHR.
              </Alert>
            ) : null}
          </>
        ) : null}
      </Box>
    </Box>
  );
}
