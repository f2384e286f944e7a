import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Import boundaries from the style guide: data flows one way, and only src/smart/ talks to fhirclient. */
const noReact = [
  { group: ['react', 'react-dom', 'react/*', '@mui/*', '@tanstack/*', 'zustand', 'zustand/*'], message: 'rules/ is pure: no UI.' },
];
/** One convention for import specifiers: a relative import names its file, extension included. */
const specifierNamesItsFile = {
  selector: "ImportDeclaration[source.value=/^\\.{1,2}\\/(?!.*\\.(ts|tsx|json|mjs|js|css|svg|png|html)$)/], ExportNamedDeclaration[source.value=/^\\.{1,2}\\/(?!.*\\.(ts|tsx|json|mjs|js|css|svg|png|html)$)/], ExportAllDeclaration[source.value=/^\\.{1,2}\\/(?!.*\\.(ts|tsx|json|mjs|js|css|svg|png|html)$)/], ImportExpression[source.value=/^\\.{1,2}\\/(?!.*\\.(ts|tsx|json|mjs|js|css|svg|png|html)$)/]",
  message: 'A relative import names its file with its extension (./record.ts, ../rules/index.ts).',
};
const noFhirclient = { group: ['fhirclient', 'fhirclient/*'], message: 'Only src/smart/ imports fhirclient.' };

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'node_modules/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['warn', 'error', 'info'] }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // No import cycles between modules (type-only imports aside): each folder's dependencies run one way.
    files: ['src/**/*.{ts,tsx}'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      'import-x/extensions': ['.ts', '.tsx', '.js', '.mjs'],
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.js', '.mjs', '.json'] })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    // One convention for import specifiers: a relative import names its file, extension included
    // (`./record.ts`, `../rules/index.ts`), as Node, Vite and tsc all resolve it.
    files: ['src/**/*.{ts,tsx}', 'test/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-syntax': [
        'error',
        specifierNamesItsFile,
      ],
    },
  },
  {
    files: ['src/**/*.{ts,tsx}', 'test/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  {
    files: ['src/**/*.{ts,tsx}'],
    ignores: ['src/smart/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noFhirclient] }] },
  },
  {
    files: ['src/rules/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...noReact,
            noFhirclient,
            { group: ['**/app/*', '**/smart/*', '**/fhir/*', '**/features/*', '**/server/*', '**/sandbox/*', '**/writeback/*', '**/audit/*', 'node:*'], message: 'rules/ imports only cql/ and shared/.' },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        specifierNamesItsFile,
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'rules/ has no clock: take the as-of date as an argument.' },
        { selector: 'NewExpression[callee.name="Date"][arguments.length=0]', message: 'rules/ has no clock: take the as-of date as an argument.' },
        { selector: "CallExpression[callee.name='fetch']", message: 'rules/ has no network.' },
      ],
    },
  },
  {
    files: ['src/cql/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...noReact,
            noFhirclient,
            { group: ['**/app/*', '**/smart/*', '**/fhir/*', '**/features/*', '**/server/*', '**/sandbox/*', '**/writeback/*', '**/audit/*', '**/rules/*', 'node:*'], message: 'cql/ is pure: it imports only shared/.' },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        specifierNamesItsFile,
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'cql/ has no clock: the evaluation time is an argument.' },
        { selector: 'NewExpression[callee.name="Date"][arguments.length=0]', message: 'cql/ has no clock: the evaluation time is an argument.' },
        { selector: "CallExpression[callee.name='fetch']", message: 'cql/ has no network.' },
      ],
    },
  },
  {
    // The app's layers, bottom up: shared/ ← smart/ (the only fhirclient user) ← fhir/ ← features/ ← app/.
    files: ['src/smart/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/app/*', '**/features/*', '**/fhir/*', '**/writeback/*', '**/audit/*', '**/rules/*', '**/server/*', '**/sandbox/*'], message: 'smart/ imports only shared/ (and fhirclient).' }] },
      ],
    },
  },
  {
    files: ['src/fhir/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [noFhirclient, { group: ['**/app/*', '**/features/*', '**/writeback/*', '**/audit/*', '**/server/*', '**/sandbox/*'], message: 'fhir/ imports only smart/ and shared/.' }] },
      ],
    },
  },
  {
    files: ['src/features/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [noFhirclient, { group: ['**/server/*', '**/sandbox/*'], message: 'features/ never imports the backend or the sandbox.' }] },
      ],
    },
  },
  {
    files: ['src/server/**/*.ts', 'src/sandbox/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [noFhirclient, ...noReact, { group: ['**/app/*', '**/smart/*', '**/fhir/*', '**/features/*', '**/rules/*', '**/writeback/*', '**/audit/*'], message: 'server/ and sandbox/ share only shared/ with the app.' }] },
      ],
    },
  },
  {
    // The workflow service evaluates the sidebar's own rule pack: rules/ is pure, so this one
    // adapter may import it (and only it) from the app's side.
    files: ['src/server/workflow/rule-engine.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [noFhirclient, ...noReact, { group: ['**/app/*', '**/smart/*', '**/fhir/*', '**/features/*', '**/writeback/*', '**/audit/*'], message: 'The rule adapter imports only rules/ from the app.' }] },
      ],
    },
  },
);
