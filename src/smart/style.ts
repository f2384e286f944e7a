/**
 * The EHR's look, from the `smart_style_url` document of the launch (SMART App Launch 2.x,
 * "Styling": `color_background`, `color_error`, `color_highlight`, `color_modal_backdrop`,
 * `color_success`, `color_text`, `dim_border_radius`, `dim_font_size`, `dim_spacing_size`,
 * `font_family_body`, `font_family_heading`). Values come from the EHR and are untrusted: each must
 * be a plain colour, length or font list, or it is ignored; nothing else reaches the page's CSS.
 * Plain functions rather than a schema library: this runs on index.html's entry path.
 */

/** Every style key SMART defines, parsed. Null where the document left it out or gave something unusable. */
export interface SmartStyle {
  /** The page and card background. */
  colorBackground: string | null;
  /** Error messages and critical indicators. */
  colorError: string | null;
  /** The highlight: the primary button, links, focus. */
  colorHighlight: string | null;
  /** Behind a modal dialog (the confirm and snooze dialogs). */
  colorModalBackdrop: string | null;
  /** Success messages ("Saved"). */
  colorSuccess: string | null;
  /** Body text. */
  colorText: string | null;
  /** Corner radius of cards, buttons and alerts, in CSS pixels. */
  dimBorderRadius: number | null;
  /** The base font size (the sidebar's body text), in CSS pixels. */
  dimFontSize: number | null;
  /** The base spacing between elements, in CSS pixels. */
  dimSpacingSize: number | null;
  /** Body text's font list. */
  fontFamilyBody: string | null;
  /** Headings' font list. */
  fontFamilyHeading: string | null;
}

export const NO_STYLE: SmartStyle = {
  colorBackground: null,
  colorError: null,
  colorHighlight: null,
  colorModalBackdrop: null,
  colorSuccess: null,
  colorText: null,
  dimBorderRadius: null,
  dimFontSize: null,
  dimSpacingSize: null,
  fontFamilyBody: null,
  fontFamilyHeading: null,
};

const NUMBER = String.raw`\s*[+-]?(?:\d{1,4}(?:\.\d{1,4})?|\.\d{1,4})(?:%|deg)?\s*`;
const COLOR = new RegExp(
  String.raw`^(?:#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})|(?:rgba?|hsla?)\((?:${NUMBER})(?:[,\s/](?:${NUMBER})){2,3}\)|[a-zA-Z]{3,20})$`,
);

/** A colour: hex, rgb(a)/hsl(a) of numbers only, or a named colour. */
export function parseColor(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const v = value.trim();
  return v.length <= 64 && COLOR.test(v) ? v : null;
}

/**
 * A length in CSS pixels, from `12px`, `12` or `0.75rem`/`0.75em` (16 px to the rem), within
 * [min, max]; anything else (other units, `calc()`, out of range) is null.
 */
export function parseLength(value: unknown, min: number, max: number): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= min && value <= max ? value : null;
  if (typeof value !== 'string') return null;
  const m = /^\s*(\d{1,3}(?:\.\d{1,3})?)\s*(px|rem|em)?\s*$/.exec(value);
  if (!m) return null;
  const px = Number(m[1]) * (m[2] === 'rem' || m[2] === 'em' ? 16 : 1);
  return px >= min && px <= max ? px : null;
}

const FONT_NAME = /^(?:'[\w .-]{1,64}'|"[\w .-]{1,64}"|[A-Za-z_-][\w .-]{0,63})$/;

/**
 * A font list: comma-separated family names, quoted or not, of letters, digits, spaces, `_`, `.`
 * and `-`. A trailing `;` (as some EHRs write it) is dropped. Anything else is null.
 * @example parseFontFamily("Georgia, 'Times New Roman', serif;") // "Georgia, 'Times New Roman', serif"
 */
export function parseFontFamily(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 300) return null;
  const names = value.trim().replace(/;$/, '').split(',').map((name) => name.trim());
  if (names.length === 0 || names.some((name) => !FONT_NAME.test(name))) return null;
  return names.join(', ');
}

/** Parses a style document; anything unusable becomes null rather than an error. */
export function parseSmartStyle(raw: unknown): SmartStyle {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return NO_STYLE;
  const doc = raw as Record<string, unknown>;
  return {
    colorBackground: parseColor(doc['color_background']),
    colorError: parseColor(doc['color_error']),
    colorHighlight: parseColor(doc['color_highlight']),
    colorModalBackdrop: parseColor(doc['color_modal_backdrop']),
    colorSuccess: parseColor(doc['color_success']),
    colorText: parseColor(doc['color_text']),
    dimBorderRadius: parseLength(doc['dim_border_radius'], 0, 48),
    dimFontSize: parseLength(doc['dim_font_size'], 9, 32),
    dimSpacingSize: parseLength(doc['dim_spacing_size'], 2, 64),
    fontFamilyBody: parseFontFamily(doc['font_family_body']),
    fontFamilyHeading: parseFontFamily(doc['font_family_heading']),
  };
}

/** Fetches the EHR's style document (no credentials: it is a public style sheet). */
export async function fetchSmartStyle(url: string, signal?: AbortSignal): Promise<SmartStyle> {
  const response = await fetch(url, { credentials: 'omit', headers: { accept: 'application/json' }, ...(signal ? { signal } : {}) });
  if (!response.ok) throw new Error(`style ${response.status}`);
  return parseSmartStyle(await response.json());
}
