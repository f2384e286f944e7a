/**
 * The live channel's transport: Server-Sent Events from Careloop's server
 * (`GET <audit API base>/api/workflow/changes?patient=<id>`), read with `fetch` so the launch's
 * SMART access token travels in `Authorization` — never in the URL, as `EventSource` would need.
 * Pure TypeScript: no React.
 */
import { CHANGES_PATH, type LiveChange } from '../../shared/live-change.ts';

export { CHANGES_PATH, type LiveChange };



/** The channel could not be opened or broke. `permanent`: trying again will not help (no channel here, wrong patient). */
export class ChannelError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'ChannelError';
  }
}

export interface ChangeStreamOptions {
  /** The audit API base (`""`: this origin). */
  readonly baseUrl: string;
  readonly patientId: string;
  readonly accessToken: string;
  /** The FHIR base the token is from (`X-Fhir-Base`), for a server trusting several EHRs. */
  readonly fhirBase: string;
  readonly fetch: typeof fetch;
  readonly signal: AbortSignal;
  /** The stream is open (the server accepted the token for this patient). */
  onOpen(): void;
  /** A change of this patient (events naming another patient are dropped here). */
  onChange(change: LiveChange): void;
}

function parseChange(data: string): LiveChange | null {
  try {
    const v = JSON.parse(data) as Record<string, unknown>;
    if (typeof v['patient'] !== 'string' || typeof v['resource'] !== 'string') return null;
    return { patient: v['patient'], resource: v['resource'], event: typeof v['event'] === 'number' ? v['event'] : 0, at: typeof v['at'] === 'string' ? v['at'] : '' };
  } catch {
    return null;
  }
}

/**
 * Reads the stream until the server ends it (resolves) or it fails (rejects with
 * {@link ChannelError}; an abort through `signal` resolves).
 */
export async function readChangeStream(options: ChangeStreamOptions): Promise<void> {
  const url = `${options.baseUrl}${CHANGES_PATH}?patient=${encodeURIComponent(options.patientId)}`;
  let res: Response;
  try {
    res = await options.fetch(url, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${options.accessToken}`, 'x-fhir-base': options.fhirBase },
      cache: 'no-store',
      signal: options.signal,
    });
  } catch (error) {
    if (options.signal.aborted) return;
    throw new ChannelError(error instanceof Error ? error.message : 'network error', null, false);
  }
  if (!res.ok || !res.body) {
    void res.body?.cancel().catch(() => undefined);
    // 404: this server has no live channel; 403: the token is not for this patient.
    throw new ChannelError(`the live channel answered ${res.status}`, res.status, res.status === 404 || res.status === 403 || res.status === 400);
  }
  if (!(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    void res.body.cancel().catch(() => undefined);
    throw new ChannelError('the live channel did not answer with an event stream', res.status, true);
  }
  options.onOpen();
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') event = text;
          else if (field === 'data') data.push(text);
        }
        if (event !== 'change') continue;
        const change = parseChange(data.join('\n'));
        if (change && change.patient === options.patientId) options.onChange(change);
      }
    }
  } catch (error) {
    if (options.signal.aborted) return;
    throw new ChannelError(error instanceof Error ? error.message : 'the live channel broke', null, false);
  } finally {
    reader.releaseLock();
  }
}
