// Lint rules for the whole repository (flat config). Type-aware rules are left to
// `npm run typecheck`; these catch mistakes tsc does not.
const tseslint = require('typescript-eslint');

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.data/**', 'test/artifacts/**', 'bench/results/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-console': ['error', { allow: ['warn', 'error'] }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'src/cli/**/*.ts', 'src/database/migrate.cli.ts', 'src/web/app/**/*.spec.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    // The application page inside Bitrix24 (src/bitrix24/app-frame): a plain browser script.
    files: ['src/bitrix24/app-frame/assets/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { window: 'readonly', document: 'readonly', fetch: 'readonly', JSON: 'readonly', String: 'readonly', Error: 'readonly' } },
    rules: { 'no-undef': 'error' },
  },
  {
    files: ['*.js', 'test/support/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly', __dirname: 'readonly', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
