import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Module boundaries: code outside `src/modules/<name>/` imports a module only through its
 * `index.ts`; a file inside a module imports its own module's files freely and other modules only
 * through their `index.ts`. Tests are exempt. test/module-boundaries.test.ts proves the rule fires.
 */
const boundaryMessage =
  'import another module only through its index.ts (src/modules/<name>/index.ts): its other files are internal';
/** `…modules/<name>/<anything but index.ts>`: from src/, src/http/, bin/, bench/… */
const intoModule = { regex: '(^|/)modules/[^/]+/(?!index\\.ts$)', message: boundaryMessage };
/** From a file `depth` folders below src/modules/<name>/ (1 = the module's own folder). */
const siblingModule = (depth) => ({
  regex: `^(\\.\\./){${depth}}(?!\\.\\.)[^/]+/(?!index\\.ts$)`,
  message: boundaryMessage,
});
const boundaries = [
  {
    files: ['src/**/*.{ts,mjs}', 'bin/**/*.{ts,js,mjs}', 'bench/**/*.ts'],
    ignores: ['src/modules/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [intoModule] }] },
  },
  ...[1, 2, 3].map((depth) => ({
    files: [`src/modules/*/${'*/'.repeat(depth - 1)}*.{ts,mjs}`],
    rules: {
      'no-restricted-imports': ['error', { patterns: [intoModule, siblingModule(depth)] }],
    },
  })),
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
