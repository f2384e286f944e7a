import CssBaseline from '@mui/material/CssBaseline';
import { ThemeProvider } from '@mui/material/styles';
import { StrictMode, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { ProblemScreen } from '../features/errors/problem-screen';
import type { Problem } from '../shared/problem';
import { careloopTheme } from './theme';

export function mount(node: ReactNode): void {
  const root = document.getElementById('root');
  if (!root) throw new Error('index.html has no #root');
  createRoot(root).render(<StrictMode>{node}</StrictMode>);
}

export function mountProblem(problem: Problem): void {
  mount(
    <ThemeProvider theme={careloopTheme(null)}>
      <CssBaseline />
      <ProblemScreen problem={problem} onRetry={() => window.location.reload()} />
    </ThemeProvider>,
  );
}
