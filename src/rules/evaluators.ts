/**
 * The code behind each rule kind: what the definitions (data) cannot say by themselves.
 * Every evaluator works in both modes; `ctx.mode` only changes the windows.
 */
import { addDays, addMonths, ageOn, birthdayAt, maxDay } from './dates.ts';
import { checkLifetimeExclusions, checkPeriodExclusions, checkSharedExclusions, dateProblems, invalidEvidence } from './context.ts';
import type { Ctx, Outcome } from './context.ts';
import { compareFacts, evidenceOf, overlaps, within } from './facts.ts';
import type { Fact } from './facts.ts';
import { isObject } from './record.ts';
import type {
  BloodPressureRule,
  CodeRef,
  Criterion,
  Day,
  Evidence,
  GlycemicStatusRule,
  IntervalScreeningRule,
  RuleDefinition,
  SeasonalImmunizationRule,
  TobaccoRule,
} from './types.ts';

const byDayDesc = (a: Fact, b: Fact): number => ((a.day ?? '') < (b.day ?? '') ? 1 : (a.day ?? '') > (b.day ?? '') ? -1 : 0);

function sharedFor(rule: RuleDefinition, ctx: Ctx): RuleDefinition['sharedExclusions'] {
  return ctx.mode === 'measure' && rule.measure ? rule.measure.sharedExclusions : rule.sharedExclusions;
}

/** Lifetime, then shared exclusions. */
function exclusions(rule: RuleDefinition, ctx: Ctx): Outcome | undefined {
  return checkLifetimeExclusions(ctx, rule) ?? checkSharedExclusions(ctx, sharedFor(rule, ctx));
}

function negations(ctx: Ctx, criteria: readonly Criterion[], from: Day): Evidence[] {
  const out: Evidence[] = [];
  for (const c of criteria) {
    for (const f of ctx.finder.find(c)) {
      if (f.status === 'not-done' && (f.day === undefined || (f.day >= from && f.day <= ctx.asOf))) {
        out.push(evidenceOf(f, 'negation', undefined, `${c.label} recorded as not done`));
      }
    }
  }
  return out;
}

/** Measure mode: a not-done record with a reason in the exception value set, during the period. */
function exception(rule: RuleDefinition, ctx: Ctx, criteria: readonly Criterion[]): Outcome | undefined {
  const reasons = rule.measure?.exceptionReasons;
  if (ctx.mode !== 'measure' || reasons === undefined) return undefined;
  for (const c of criteria) {
    for (const f of ctx.finder.find(c)) {
      if (f.status !== 'not-done' || !within(f, ctx.periodStart, ctx.periodEnd)) continue;
      const reason = reasonCodings(f.res.resource).find((r) => ctx.finder.inValueSet(reasons, r));
      if (!reason) continue;
      return {
        kind: 'excluded',
        reason: `Exception: ${c.label} not done for a medical reason (${reason.display ?? reason.code}).`,
        evidence: [evidenceOf(f, 'exception')],
        exclusion: { label: 'Medical reason', code: reason, reference: f.res.reference },
        exception: true,
      };
    }
  }
  return undefined;
}

/** Recorded reasons not to act (allergy, intolerance, contraindicating disease) on or before the period end. */
function exceptionCriteria(ctx: Ctx, criteria: readonly Criterion[]): Outcome | undefined {
  for (const c of criteria) {
    const hit = ctx.finder.ok(c).find((f) => (f.start ?? f.day ?? '') <= ctx.periodEnd);
    if (!hit) continue;
    return {
      kind: 'excluded',
      reason: `${ctx.mode === 'measure' ? 'Exception' : 'Excluded'}: ${c.label} (${hit.res.reference}${hit.day ? `, ${hit.day}` : ''}).`,
      evidence: [evidenceOf(hit, 'exception')],
      exclusion: { label: c.label, code: hit.code, reference: hit.res.reference },
      exception: true,
    };
  }
  return undefined;
}

