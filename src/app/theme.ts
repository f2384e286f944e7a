import { createTheme, type Theme } from '@mui/material/styles';
import type { SmartStyle } from '../smart/style';

/** A compact theme for a ~380 px sidebar, with the EHR's colours and font where it gave them. */
export function careloopTheme(style: SmartStyle | null): Theme {
  return createTheme({
    palette: {
      ...(style?.highlight ? { primary: { main: style.highlight } } : { primary: { main: '#1f5fa8' } }),
      ...(style?.background ? { background: { default: style.background, paper: style.background } } : {}),
      ...(style?.text ? { text: { primary: style.text } } : {}),
    },
    typography: {
      fontSize: 13,
      ...(style?.fontFamily ? { fontFamily: style.fontFamily } : {}),
    },
    components: {
      MuiButton: { defaultProps: { disableElevation: true }, styleOverrides: { root: { textTransform: 'none' } } },
    },
  });
}
