import type { Problem } from './problem';

/**
 * The only place a {@link Problem} becomes words: the screens (features/errors/problem-screen.tsx),
 * the card's inline alerts and the write-back's failure messages all take theirs from here. Plain
 * text, never HTML; a server's own words appear only as `technical` details or in parentheses.
 */

/** What a clinician or admin reads for each problem: what happened, and what to do next. */
export interface ProblemCopy {
  title: string;
  detail: string;
  action: string;
  /** Shown for admins (config, registration) in a smaller line. */
  technical?: string;
  retryable: boolean;
  /** A way out in a new window (e.g. the same launch outside the EHR's iframe). */
  openInNewWindow?: string;
}

/** Exhaustive: adding a Problem kind without copy is a type error. */
export function problemCopy(problem: Problem): ProblemCopy {
  switch (problem.kind) {
    case 'config-missing':
      return {
        title: 'Careloop is not configured',
        detail: 'The deployment configuration file could not be loaded.',
        action: 'Ask your EHR administrator to deploy careloop.config.json next to the app.',
        technical: `${problem.url}: ${problem.detail}`,
        retryable: true,
      };
    case 'config-invalid':
      return {
        title: 'Careloop is misconfigured',
        detail: `The configuration file has ${problem.fields.length === 1 ? 'a problem' : `${problem.fields.length} problems`}: ${problem.fields.join('; ')}.`,
        action: 'Ask your EHR administrator to correct careloop.config.json.',
        technical: problem.url,
        retryable: false,
      };
    case 'no-launch':
      return {
        title: 'Open Careloop from a patient chart',
        detail: 'Careloop was opened without a launch from the EHR, so it does not know which patient to show.',
        action: 'Open a patient chart in the EHR and start Careloop from there.',
        retryable: false,
      };
    case 'storage-blocked':
      return {
        title: 'Your browser blocks Careloop inside the EHR',
        detail: 'The browser does not let apps embedded in the EHR keep their sign-in for this session (it blocks every cookie for Careloop there).',
        action: problem.openUrl
          ? 'Open Careloop in its own window, or ask your EHR administrator to allow cookies for Careloop in the browser policy.'
          : 'Start Careloop again from the chart, or ask your EHR administrator to allow cookies for Careloop in the browser policy.',
        ...(problem.openUrl ? { openInNewWindow: problem.openUrl } : {}),
        retryable: false,
      };
    case 'launch-invalid':
      return {
        title: 'The EHR sent an invalid launch',
        detail: problem.detail,
        action: 'Start Careloop again from the patient chart. If it keeps happening, tell your EHR administrator.',
        retryable: false,
      };
    case 'auth-denied':
      return { ...authDeniedCopy(problem), technical: authDeniedDetails(problem), retryable: false };
    case 'state-missing':
      return {
        title: 'This Careloop session has ended',
        detail: 'The launch this page belonged to is no longer available (the session ended or the page was reopened later).',
        action: 'Start Careloop again from the patient chart.',
        retryable: false,
      };
    case 'session-expired':
      return {
        title: 'Your Careloop session has expired',
        detail: 'The EHR access for this session has run out and cannot be renewed.',
        action: 'Start Careloop again from the patient chart.',
        retryable: false,
      };
    case 'no-patient':
      return {
        title: 'No patient selected',
        detail: 'The EHR launched Careloop without a patient in context.',
        action: 'Open a patient chart and start Careloop from there.',
        retryable: false,
      };
    case 'offline':
      return {
        title: 'The EHR cannot be reached',
        detail: `Careloop could not connect to ${problem.url}.`,
        action: 'Check the network connection, then try again.',
        retryable: true,
      };
    case 'discovery-failed':
      return {
        title: 'The EHR does not offer SMART on FHIR here',
        detail: problem.detail,
        action: 'Ask your EHR administrator to check the FHIR server address the app was registered with.',
        technical: problem.url,
        retryable: false,
      };
    case 'pkce-unsupported':
      return {
        title: 'The EHR does not support secure sign-in for this app',
        detail: 'Careloop requires PKCE (S256), which this EHR does not advertise.',
        action: 'Ask your EHR administrator to enable PKCE S256 for public SMART apps.',
        technical: problem.url,
        retryable: false,
      };
    case 'unauthorized':
      return {
        title: 'The EHR no longer accepts this session',
        detail: `Reading ${problem.what} was refused because the session is not valid any more.`,
        action: 'Start Careloop again from the patient chart.',
        retryable: false,
      };
    case 'forbidden':
      return {
        title: 'Careloop is missing a permission',
        detail: problem.missingScope
          ? `The EHR refused to share ${problem.what}: the app lacks the permission ${problem.missingScope}.`
          : `The EHR refused to share ${problem.what} with Careloop.`,
        action: 'Ask your EHR administrator to grant the permissions listed in the Careloop README for this app.',
        retryable: false,
      };
    case 'not-found':
      return {
        title: 'The EHR could not find the record',
        detail: `The EHR answered that ${problem.what} does not exist for this chart.`,
        action: 'Start Careloop again from the patient chart. If it keeps happening, tell your EHR administrator.',
        retryable: false,
      };
    case 'conflict':
      return {
        title: 'The record changed in the EHR',
        detail: `Another change to ${problem.what} happened at the same time.`,
        action: 'Try again to see the current version.',
        retryable: true,
      };
    case 'precondition-failed':
      return {
        title: 'The record changed in the EHR',
        detail: `${problem.what} was changed in the EHR since Careloop read it.`,
        action: 'Try again to see the current version.',
        retryable: true,
      };
    case 'rate-limited':
      return {
        title: 'The EHR is busy',
        detail: `The EHR asked Careloop to slow down while reading ${problem.what}.`,
        action: 'Try again in a moment.',
        retryable: true,
      };
    case 'invalid':
      return {
        title: 'The EHR refused the request',
        detail: `The EHR did not accept Careloop’s request for ${problem.what} (HTTP ${problem.status}).`,
        action: 'If it keeps happening, tell your EHR administrator.',
        ...(problem.detail ? { technical: problem.detail } : {}),
        retryable: false,
      };
    case 'server-error':
      return {
        title: 'The EHR had a problem',
        detail: `Reading ${problem.what} failed (HTTP ${problem.status}).`,
        action: 'Try again in a moment.',
        retryable: true,
      };
    case 'bad-response':
      return {
        title: 'The EHR had a problem',
        detail: `The EHR answered with something other than ${problem.what} when Careloop read it.`,
        action: 'Try again in a moment.',
        retryable: true,
      };
    case 'timeout':
      return {
        title: 'The EHR is not answering',
        detail: `Reading ${problem.what} took too long.`,
        action: 'Try again in a moment.',
        retryable: true,
      };
    case 'unknown':
      return {
        title: 'Careloop could not start',
        detail: 'Something unexpected went wrong.',
        action: 'Start Careloop again from the patient chart. If it keeps happening, tell your EHR administrator.',
        technical: problem.detail,
        retryable: true,
      };
  }
}