function reasonCodings(raw: Readonly<Record<string, unknown>>): CodeRef[] {
  const out: CodeRef[] = [];
  for (const key of ['statusReason', 'reasonCode']) {
    const v = raw[key];
    for (const concept of Array.isArray(v) ? v : [v]) {
      if (!isObject(concept) || !Array.isArray(concept['coding'])) continue;
      for (const c of concept['coding']) {
        if (isObject(c) && typeof c['system'] === 'string' && typeof c['code'] === 'string') {
          out.push(typeof c['display'] === 'string' ? { system: c['system'], code: c['code'], display: c['display'] } : { system: c['system'], code: c['code'] });
        }
      }
    }
  }
  return out;
}

/** Interval screening: CRC (CMS130), breast (CMS125), cervical (CMS124), pneumococcal. */
export function evaluateIntervalScreening(rule: IntervalScreeningRule, ctx: Ctx): Outcome {
  let required: Fact | undefined;
  if (rule.requires) {
    required = rule.requires
      .flatMap((c) => ctx.finder.ok(c))
      .filter((f) => (f.start ?? f.day ?? '') <= ctx.periodEnd)
      .sort(byDayDesc)[0];
    if (!required) return { kind: 'not-applicable', reason: `No ${joinOr(rule.requires.map((c) => lowerFirst(c.label)))} on record.`, evidence: [] };
  }
  const withRequired = (o: Outcome): Outcome => (required ? ({ ...o, evidence: [evidenceOf(required, 'diagnosis'), ...o.evidence] } as Outcome) : o);
  return withRequired(intervalScreening(rule, ctx, required?.start ?? required?.day));
}

function intervalScreening(rule: IntervalScreeningRule, ctx: Ctx, applicableSince: Day | undefined): Outcome {
  const ex = checkLifetimeExclusions(ctx, rule) ?? checkPeriodExclusions(ctx, rule.periodExclusions ?? []) ?? checkSharedExclusions(ctx, sharedFor(rule, ctx));
  if (ex) return ex;
  const birth = ctx.birthDate ?? ctx.asOf;
  let best: { fact: Fact; expires: Day | null; label: string } | undefined;
  let lastExpired: { fact: Fact; expires: Day; label: string } | undefined;
  const problems: string[] = [];
  const invalid: Evidence[] = [];
  for (const test of rule.tests) {
    const facts = ctx.finder.find(test);
    problems.push(...dateProblems(facts));
    invalid.push(...invalidEvidence(facts));
    for (const f of facts) {
      if (f.status !== 'ok' || f.day === undefined || f.day > ctx.asOf) continue;
      if (test.minAgeAtTest !== undefined && ageOn(birth, f.day) < test.minAgeAtTest) continue;
      if (test.activeCounts && f.res.resource['status'] === 'active') {
        // An ongoing prescription closes the gap while it stays active: no date-based expiry.
        best = { fact: f, expires: null, label: test.label };
        continue;
      }
      const expires = test.intervalMonths === null ? null : addMonths(f.day, test.intervalMonths);
      let counts: boolean;
      if (ctx.mode === 'measure') {
        counts = test.measureLookbackMonths !== null && f.day >= addMonths(ctx.periodStart, -test.measureLookbackMonths);
      } else {
        counts = expires === null || expires > ctx.asOf;
      }
      if (counts) {
        if (!best || (best.expires !== null && (expires === null || expires > best.expires))) best = { fact: f, expires, label: test.label };
      } else if (expires !== null && (!lastExpired || expires > lastExpired.expires)) {
        lastExpired = { fact: f, expires, label: test.label };
      }
    }
  }
  if (best) {
    return {
      kind: 'closed',
      reason: `${best.label} on ${best.fact.day ?? '?'}${best.expires === null ? '' : `; next due ${best.expires}`}.`,
      reasonCode: 'Present',
      evidence: [evidenceOf(best.fact, 'numerator')],
      nextDueDate: best.expires,
    };
  }
  const negated = negations(ctx, rule.tests, ctx.periodStart);
  const exc = exception(rule, ctx, rule.tests) ?? exceptionCriteria(ctx, rule.exceptions ?? []);
  if (exc) return exc;
  if (problems.length > 0) {
    return {
      kind: 'insufficient',
      reason: `A possible ${lowerFirst(rule.title)} record has no usable date.`,
      evidence: [...invalid, ...negated],
      missing: problems,
      demographic: false,
    };
  }
  // Due since the rule started to apply: the minimum age, or the qualifying diagnosis if later.
  const eligibleFrom = maxDay(birthdayAt(birth, rule.eligibility.minAge), applicableSince ?? '0000-01-01');
  if (lastExpired) {
    const dueDate = ctx.mode === 'measure' ? ctx.periodEnd : maxDay(eligibleFrom, lastExpired.expires);
    return {
      kind: 'open',
      reason: `Last ${lowerFirst(lastExpired.label)} on ${lastExpired.fact.day ?? '?'} is out of date (due ${lastExpired.expires}).`,
      reasonCode: 'DateOutOfRange',
      evidence: [evidenceOf(lastExpired.fact, 'most-recent'), ...negated],
      dueDate,
      urgent: false,
    };
  }
  return {
    kind: 'open',
    reason: `No ${joinOr(rule.tests.map((t) => lowerFirst(t.label)))} on record.`,
    reasonCode: 'NotFound',
    evidence: negated,
    dueDate: ctx.mode === 'measure' ? ctx.periodEnd : eligibleFrom,
    urgent: false,
  };
}

