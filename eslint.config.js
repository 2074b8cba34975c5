// eslint (flat config) for the widget's front end: js/ is browser code bundled by esbuild, js/test/ runs in node.
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['src/activelens/static/**', 'node_modules/**', 'test-artifacts/**'] },
  js.configs.recommended,
  {
    files: ['js/**/*.js', 'eslint.config.js'],
    languageOptions: {
      ecmaVersion: 'latest',
      sourceType: 'module',
      globals: { ...globals.browser },
    },
    rules: {
      'no-unused-vars': ['error', { args: 'after-used', caughtErrors: 'none' }],
      'no-console': ['error', { allow: ['error', 'warn'] }],
      'no-var': 'error',
      'prefer-const': 'error',
      eqeqeq: ['error', 'always'],
      'no-shadow': 'error',
      'no-implicit-globals': 'error',
      'no-use-before-define': ['error', { functions: false, variables: false }],
      curly: ['error', 'multi-line'],
    },
  },
  {
    files: ['js/test/**/*.js'],
    languageOptions: { globals: { ...globals.node } },
  },
];
