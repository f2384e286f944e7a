/**
 * The sandbox EHR's state, shared by its routes: where it is served, registered clients, signing
 * keys, minted launches, authorization codes, refresh tokens, the FHIR store and what apps wrote.
 */
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { CAST_PRACTITIONER } from '../shared/cast/index.ts';
import { FaultSwitchboard } from './faults.ts';
import { FhirStore } from './fhir-api/store.ts';
import type { ResourceChange } from './subscriptions/hub.ts';

/** A SMART client registered with the sandbox, as an EHR's app gallery would hold it. */
export interface ClientRegistration {
  readonly clientId: string;
  readonly name: string;
  /** Exact-match redirect URIs. */
  readonly redirectUris: readonly string[];
  /** Where the chart opens the app with `?iss=…&launch=…`. */
  readonly launchUrl: string;
  /** The most the client may be granted (v1 or v2 syntax). */
  readonly allowedScopes: readonly string[];
}

/** What the EHR keeps per launch id it mints: the context the id is bound to, and test switches. */
export interface MintedLaunch {
  readonly patient: string;
  readonly encounter?: string;
  /** fhirUser reference, e.g. `Practitioner/blackwell`. */
  readonly user: string;
  readonly clientId: string;
  readonly intent?: string;
  /** The most this launch may be granted (tests of an EHR that grants a subset); absent = no limit. */
  readonly grantLimit?: readonly string[];
  /** The token endpoint refuses the code of this launch with this OAuth error (tests). */
  readonly tokenError?: TokenErrorSwitch;
  readonly expiresAt: number;
}

/** An OAuth error the token endpoint answers with instead of a token (RFC 6749 §5.2). */
export interface TokenErrorSwitch {
  readonly status: number;
  readonly error: string;
  readonly description: string;
}

export interface AuthorizationGrant {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly scope: readonly string[];
  readonly patient?: string;
  readonly encounter?: string;
  readonly user: string;
  readonly needPatientBanner: boolean;
  readonly intent?: string;
  readonly tokenError?: TokenErrorSwitch;
  readonly expiresAt: number;
}

export interface RefreshGrant extends Omit<AuthorizationGrant, 'redirectUri' | 'codeChallenge'> {
  readonly refreshToken: string;
}

/** Something an app wrote through the FHIR API, for the chart's write-back panel. */
export interface WriteLogEntry {
  readonly at: string;
  readonly interaction: 'create' | 'update' | 'delete';
  readonly resourceType: string;
  readonly reference: string;
  readonly versionId?: string;
  readonly patient: string | null;
  readonly clientId: string;
  readonly summary: string;
}

export interface EhrOptions {
  /** Origin the EHR is reached at, e.g. `http://127.0.0.1:4000` (may be set after listen). */
  readonly baseUrl?: string;
  readonly clients?: readonly ClientRegistration[];
  /** Access-token lifetime; default 3600 s. */
  readonly accessTokenTtlSeconds?: number;
  /** Clock in ms since epoch (tests move it to expire tokens). Default Date.now. */
  readonly now?: () => number;
}

/** The Careloop app's registration for an app served at `appOrigin` (e.g. `http://localhost:5173`). */
export function careloopClient(appOrigin: string): ClientRegistration {
  return {
    clientId: 'careloop',
    name: 'Careloop',
    redirectUris: [`${appOrigin}/index.html`],
    launchUrl: `${appOrigin}/launch.html`,
    allowedScopes: [
      'openid', 'fhirUser', 'profile', 'launch', 'launch/patient', 'launch/encounter', 'online_access', 'offline_access',
      'patient/*.cruds', 'user/*.rs',
    ],
  };
}

export const EHR_USER = `Practitioner/${CAST_PRACTITIONER.id}`;

export class EhrState {
  baseUrl: string;
  readonly clients = new Map<string, ClientRegistration>();
  readonly launches = new Map<string, MintedLaunch>();
  readonly codes = new Map<string, AuthorizationGrant & { used: boolean }>();
  readonly refreshTokens = new Map<string, RefreshGrant>();
  /** Authorize requests waiting for the standalone patient picker. */
  readonly pending = new Map<string, Record<string, string>>();
  readonly writes: WriteLogEntry[] = [];
  readonly store = new FhirStore();
  readonly faults = new FaultSwitchboard();
  /** Told of every create and update (the subscription hub listens). */
  readonly changeListeners: Array<(change: ResourceChange) => void> = [];
  readonly accessTokenTtlSeconds: number;
  readonly now: () => number;

  private constructor(
    options: EhrOptions,
    readonly privateKey: CryptoKey,
    readonly publicKey: CryptoKey,
    readonly publicJwk: JWK,
  ) {
    this.baseUrl = options.baseUrl ?? 'http://127.0.0.1:4000';
    for (const c of options.clients ?? []) this.clients.set(c.clientId, c);
    this.accessTokenTtlSeconds = options.accessTokenTtlSeconds ?? 3600;
    this.now = options.now ?? Date.now;
  }

  static async create(options: EhrOptions = {}): Promise<EhrState> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const kid = randomId(8);
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    return new EhrState(options, privateKey, publicKey, publicJwk);
  }

  /** The FHIR base URL: the `iss` apps are launched with and the tokens' audience. */
  get fhirBase(): string {
    return `${this.baseUrl}/fhir`;
  }

  get kid(): string {
    return this.publicJwk.kid ?? '';
  }

  /**
   * Mints a launch id bound to a patient, encounter and user, for one client. `idLength` makes the
   * (opaque) id that many characters long, as EHRs that send JWTs or encrypted blobs do.
   */
  mintLaunch(ctx: MintLaunchOptions): string {
    const id = ctx.idLength !== undefined ? randomChars(ctx.idLength) : randomId(16);
    this.launches.set(id, {
      patient: ctx.patient,
      ...(ctx.encounter ? { encounter: ctx.encounter } : {}),
      user: ctx.user ?? EHR_USER,
      clientId: ctx.clientId ?? 'careloop',
      ...(ctx.intent ? { intent: ctx.intent } : {}),
      ...(ctx.grantLimit ? { grantLimit: ctx.grantLimit } : {}),
      ...(ctx.tokenError ? { tokenError: ctx.tokenError } : {}),
      expiresAt: this.now() + 60 * 60 * 1000,
    });
    return id;
  }
}

/** What a launch is minted with (see {@link EhrState.mintLaunch}). */
export interface MintLaunchOptions {
  readonly patient: string;
  readonly encounter?: string;
  /** fhirUser of the launching user; default the EHR's practitioner. */
  readonly user?: string;
  readonly clientId?: string;
  readonly intent?: string;
  /** Characters in the launch id; default 22. */
  readonly idLength?: number;
  readonly grantLimit?: readonly string[];
  readonly tokenError?: TokenErrorSwitch;
}

/** A URL-safe random string of exactly `length` characters. */
export function randomChars(length: number): string {
  return randomBytes(Math.ceil((length * 3) / 4) + 1).toString('base64url').slice(0, length);
}

/** A URL-safe random string of `bytes` random bytes. */
export function randomId(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}
