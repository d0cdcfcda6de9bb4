// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** src/core's folders from the ground up: a folder imports only from those before it. */
const CORE_LAYERS = ['base', 'storage', 'operations', 'copy', 'plan', 'engine', 'worker'];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'media/**', 'node_modules/**', '.cache/**', '.azurite-demo/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // The engine is plain Node: it must never depend on the VS Code API.
    files: ['src/core/**/*.ts', 'src/shared/**/*.ts', 'src/cli/**/*.ts', 'src/webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/core, src/shared, src/cli and src/webview must not import vscode.' }] }],
    },
  },
  // src/core's folders, lowest first: each imports only from the folders below it (and never vscode).
  ...CORE_LAYERS.map((layer, i) => ({
    files: [`src/core/${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'vscode', message: 'src/core must not import vscode.' },
            ...['..', '../index'].map((name) => ({ name, message: "Inside src/core, import the module itself, not src/core's index." })),
          ],
          patterns: CORE_LAYERS.slice(i + 1).map((above) => ({
            group: [`../${above}/*`, `../${above}`],
            message: `src/core/${layer} imports only from the folders below it (${CORE_LAYERS.join(' < ')}), not from ${above}.`,
          })),
        },
      ],
    },
  })),
  // Start-up time: the extension reaches the engine and the storage SDK only through loadCore()
  // (src/extension/loadCore.ts), so dist/extension.js stays free of them. Types are fine; the build checks the rest.
  ...[
    { files: ['src/extension/*.ts'], index: '../core' },
    { files: ['src/extension/*/**/*.ts'], index: '../../core' },
  ].map(({ files, index }) => ({
    files,
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: index,
              allowTypeImports: true,
              message: "Import only types from src/core's index: values through loadCore() (src/extension/loadCore.ts) or from an SDK-free core module.",
            },
          ],
          patterns: [{ group: ['@azure/*'], allowTypeImports: true, message: 'The Azure SDK is loaded on first use: go through loadCore() (src/extension/loadCore.ts).' }],
        },
      ],
    },
  })),
  {
    files: ['scripts/**/*.mjs', 'eslint.config.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly', fetch: 'readonly', AbortController: 'readonly', setInterval: 'readonly', clearInterval: 'readonly' } },
  },
);
