import js from '@eslint/js';
import jsxA11y from 'eslint-plugin-jsx-a11y';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**', 'data/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // Each file is checked with the types of the tsconfig.json that includes it.
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Migrations run against Kysely<any> on purpose: they are frozen and know no app types.
      '@typescript-eslint/no-explicit-any': 'off',
      // A promise nobody awaits loses its error: say `void` when that is meant.
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  {
    // React code: the rules of hooks (and the React Compiler's checks that come with them),
    // and the accessibility rules the axe run in the browser tests backs up.
    files: ['apps/web/**/*.{ts,tsx}', 'packages/react/**/*.{ts,tsx}'],
    ...reactHooks.configs.flat.recommended,
    rules: {
      ...reactHooks.configs.flat.recommended.rules,
      // It takes every field of an object that holds a ref for a ref: `form.errors` of our
      // useForm() (which hands out a callback ref for <form ref>) reads as "a ref during render".
      'react-hooks/refs': 'off',
    },
  },
  {
    files: ['apps/web/**/*.tsx', 'packages/react/**/*.tsx'],
    ...jsxA11y.flatConfigs.recommended,
    rules: {
      ...jsxA11y.flatConfigs.recommended.rules,
      // autoFocus appears only where a person has just opened a dialog or a form section:
      // moving focus into it is what the WAI-ARIA dialog pattern asks for.
      'jsx-a11y/no-autofocus': 'off',
    },
  },
  {
    // Plain JavaScript (this file, the client's rollup config) is in no tsconfig: no type-aware rules.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
