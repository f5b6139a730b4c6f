import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import moduleBoundaries from './eslint.module-boundaries.mjs';

/**
 * Module boundaries: code outside `src/modules/<name>/` imports a module only through its
 * `index.ts`; a file inside a module imports its own module's files freely and other modules only
 * through their `index.ts`. The rule (eslint.module-boundaries.mjs) resolves each path, so no
 * spelling of it slips past, and reads dynamic imports and re-exports too. Tests are exempt.
 * test/module-boundaries.test.ts proves the rule fires.
 */
const boundaries = [
  {
    files: ['src/**/*.{ts,mjs}', 'bin/**/*.{ts,js,mjs}', 'bench/**/*.{ts,js,mjs}'],
    plugins: { rekisteri: moduleBoundaries },
    rules: { 'rekisteri/module-boundaries': 'error' },
  },
];

export default tseslint.config(
  {
    ignores: ['.scratch/**', 'node_modules/**', 'data/**', 'dist/**', 'coverage/**', 'web/dist/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      curly: ['error', 'all'],
      'no-console': 'off',
    },
  },
  ...boundaries,
  {
    // Migrations take Kysely<any> on purpose: they must not depend on today's table types.
    files: ['src/db/migrations/*.ts', 'src/db/migrate.ts', 'src/keystore/migrations.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // expect.any(), expect.stringMatching() and friends are typed `any` by Vitest.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
