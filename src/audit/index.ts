/** The app-side audit client: durable outbox, batching, retries, read-back of decisions. */
export { createAuditClient, browserConnectivity, type AuditClient, type AuditClientOptions, type AuditDeliveryStatus, type AuditEventDraft, type Connectivity } from './audit-client.ts';
export { sessionOutboxStorage, memoryOutboxStorage, outboxKey, type OutboxState, type OutboxStorage } from './outbox-storage.ts';
export { auditDraftOf, auditPortOf, decisionsFromTrail, type CareAction, type CareEvent, type Decision } from './care-events.ts';
