// zod/mini: the style is read at launch, beside the first FHIR reads.
import * as z from 'zod/mini';

/**
 * The subset of a SMART `smart_style_url` document Careloop applies. Values come from the EHR and
 * are treated as untrusted: only plain colours and font names pass.
 */
export interface SmartStyle {
  background: string | null;
  highlight: string | null;
  text: string | null;
  fontFamily: string | null;
}

const color = z.catch(z.optional(z.string().check(z.regex(/^(#[0-9a-fA-F]{3,8}|rgba?\(\s*[\d.\s,%]+\)|[a-zA-Z]{3,20})$/))), undefined);
const font = z.catch(z.optional(z.string().check(z.regex(/^[\w\s,'"-]{1,200}$/))), undefined);

const styleSchema = z.looseObject({
  color_background: color,
  color_highlight: color,
  color_text: color,
  font_family: font,
});

/** Parses a style document; anything unusable becomes null rather than an error. */
export function parseSmartStyle(raw: unknown): SmartStyle {
  const parsed = styleSchema.safeParse(raw);
  if (!parsed.success) return { background: null, highlight: null, text: null, fontFamily: null };
  return {
    background: parsed.data.color_background ?? null,
    highlight: parsed.data.color_highlight ?? null,
    text: parsed.data.color_text ?? null,
    fontFamily: parsed.data.font_family ?? null,
  };
}

/** Fetches the EHR's style document (no credentials: it is a public style sheet). */
export async function fetchSmartStyle(url: string, signal?: AbortSignal): Promise<SmartStyle> {
  const response = await fetch(url, { credentials: 'omit', headers: { accept: 'application/json' }, ...(signal ? { signal } : {}) });
  if (!response.ok) throw new Error(`style ${response.status}`);
  return parseSmartStyle(await response.json());
}
