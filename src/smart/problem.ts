/**
 * Everything that can stop Careloop from showing a chart, as a closed union: each kind has its
 * own screen (src/features/errors/problem-screen.tsx) that says what happened and what to do.
 * Messages never carry tokens or resource contents.
 */
export type Problem =
  | { kind: 'config-missing'; url: string; detail: string }
  | { kind: 'config-invalid'; url: string; fields: string[] }
  | { kind: 'no-launch' }
  /** The browser denies storage to the app (third-party storage blocked in the EHR's iframe). */
  | { kind: 'storage-blocked'; openUrl: string | null }
  | { kind: 'launch-invalid'; detail: string }
  /**
   * The EHR refused: at the authorization endpoint (the redirect's `error`) or the token endpoint
   * (its JSON `error`, with the HTTP status). `error` and `description` are the server's, whole, shown
   * as text behind "Details".
   */
  | { kind: 'auth-denied'; stage: 'authorize' | 'token'; error: string; description: string | null; status: number | null }
  | { kind: 'state-missing' }
  | { kind: 'session-expired' }
  | { kind: 'no-patient' }
  | { kind: 'unreachable'; url: string }
  | { kind: 'discovery-failed'; url: string; detail: string }
  | { kind: 'pkce-unsupported'; url: string }
  | { kind: 'unauthorized'; what: string }
  | { kind: 'forbidden'; what: string; missingScope: string | null }
  | { kind: 'server-error'; what: string; status: number }
  | { kind: 'timeout'; what: string }
  | { kind: 'unknown'; detail: string };

export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.kind);
    this.name = 'ProblemError';
  }
}

/** Turns anything thrown into a Problem without leaking its text unless it is ours. */
export function toProblem(error: unknown): Problem {
  if (error instanceof ProblemError) return error.problem;
  if (error instanceof Error) return { kind: 'unknown', detail: error.message.slice(0, 200) };
  return { kind: 'unknown', detail: 'Unexpected error' };
}

/** True when this page may use sessionStorage; false when the browser denies it (partitioned-off iframe). */
export function storageAvailable(): boolean {
  try {
    const probe = '__careloop_probe__';
    window.sessionStorage.setItem(probe, '1');
    window.sessionStorage.removeItem(probe);
    return true;
  } catch {
    return false;
  }
}
