/**
 * Stands in for `isomorphic-webcrypto`, which fhirclient falls back to only where
 * `globalThis.crypto` is missing. Every browser Careloop supports has Web Crypto (PKCE needs it), so
 * the polyfill (and its bundle weight) is never used; this keeps fhirclient's fallback path honest.
 */
const webcrypto: Crypto = globalThis.crypto;
export default webcrypto;
