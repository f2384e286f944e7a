import { describe, expect, it } from 'vitest';
import { careloopTheme } from '../../src/app/theme.ts';

/** WCAG 2.x relative luminance of `#rrggbb`. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
}
const contrast = (a: string, b: string) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return ((hi ?? 0) + 0.05) / ((lo ?? 0) + 0.05);
};

describe('the focus indicator', () => {
  it('is a 2 px ring outside every focused control, in a colour with at least 3:1 against the page', () => {
    const theme = careloopTheme(null);
    const overrides = theme.components?.MuiButtonBase?.styleOverrides?.root as Record<string, { outline: string; outlineOffset: number }>;
    const ring = overrides['&.Mui-focusVisible'];
    expect(ring?.outline).toBe(`2px solid ${theme.palette.primary.main}`);
    expect(ring?.outlineOffset).toBeGreaterThan(0);
    const global = theme.components?.MuiCssBaseline?.styleOverrides as Record<string, unknown>;
    expect(global['*:focus-visible']).toEqual(ring);
    expect(theme.palette.background.default).toBe('#fff');
    expect(contrast(theme.palette.primary.main, '#ffffff')).toBeGreaterThanOrEqual(3);
  });
});
