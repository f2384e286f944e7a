/** Careloop's version, from package.json at build time (Provenance agents and audit entries carry it). */
export const APP_VERSION: string = (import.meta.env as Record<string, string | undefined> | undefined)?.['VITE_APP_VERSION'] ?? '0.0.0-dev';
