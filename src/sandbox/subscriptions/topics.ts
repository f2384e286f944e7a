/**
 * The sandbox's subscription topics (FHIR Subscriptions R5 Backport IG, R4 profile): one per
 * resource type the care-gap rules read or Careloop writes, plus one for the whole chart. A
 * Subscription names a topic in `criteria` and narrows it to one patient with the
 * `backport-filter-criteria` extension, e.g. `Observation?patient=Patient/ada`.
 */
export const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
export const EXT_FILTER_CRITERIA = `${BACKPORT}/backport-filter-criteria`;
export const EXT_PAYLOAD_CONTENT = `${BACKPORT}/backport-payload-content`;
export const EXT_HEARTBEAT_PERIOD = `${BACKPORT}/backport-heartbeat-period`;
export const EXT_MAX_COUNT = `${BACKPORT}/backport-max-count`;

export const TOPIC_BASE = 'http://careloop.dev/fhir/SubscriptionTopic';
export const TOPIC_TYPES = ['Observation', 'Procedure', 'Condition', 'Encounter', 'Task', 'ServiceRequest'] as const;
export type TopicType = (typeof TOPIC_TYPES)[number];

/** A topic: which resource types trigger it (on create and update). */
export interface Topic {
  readonly url: string;
  readonly types: readonly TopicType[];
}

export const TOPICS: readonly Topic[] = [
  ...TOPIC_TYPES.map((type) => ({ url: `${TOPIC_BASE}/${type.toLowerCase()}-change`, types: [type] })),
  { url: `${TOPIC_BASE}/patient-chart-change`, types: TOPIC_TYPES },
];

export function topicFor(url: string): Topic | undefined {
  return TOPICS.find((t) => t.url === url);
}

/**
 * Parses a filter: `patient=Patient/ada`, `patient=ada` or `Observation?patient=Patient/ada`
 * (the type must be one of the topic's). Returns the patient id (null: every patient) or an error.
 */
export function parseFilter(filter: string | undefined, topic: Topic): { patient: string | null } | { error: string } {
  if (filter === undefined || filter.trim() === '') return { patient: null };
  const m = /^(?:([A-Za-z]+)\?)?patient=(?:Patient\/)?([A-Za-z0-9\-.]{1,64})$/.exec(filter.trim());
  if (!m) return { error: `Unsupported filter "${filter}": only [Type?]patient=Patient/<id> is supported` };
  if (m[1] !== undefined && !(topic.types as readonly string[]).includes(m[1])) return { error: `The topic ${topic.url} has no resource type ${m[1]}` };
  return { patient: m[2] ?? null };
}