/** "Colonoscopy" → "colonoscopy", but "CT colonography" and "HPV" stay. */
function lowerFirst(label: string): string {
  return /^[A-Z][a-z]/.test(label) ? label[0]?.toLowerCase() + label.slice(1) : label;
}

function joinOr(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1] ?? ''}`;
}

/** Has the diagnosis during the window (point-of-care: active on the as-of day). */
function diagnosis(ctx: Ctx, c: Criterion, startBy?: Day): Fact | undefined {
  const from = ctx.mode === 'measure' ? ctx.periodStart : ctx.asOf;
  return ctx.finder
    .ok(c)
    .filter((f) => {
      if (f.start === undefined && f.day === undefined) return f.end === undefined;
      if (!overlaps(f, from, ctx.periodEnd)) return false;
      return startBy === undefined || (f.start ?? f.day ?? '') <= startBy;
    })
    .sort(byDayDesc)[0];
}

/** Quantity of an Observation (or one of its components). */
function quantity(obj: Readonly<Record<string, unknown>>): { value: number; unit: string | undefined } | 'absent' | string {
  const q = obj['valueQuantity'];
  if (q === undefined) return 'absent';
  if (!isObject(q)) return 'valueQuantity is not an object';
  const v = q['value'];
  if (typeof v !== 'number' || !Number.isFinite(v)) return 'valueQuantity.value is not a number';
  const unit = typeof q['code'] === 'string' ? q['code'] : typeof q['unit'] === 'string' ? q['unit'] : undefined;
  return { value: v, unit };
}

/** HbA1c / GMI in NGSP percent. mmol/mol (IFCC) converts by the NGSP master equation. */
export function toPercent(value: number, unit: string | undefined): number | undefined {
  if (unit === undefined) return undefined;
  const u = unit.trim().toLowerCase();
  if (u === '%' || u === 'percent') return value;
  if (u === 'mmol/mol') return Math.round((0.09148 * value + 2.152) * 100) / 100;
  return undefined;
}

/** Diabetes glycemic status > 9% (CMS122, inverse). */
export function evaluateGlycemicStatus(rule: GlycemicStatusRule, ctx: Ctx): Outcome {
  const dx = diagnosis(ctx, rule.diagnosis);
  if (!dx) return { kind: 'not-applicable', reason: 'No active diabetes diagnosis.', evidence: [] };
  const dxEvidence = evidenceOf(dx, 'diagnosis');
  const ex = exclusions(rule, ctx);
  if (ex) return { ...ex, evidence: [dxEvidence, ...ex.evidence] };
  const all = rule.tests.flatMap((t) => ctx.finder.find(t));
  const tests = all.filter((f) => f.status === 'ok' && within(f, ctx.periodStart, ctx.periodEnd)).sort(byDayDesc);
  const latestDay = tests[0]?.day;
  const sameDay = tests.filter((f) => f.day === latestDay);
  const problems = dateProblems(all);
  if (latestDay === undefined) {
    if (problems.length > 0) {
      return { kind: 'insufficient', reason: 'An HbA1c/GMI result has no usable date.', evidence: [dxEvidence, ...invalidEvidence(all)], missing: problems, demographic: false };
    }
    const older = all.filter((f) => f.status === 'ok' && f.day !== undefined && f.day < ctx.periodStart).sort(byDayDesc)[0];
    return {
      kind: 'open',
      reason: older ? `Last HbA1c/GMI on ${older.day ?? '?'} is more than 12 months old.` : 'No HbA1c or GMI result on record.',
      reasonCode: older ? 'DateOutOfRange' : 'NotFound',
      evidence: older ? [dxEvidence, evidenceOf(older, 'most-recent')] : [dxEvidence],
      dueDate: ctx.mode === 'measure' ? ctx.periodEnd : older?.day ? addMonths(older.day, rule.retestMonths) : maxDay(dx.start ?? ctx.asOf, ctx.periodStart),
      urgent: false,
    };
  }
  // Several results on the latest day: the highest decides (the conservative reading).
  let worst: { fact: Fact; percent: number; shown: string } | undefined;
  for (const f of sameDay) {
    const q = quantity(f.res.resource);
    if (q === 'absent') {
      return {
        kind: 'open',
        reason: `The most recent HbA1c/GMI (${latestDay}) has no result.`,
        reasonCode: 'Missing',
        evidence: [dxEvidence, evidenceOf(f, 'most-recent', undefined, 'no result value')],
        dueDate: ctx.mode === 'measure' ? ctx.periodEnd : latestDay,
        urgent: false,
      };
    }
    if (typeof q === 'string') {
      return { kind: 'insufficient', reason: `The most recent HbA1c/GMI is malformed: ${q}.`, evidence: [dxEvidence, evidenceOf(f, 'invalid')], missing: [`${f.res.reference}: ${q}`], demographic: false };
    }
    const percent = toPercent(q.value, q.unit);
    if (percent === undefined) {
      return {
        kind: 'insufficient',
        reason: `The most recent HbA1c/GMI has a unit Careloop cannot read (${q.unit ?? 'none'}).`,
        evidence: [dxEvidence, evidenceOf(f, 'invalid', `${q.value} ${q.unit ?? ''}`.trim())],
        missing: [`${f.res.reference}: unit % or mmol/mol`],
        demographic: false,
      };
    }
    const shown = q.unit === '%' ? `${q.value} %` : `${q.value} ${q.unit ?? ''} (${percent} %)`;
    if (!worst || percent > worst.percent) worst = { fact: f, percent, shown };
  }
  if (!worst) throw new Error('unreachable: a dated result without a value decision');
  const evidence = [dxEvidence, evidenceOf(worst.fact, 'most-recent', worst.shown)];
  if (worst.percent > rule.thresholdPercent) {
    return {
      kind: 'open',
      reason: `Most recent HbA1c/GMI ${worst.shown} on ${latestDay} is above ${rule.thresholdPercent} %.`,
      reasonCode: 'ValueOutOfRange',
      evidence,
      dueDate: ctx.mode === 'measure' ? ctx.periodEnd : latestDay,
      urgent: true,
      action: rule.poorControlAction,
    };
  }
  const next = addMonths(latestDay, rule.retestMonths);
  if (ctx.mode === 'point-of-care' && next <= ctx.asOf) {
    return {
      kind: 'open',
      reason: `Most recent HbA1c/GMI ${worst.shown} on ${latestDay}; a new one was due ${next}.`,
      reasonCode: 'DateOutOfRange',
      evidence,
      dueDate: next,
      urgent: false,
    };
  }
  return { kind: 'closed', reason: `Most recent HbA1c/GMI ${worst.shown} on ${latestDay} is at or below ${rule.thresholdPercent} %.`, reasonCode: 'ValueInRange', evidence, nextDueDate: next };
}

const MMHG = new Set(['mm[hg]', 'mmhg']);

interface Reading {
  fact: Fact;
  value: number;
}

/** Controlling high blood pressure (CMS165). */
export function evaluateBloodPressure(rule: BloodPressureRule, ctx: Ctx): Outcome {
  // CMS165: starts before or during the first six months of the period and overlaps it.
  const startBy = ctx.mode === 'measure' ? addDays(addMonths(ctx.periodStart, 6), -1) : undefined;
  const dx = diagnosis(ctx, rule.diagnosis, startBy);
  if (!dx) return { kind: 'not-applicable', reason: 'No essential hypertension diagnosis in time.', evidence: [] };
  const dxEvidence = evidenceOf(dx, 'diagnosis');
  const ex = checkLifetimeExclusions(ctx, rule) ?? checkPeriodExclusions(ctx, rule.periodExclusions) ?? checkSharedExclusions(ctx, sharedFor(rule, ctx));
  if (ex) return { ...ex, evidence: [dxEvidence, ...ex.evidence] };

  const systolic: Reading[] = [];
  const diastolic: Reading[] = [];
  const problems: string[] = [];
  const invalid: Evidence[] = [];
  const isIn = (c: CodeRef, list: readonly CodeRef[]): boolean => list.some((x) => x.system === c.system && x.code === c.code);
  const observations: Fact[] = [];
  // Readings written well before the window cannot fall in it whatever the time zone (±14 h):
  // skip them without parsing (a plain string comparison). Anything else is parsed properly.
  const earliest = addDays(ctx.periodStart, -2);
  const lists = [...rule.panelCodes, ...rule.systolicCodes, ...rule.diastolicCodes];
  for (let li = 0; li < lists.length; li++) {
    const code = lists[li] as CodeRef;
    for (const res of ctx.record.byCode.get(`${code.system}|${code.code}`) ?? []) {
      if (res.resourceType !== 'Observation') continue;
      const written = res.resource['effectiveDateTime'];
      if (typeof written === 'string' && written.length >= 10 && written.charCodeAt(4) === 45 && written.charCodeAt(7) === 45 && written < earliest) continue;
      // A panel is listed under its own code and its components' codes: take it from the first list only.
      let seenEarlier = false;
      for (let lj = 0; lj < li && !seenEarlier; lj++) {
        const earlier = lists[lj] as CodeRef;
        seenEarlier = res.codes.some((c) => c.code === earlier.code && c.system === earlier.system);
      }
      if (!seenEarlier) observations.push(ctx.finder.factFor(res));
    }
  }
  observations.sort(compareFacts);
  for (const f of observations) {
    if (f.status !== 'ok') continue;
    if (f.day === undefined) {
      problems.push(`${f.res.reference}: ${f.dateProblem ?? 'no date'}`);
      invalid.push(evidenceOf(f, 'invalid', undefined, f.dateProblem));
      continue;
    }
    if (!within(f, ctx.periodStart, ctx.periodEnd)) continue;
    const raw = f.res.resource;
    const parts: { code: CodeRef[]; obj: Readonly<Record<string, unknown>> }[] = [];
    const components = raw['component'];
    if (Array.isArray(components)) {
      for (const comp of components) {
        if (!isObject(comp) || !isObject(comp['code']) || !Array.isArray(comp['code']['coding'])) continue;
        const codes = comp['code']['coding'].filter(isObject).map((c) => ({ system: String(c['system']), code: String(c['code']) }));
        parts.push({ code: codes, obj: comp });
      }
    }
    const ownCodes = f.res.codes.filter((c) => isIn(c, rule.systolicCodes) || isIn(c, rule.diastolicCodes));
    if (ownCodes.length > 0 && parts.length === 0) parts.push({ code: ownCodes, obj: raw });
    for (const part of parts) {
      const isSys = part.code.some((c) => isIn(c, rule.systolicCodes));
      const isDia = part.code.some((c) => isIn(c, rule.diastolicCodes));
      if (!isSys && !isDia) continue;
      const q = quantity(part.obj);
      if (q === 'absent') continue;
      if (typeof q === 'string') {
        problems.push(`${f.res.reference}: ${q}`);
        invalid.push(evidenceOf(f, 'invalid', undefined, q));
        continue;
      }
      if (q.unit === undefined || !MMHG.has(q.unit.toLowerCase())) {
        problems.push(`${f.res.reference}: unit mm[Hg] (found ${q.unit ?? 'none'})`);
        invalid.push(evidenceOf(f, 'invalid', `${q.value} ${q.unit ?? ''}`.trim(), 'unit is not mm[Hg]'));
        continue;
      }
      (isSys ? systolic : diastolic).push({ fact: f, value: q.value });
    }
  }
  const lowestOnLatest = (list: Reading[]): Reading | undefined => {
    let best: Reading | undefined;
    for (const r of list) {
      const d = r.fact.day ?? '';
      const bd = best?.fact.day ?? '';
      if (!best || d > bd || (d === bd && r.value < best.value)) best = r;
    }
    return best;
  };
  const sys = lowestOnLatest(systolic);
  const dia = lowestOnLatest(diastolic);
  if (!sys || !dia) {
    if (problems.length > 0) {
      return { kind: 'insufficient', reason: 'A blood pressure reading cannot be read.', evidence: [dxEvidence, ...invalid], missing: problems, demographic: false };
    }
    const partial = sys ?? dia;
    return {
      kind: 'open',
      reason: partial ? 'Only one half of a blood pressure reading in the period.' : 'No blood pressure reading in the period.',
      reasonCode: partial ? 'Missing' : 'NotFound',
      evidence: partial ? [dxEvidence, evidenceOf(partial.fact, 'most-recent', `${partial.value} mm[Hg]`)] : [dxEvidence],
      dueDate: ctx.mode === 'measure' ? ctx.periodEnd : ctx.asOf,
      urgent: false,
    };
  }
  const evidence = [dxEvidence, evidenceOf(sys.fact, 'most-recent', `systolic ${sys.value} mm[Hg]`)];
  if (dia.fact !== sys.fact) evidence.push(evidenceOf(dia.fact, 'most-recent', `diastolic ${dia.value} mm[Hg]`));
  else evidence[1] = evidenceOf(sys.fact, 'most-recent', `${sys.value}/${dia.value} mm[Hg]`);
  const day = maxDay(sys.fact.day ?? '', dia.fact.day ?? '');
  if (sys.value < rule.systolicBelow && dia.value < rule.diastolicBelow) {
    return {
      kind: 'closed',
      reason: `Most recent blood pressure ${sys.value}/${dia.value} mm[Hg] (${day}) is below ${rule.systolicBelow}/${rule.diastolicBelow}.`,
      reasonCode: 'ValueInRange',
      evidence,
      nextDueDate: addMonths(day, rule.recheckMonths),
    };
  }
  return {
    kind: 'open',
    reason: `Most recent blood pressure ${sys.value}/${dia.value} mm[Hg] (${day}) is not below ${rule.systolicBelow}/${rule.diastolicBelow}.`,
    reasonCode: 'ValueOutOfRange',
    evidence,
    dueDate: ctx.mode === 'measure' ? ctx.periodEnd : day,
    urgent: true,
    action: rule.uncontrolledAction,
  };
}

/** Seasonal influenza vaccination (CDC/ACIP). Point-of-care only. */
export function evaluateSeasonalImmunization(rule: SeasonalImmunizationRule, ctx: Ctx): Outcome {
  const birth = ctx.birthDate ?? ctx.asOf;
  if (addMonths(birth, rule.minAgeMonths) > ctx.asOf) {
    return { kind: 'not-applicable', reason: `Applies from ${rule.minAgeMonths} months of age.`, evidence: [] };
  }
  const year = Number(ctx.asOf.slice(0, 4));
  const md = ctx.asOf.slice(5);
  let seasonYear: number;
  if (md >= rule.seasonStart) seasonYear = year;
  else if (md <= rule.seasonEnd) seasonYear = year - 1;
  else {
    return { kind: 'not-applicable', reason: `Outside the influenza season (${rule.seasonStart} to ${rule.seasonEnd}).`, evidence: [] };
  }
  const pad = (n: number): string => String(n).padStart(4, '0');
  const seasonStart = `${pad(seasonYear)}-${rule.seasonStart}`;
  const dueBy = `${pad(seasonYear)}-${rule.dueBy}`;
  const nextSeason = `${pad(seasonYear + 1)}-${rule.seasonStart}`;
  const contra = ctx.finder.ok(rule.contraindication)[0];
  if (contra) {
    return {
      kind: 'excluded',
      reason: `Excluded: ${rule.contraindication.label} (${contra.res.reference}).`,
      evidence: [evidenceOf(contra, 'exclusion')],
      exclusion: { label: rule.contraindication.label, code: contra.code, reference: contra.res.reference },
      exception: false,
    };
  }
  const ex = checkSharedExclusions(ctx, rule.sharedExclusions);
  if (ex) return ex;
  const facts = ctx.finder.find(rule.vaccine);
  const given = facts.filter((f) => f.status === 'ok' && f.day !== undefined && f.day >= seasonStart && f.day <= ctx.asOf).sort(byDayDesc)[0];
  if (given) {
    return {
      kind: 'closed',
      reason: `Influenza vaccine given ${given.day ?? '?'} for the ${seasonYear}–${seasonYear + 1} season.`,
      reasonCode: 'Present',
      evidence: [evidenceOf(given, 'numerator')],
      nextDueDate: nextSeason,
    };
  }
  const problems = dateProblems(facts);
  const negated = negations(ctx, [rule.vaccine], seasonStart);
  if (problems.length > 0) {
    return { kind: 'insufficient', reason: 'An influenza immunization has no usable date.', evidence: [...invalidEvidence(facts), ...negated], missing: problems, demographic: false };
  }
  return {
    kind: 'open',
    reason: `No influenza vaccine since ${seasonStart} for the ${seasonYear}–${seasonYear + 1} season${negated.length ? ' (one was recorded as not done)' : ''}.`,
    reasonCode: 'NotFound',
    evidence: negated,
    dueDate: seasonStart,
    urgent: ctx.asOf > dueBy,
  };
}

/** Tobacco screening and cessation intervention (CMS138, population 3). */
export function evaluateTobacco(rule: TobaccoRule, ctx: Ctx): Outcome {
  const ex = exclusions(rule, ctx);
  if (ex) return ex;
  const all = ctx.finder.find(rule.screening);
  const from = ctx.mode === 'measure' ? ctx.periodStart : addMonths(ctx.asOf, -rule.screeningIntervalMonths);
  // Point-of-care: the last 12 months; measure: the period.
  const latest = all
    .filter((f) => f.status === 'ok' && f.day !== undefined && (ctx.mode === 'measure' ? f.day >= from : f.day > from) && f.day <= ctx.asOf)
    .sort(byDayDesc)[0];
  if (!latest) {
    const exc = exception(rule, ctx, [rule.screening]);
    if (exc) return exc;
    const problems = dateProblems(all);
    if (problems.length > 0) {
      return { kind: 'insufficient', reason: 'A tobacco screening has no usable date.', evidence: invalidEvidence(all), missing: problems, demographic: false };
    }
    const older = all.filter((f) => f.status === 'ok' && f.day !== undefined && f.day <= ctx.asOf).sort(byDayDesc)[0];
    return {
      kind: 'open',
      reason: older ? `Last tobacco screening on ${older.day ?? '?'} is more than 12 months old.` : 'No tobacco use screening on record.',
      reasonCode: older ? 'DateOutOfRange' : 'NotFound',
      evidence: older ? [evidenceOf(older, 'most-recent')] : [],
      dueDate: ctx.mode === 'measure' ? ctx.periodEnd : older?.day ? addMonths(older.day, rule.screeningIntervalMonths) : birthdayAt(ctx.birthDate ?? ctx.asOf, rule.eligibility.minAge),
      urgent: false,
    };
  }
  const answer = latest.res.resource['valueCodeableConcept'];
  const answers: CodeRef[] = [];
  if (isObject(answer) && Array.isArray(answer['coding'])) {
    for (const c of answer['coding']) if (isObject(c) && typeof c['system'] === 'string' && typeof c['code'] === 'string') answers.push({ system: c['system'], code: c['code'] });
  }
  const user = answers.some((a) => ctx.finder.inValueSet(rule.userAnswers, a));
  const nonUser = answers.some((a) => ctx.finder.inValueSet(rule.nonUserAnswers, a));
  const screenEvidence = evidenceOf(latest, 'most-recent', user ? 'tobacco user' : nonUser ? 'tobacco non-user' : 'unrecognised answer');
  const next = addMonths(latest.day ?? ctx.asOf, rule.screeningIntervalMonths);
  if (!user && !nonUser) {
    return {
      kind: 'insufficient',
      reason: `The tobacco screening on ${latest.day ?? '?'} has no answer in the Tobacco User or Non-User value sets.`,
      evidence: [screenEvidence],
      missing: [`${latest.res.reference}: valueCodeableConcept (tobacco user / non-user)`],
      demographic: false,
    };
  }
  if (nonUser && !user) {
    return { kind: 'closed', reason: `Screened ${latest.day ?? '?'}: not a tobacco user.`, reasonCode: 'Present', evidence: [screenEvidence], nextDueDate: next };
  }
  const since = addMonths(ctx.mode === 'measure' ? ctx.periodStart : latest.day ?? ctx.asOf, -rule.interventionLookbackMonths);
  const intervention = rule.interventions
    .flatMap((c) => ctx.finder.ok(c))
    .filter((f) => f.day !== undefined && f.day >= since && f.day <= ctx.asOf)
    .sort(byDayDesc)[0];
  if (intervention) {
    return {
      kind: 'closed',
      reason: `Tobacco user (screened ${latest.day ?? '?'}) received cessation intervention on ${intervention.day ?? '?'}.`,
      reasonCode: 'Present',
      evidence: [screenEvidence, evidenceOf(intervention, 'numerator')],
      nextDueDate: next,
    };
  }
  return {
    kind: 'open',
    reason: `Tobacco user (screened ${latest.day ?? '?'}) with no cessation counselling or medication since ${since}.`,
    reasonCode: 'NotFound',
    evidence: [screenEvidence],
    dueDate: ctx.mode === 'measure' ? ctx.periodEnd : latest.day ?? ctx.asOf,
    urgent: false,
    action: rule.cessationAction,
  };
}

/** Dispatch on the rule kind (exhaustive). */
export function evaluateRule(rule: RuleDefinition, ctx: Ctx): Outcome {
  switch (rule.kind) {
    case 'interval-screening':
      return evaluateIntervalScreening(rule, ctx);
    case 'glycemic-status':
      return evaluateGlycemicStatus(rule, ctx);
    case 'blood-pressure':
      return evaluateBloodPressure(rule, ctx);
    case 'seasonal-immunization':
      return evaluateSeasonalImmunization(rule, ctx);
    case 'tobacco':
      return evaluateTobacco(rule, ctx);
    default: {
      const never: never = rule;
      throw new Error(`unknown rule kind ${String((never as { kind?: unknown }).kind)}`);
    }
  }
}
