/**
 * The notification types of the FHIR R4 Subscriptions Backport (`SubscriptionStatus.type`): what the
 * sandbox's hub sends and what the workflow service's receiver accepts.
 */
export const NOTIFICATION_TYPES = ['handshake', 'heartbeat', 'event-notification', 'query-status', 'query-event'] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];
