import { createTheme, type Theme } from '@mui/material/styles';
import type { SmartStyle } from '../smart/style.ts';

const HEADING_VARIANTS = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'subtitle1', 'subtitle2'] as const;
const HEADING_ELEMENT = /^h[1-6]$/;

/**
 * A compact theme for a ~380 px sidebar, in the EHR's style where it gave one (see
 * src/smart/style.ts for what each key means). Every SMART style key has a matching element:
 * background → page and card; error, success → their alerts and indicators; highlight → the
 * primary colour (action button, links, focus); modal backdrop → behind the confirm and snooze
 * dialogs (not behind menus, which have none); text → body text; border radius → cards, buttons,
 * alerts; font size → the body text (MUI's base size, which body2 takes in px); spacing size → two
 * spacing units (padding around the panel's sections); body and heading fonts → body text and
 * every heading (`h1`–`h6` elements and the heading variants).
 */
export function careloopTheme(style: SmartStyle | null): Theme {
  const heading = style?.fontFamilyHeading ?? null;
  const primary = style?.colorHighlight ?? '#1f5fa8';
  // One visible focus indicator for every control: a 2 px ring in the primary colour, drawn outside
  // the control (so it shows on dark buttons too) against the page, instead of MUI's faint ripple.
  const focusRing = { outline: `2px solid ${primary}`, outlineOffset: 2 };
  const backdrop = style?.colorModalBackdrop ?? null;
  return createTheme({
    palette: {
      primary: { main: primary },
      ...(style?.colorBackground ? { background: { default: style.colorBackground, paper: style.colorBackground } } : {}),
      ...(style?.colorText ? { text: { primary: style.colorText } } : {}),
      ...(style?.colorError ? { error: { main: style.colorError } } : {}),
      ...(style?.colorSuccess ? { success: { main: style.colorSuccess } } : {}),
    },
    ...(style?.dimBorderRadius !== null && style?.dimBorderRadius !== undefined ? { shape: { borderRadius: style.dimBorderRadius } } : {}),
    ...(style?.dimSpacingSize ? { spacing: style.dimSpacingSize / 2 } : {}),
    typography: {
      fontSize: style?.dimFontSize ?? 13,
      ...(style?.fontFamilyBody ? { fontFamily: style.fontFamilyBody } : {}),
      ...(heading ? Object.fromEntries(HEADING_VARIANTS.map((variant) => [variant, { fontFamily: heading }])) : {}),
    },
    components: {
      MuiButton: { defaultProps: { disableElevation: true }, styleOverrides: { root: { textTransform: 'none' } } },
      MuiButtonBase: { styleOverrides: { root: { '&.Mui-focusVisible': focusRing } } },
      MuiCssBaseline: { styleOverrides: { '*:focus-visible': focusRing } },
      ...(heading
        ? {
            // A heading element in another variant (a caption used as an h3) still takes the heading font.
            MuiTypography: { styleOverrides: { root: ({ ownerState }) => (HEADING_ELEMENT.test(String(ownerState.component ?? '')) ? { fontFamily: heading } : {}) } },
            MuiAlertTitle: { styleOverrides: { root: { fontFamily: heading } } },
          }
        : {}),
      ...(backdrop
        ? { MuiBackdrop: { styleOverrides: { root: ({ ownerState }) => (ownerState.invisible ? {} : { backgroundColor: backdrop }) } } }
        : {}),
    },
  });
}
