/**
 * The module boundary rule of eslint.config.mjs fires: code outside a module, and another
 * module, may import only a module's index.ts; a module's own files import each other freely.
 * The rule is taken from the project's real configuration for each file, then run on a fixture
 * text (without type information, so that the test is quick).
 */
import { fileURLToPath } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import * as subjectsModule from '../src/modules/subjects/index.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const project = new ESLint({ cwd: root });

/** The boundary messages ESLint gives `code` as if it were the file at `filePath`. */
async function boundaryMessages(filePath: string, code: string): Promise<string[]> {
  const config = (await project.calculateConfigForFile(filePath)) as Linter.Config;
  const rule = config.rules?.['no-restricted-imports'];
  expect(rule, `the boundary rule applies to ${filePath}`).toBeDefined();
  const eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts', '**/*.mjs', '**/*.js'],
        languageOptions: { parser: tseslint.parser },
        rules: { 'no-restricted-imports': rule as Linter.RuleEntry },
      },
    ],
  });
  const [result] = await eslint.lintText(code, { filePath });
  expect(result?.messages.filter((m) => m.fatal)).toEqual([]);
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'no-restricted-imports')
    .map((m) => m.message);
}

describe('module boundaries (eslint no-restricted-imports)', () => {
  const refused: Array<[string, string, string]> = [
    [
      'another module reaching into the subjects repo',
      'src/modules/imports/imports.service.ts',
      "import { subjectsRepo } from '../subjects/subjects.repo.ts';",
    ],
    [
      'a type-only import of another module’s service',
      'src/modules/audit/audit.routes.ts',
      "import type { StaffService } from '../staff/staff.service.ts';",
    ],
    [
      'a re-export of another module’s internals',
      'src/modules/imports/index.ts',
      "export { subjectsRepo } from '../subjects/subjects.repo.ts';",
    ],
    [
      'a use case in a module’s subfolder reaching into another module',
      'src/modules/subjects/use-cases/erase-subject.ts',
      "import type { AuditService } from '../../audit/audit.service.ts';",
    ],
    [
      'the composition root importing a module file',
      'src/services.ts',
      "import { createSubjectsService } from './modules/subjects/subjects.service.ts';",
    ],
    [
      'http code importing a module file',
      'src/http/auth.ts',
      "import { SESSION_COOKIE } from '../modules/staff/staff.service.ts';",
    ],
    [
      'the CLI importing a module’s subfolder',
      'src/cli/import.ts',
      "import { x } from '../modules/subjects/use-cases/bulk-write.ts';",
    ],
    [
      'a bench script importing a module file',
      'bench/import.ts',
      "import { checkMapping } from '../src/modules/imports/mapping.ts';",
    ],
  ];
  it.each(refused)('refuses %s', async (_name, filePath, code) => {
    const messages = await boundaryMessages(filePath, code);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/only through its index\.ts/);
  });

  const allowed: Array<[string, string, string]> = [
    [
      'another module’s index.ts',
      'src/modules/imports/imports.service.ts',
      "import { createSealPool } from '../subjects/index.ts';",
    ],
    [
      'a module’s own files',
      'src/modules/subjects/subjects.service.ts',
      "import { subjectsRepo } from './subjects.repo.ts';\nimport { createAccess } from './access.ts';",
    ],
    [
      'its own files from a subfolder of the module',
      'src/modules/subjects/use-cases/erase-subject.ts',
      "import { subjectsRepo } from '../subjects.repo.ts';\nimport type { AuditService } from '../../audit/index.ts';",
    ],
    [
      'shared code outside the modules, from inside one',
      'src/modules/subjects/use-cases/erase-subject.ts',
      "import { withTransaction } from '../../../db/transaction.ts';\nimport { uuidv7 } from '../../../lib/ids.ts';",
    ],
    [
      'a module’s index.ts from http code',
      'src/http/auth.ts',
      "import { SESSION_COOKIE } from '../modules/staff/index.ts';",
    ],
  ];
  it.each(allowed)('allows %s', async (_name, filePath, code) => {
    expect(await boundaryMessages(filePath, code)).toEqual([]);
  });

  it('leaves tests free to import any file', async () => {
    const config = (await project.calculateConfigForFile('test/import.test.ts')) as Linter.Config;
    expect(config.rules?.['no-restricted-imports']).toBeUndefined();
  });

  it('offers no way into subjects that writes without authorising', () => {
    expect(Object.keys(subjectsModule)).not.toContain('applyChanges');
    expect(Object.keys(subjectsModule)).not.toContain('subjectsRepo');
  });
});
