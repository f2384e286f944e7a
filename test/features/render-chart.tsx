import { QueryClient } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import { AppShell } from '../../src/app/app-shell.tsx';
import { parseConfig } from '../../src/shared/app-config.ts';
import type { AuditPort } from '../../src/features/care-gaps/audit-port.ts';
import { memoryAuditPort } from '../../src/features/care-gaps/audit-port.ts';
import type { SessionValue } from '../../src/fhir/session-context.tsx';
import type { LiveSource } from '../../src/features/live-updates/live-updates-provider.tsx';
import { buildCast, CAST_PRACTITIONER, type CastId } from '../../src/shared/cast/index.ts';
import type { EncounterId, FhirUserRef } from '../../src/shared/ids.ts';
import { launchContext } from '../fixtures/charts.ts';
import { FhirStore } from '../msw/fhir-store.ts';
import { testGateway } from '../msw/gateway.ts';
import { server, validConfig } from '../msw/server.ts';

export const BASE = 'https://ehr.example.org/fhir';
export const AS_OF = '2026-11-23';
export const DOCTOR = `Practitioner/${CAST_PRACTITIONER.id}`;
const cast = buildCast(AS_OF, { skipLarge: true });

/** A FHIR store holding the cast (all but the large record), served by msw. */
export function castStore(): FhirStore {
  const store = new FhirStore(BASE);
  for (const record of cast.patients) for (const resource of record.resources) store.seed(resource as { resourceType: string; id: string });
  server.use(...store.handlers());
  return store;
}

export function sessionFor(patient: CastId, user: string | null = DOCTOR, configOverrides: Record<string, unknown> = {}): SessionValue {
  const parsed = parseConfig({ ...validConfig, ...configOverrides }, 'test');
  if (!parsed.ok) throw new Error('config');
  const record = cast.patients.find((p) => p.member.id === patient);
  return {
    config: parsed.config,
    fhir: testGateway(BASE, 1000),
    context: launchContext(patient, BASE, { encounterId: (record?.encounter.id ?? null) as EncounterId | null, fhirUser: user as FhirUserRef | null }),
  };
}

/** Renders the launched app for a cast member, as after a successful SMART launch. */
export function renderChart(patient: CastId, options: { audit?: AuditPort; user?: string | null; config?: Record<string, unknown>; live?: LiveSource; queryClient?: QueryClient } = {}) {
  const audit = options.audit ?? memoryAuditPort();
  // A client passed in may already hold the reads, as at launch (the reads are prefetched before the UI mounts).
  const queryClient = options.queryClient ?? new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const session = sessionFor(patient, options.user === undefined ? DOCTOR : options.user, options.config);
  const view = render(<AppShell session={session} asOf={AS_OF} queryClient={queryClient} audit={audit} live={options.live ?? null} />);
  return { ...view, audit, queryClient };
}

/**
 * A text matcher for a whole line of text even when dates in it sit in their own (no-wrap) spans:
 * the innermost element whose text is exactly `text`.
 */
export function line(text: string) {
  return (_content: string, el: Element | null): boolean => el !== null && el.textContent === text && ![...el.children].some((c) => c.textContent === text);
}
