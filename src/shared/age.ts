/**
 * Age in whole years, defined once for the rules, the sidebar's banner and the sandbox chart.
 */

/**
 * Whole years of age on a calendar day: the birthday itself counts, and a Feb 29 birthday turns
 * a year older on Mar 1 in common years. `on` may be a FHIR dateTime (its day is used). Null
 * when `birthDate` is not a full `YYYY-MM-DD` (a FHIR date may be only `1970` or `1970-05`) or
 * falls after `on`.
 * @example ageOn('1980-06-15', '2025-06-14') // 44
 */
export function ageOn(birthDate: string, on: string): number | null {
  const birth = /^(\d{4})-(\d{2}-\d{2})$/.exec(birthDate);
  const day = /^(\d{4})-(\d{2}-\d{2})/.exec(on);
  if (!birth?.[1] || !birth[2] || !day?.[1] || !day[2]) return null;
  const age = Number(day[1]) - Number(birth[1]) - (day[2] < birth[2] ? 1 : 0);
  return age >= 0 ? age : null;
}
