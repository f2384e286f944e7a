import type { CodeableConcept, Encounter, Task } from '@medplum/fhirtypes';

/** Plain text for a CodeableConcept: its text, else the first coding's display, else its code. */
export function conceptText(concept: CodeableConcept | undefined): string | null {
  if (!concept) return null;
  if (concept.text?.trim()) return concept.text.trim();
  const coding = concept.coding?.find((c) => c.display?.trim()) ?? concept.coding?.[0];
  return coding?.display?.trim() || coding?.code || null;
}

export function describeEncounter(encounter: Encounter): string {
  const kind = conceptText(encounter.type?.[0]) ?? encounter.class?.display ?? encounter.class?.code ?? 'Encounter';
  const start = encounter.period?.start?.slice(0, 10);
  return start ? `${kind}, ${start}` : kind;
}

export function describeTask(task: Task): string {
  return task.description?.trim() || conceptText(task.code) || 'Task without description';
}

/** A Task status as words ("in-progress" → "In progress"). */
export function statusWords(status: string | undefined): string | null {
  if (!status) return null;
  const words = status.replaceAll('-', ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