const ASK_ADMIN = 'Start Careloop again from the patient chart. If it keeps happening, ask your EHR administrator to check the Careloop app registration.';

/** Careloop's clinical wording for a refusal; the server's own words go to the details. */
function authDeniedCopy(problem: Extract<Problem, { kind: 'auth-denied' }>): Pick<ProblemCopy, 'title' | 'detail' | 'action'> {
  if (problem.stage === 'authorize') {
    switch (problem.error) {
      case 'access_denied':
        return { title: 'Access was not granted', detail: 'The EHR did not authorize Careloop for this chart.', action: ASK_ADMIN };
      case 'invalid_scope':
        return { title: 'Access was not granted', detail: 'The EHR would not grant the permissions Careloop asks for.', action: ASK_ADMIN };
      default:
        return { title: 'Access was not granted', detail: 'The EHR refused to let Careloop open this chart.', action: ASK_ADMIN };
    }
  }
  switch (problem.error) {
    case 'invalid_client':
    case 'unauthorized_client':
      return { title: 'The EHR does not accept Careloop', detail: 'The EHR refused to sign Careloop in: it does not accept this app’s registration.', action: 'Ask your EHR administrator to check the Careloop app registration (client id and permissions).' };
    case 'invalid_grant':
      return { title: 'This Careloop sign-in could not be completed', detail: 'The EHR would not complete the sign-in (it may have expired or been used already).', action: ASK_ADMIN };
    default:
      return { title: 'The EHR refused to sign Careloop in', detail: 'The EHR’s sign-in service refused Careloop’s request for access to this chart.', action: ASK_ADMIN };
  }
}

/** The server's `error`, its HTTP status and its whole `error_description`, as plain text. */
function authDeniedDetails(problem: Extract<Problem, { kind: 'auth-denied' }>): string {
  const where = problem.stage === 'token' ? `Token endpoint${problem.status !== null ? ` (HTTP ${problem.status})` : ''}` : 'Authorization endpoint';
  return [`${where}: ${problem.error}`, problem.description].filter((line): line is string => line !== null).join('\n');
}

/**
 * Says, in clinical words, why a write (`what`: `task`, `order`, `provenance record`) did not
 * happen. Exhaustive, as {@link problemCopy} is.
 */
export function writeFailureMessage(what: string, problem: Problem): string {
  switch (problem.kind) {
    case 'forbidden':
      return `Not saved: the EHR refused the ${what}${problem.missingScope ? ` (missing permission ${problem.missingScope})` : ' (missing permission)'}.`;
    case 'unauthorized':
    case 'session-expired':
      return `Not saved: your EHR session has ended. Start Careloop again from the chart; your draft is kept.`;
    case 'timeout':
    case 'offline':
      return `Not saved: the EHR could not be reached. Nothing was written; try again.`;
    case 'rate-limited':
      return `Not saved: the EHR is busy. Try again in a moment.`;
    case 'invalid':
      return `Not saved: the EHR rejected the ${what}${problem.detail ? ` (${problem.detail})` : ''}.`;
    case 'not-found':
      return `Not saved: the EHR does not accept a ${what} here (HTTP 404).`;
    case 'conflict':
      return `Not saved: the EHR reported a conflict with another change to this ${what}.`;
    case 'precondition-failed':
      return `Not saved: the ${what} was changed in the EHR since Careloop read it.`;
    case 'server-error':
      return `Not saved: the EHR had a problem (HTTP ${problem.status}). Try again.`;
    case 'bad-response':
      return `Not saved: the EHR answered with something Careloop could not read, and no saved ${what} was found. Try again.`;
    case 'config-missing':
    case 'config-invalid':
    case 'no-launch':
    case 'storage-blocked':
    case 'launch-invalid':
    case 'auth-denied':
    case 'state-missing':
    case 'no-patient':
    case 'discovery-failed':
    case 'pkce-unsupported':
    case 'unknown':
      return `Not saved: something unexpected went wrong while saving the ${what}.`;
  }
}
