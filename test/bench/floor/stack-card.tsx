import { Button, Card, CardActions, CardContent, Chip, CssBaseline, ThemeProvider, Typography, createTheme } from '@mui/material';
import { createRoot } from 'react-dom/client';

const theme = createTheme();

/** Renders one static MUI card; the benchmark waits for `#next-action-title` as it does for Careloop's. */
export function showCard(reads: number): void {
  const root = document.getElementById('root');
  if (!root) return;
  createRoot(root).render(
    <ThemeProvider theme={theme}>
      <CssBaseline />
      <Card component="section" aria-labelledby="next-action-title" variant="outlined" sx={{ m: 1 }}>
        <CardContent>
          <Chip label="Overdue" color="warning" size="small" />
          <Typography id="next-action-title" variant="h6" component="h2">
            Colorectal cancer screening is overdue
          </Typography>
          <Typography variant="body2">No colonoscopy, FIT or CT colonography on file ({reads} reads).</Typography>
        </CardContent>
        <CardActions>
          <Button variant="contained">Refer for colonoscopy</Button>
          <Button>Why?</Button>
        </CardActions>
      </Card>
    </ThemeProvider>,
  );
}
