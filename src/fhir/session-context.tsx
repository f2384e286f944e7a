import { createContext, useContext, type ReactNode } from 'react';
import type { AppConfig } from '../shared/app-config.ts';
import type { LaunchContext } from '../smart/session.ts';
import type { FhirGateway } from './gateway.ts';

/** What every screen after launch may rely on: the validated context and the FHIR gateway. */
export interface SessionValue {
  context: LaunchContext;
  fhir: FhirGateway;
  config: AppConfig;
}

const SessionContext = createContext<SessionValue | null>(null);

export function SessionProvider({ value, children }: { value: SessionValue; children: ReactNode }) {
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/** The current SMART session; only valid below {@link SessionProvider}. */
export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession() outside a SessionProvider');
  return value;
}
