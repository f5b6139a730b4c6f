/**
 * The module boundary rule (eslint.module-boundaries.mjs, on in eslint.config.mjs) fires: code
 * outside a module, and another module, may import only a module's index.ts, however the path is
 * spelt and whatever the form of the import; a module's own files import each other freely.
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
  const rule = config.rules?.['rekisteri/module-boundaries'];
  expect(rule, `the boundary rule applies to ${filePath}`).toBeDefined();
  const plugin = config.plugins?.rekisteri;
  expect(plugin?.rules?.['module-boundaries']).toBeDefined();
  const eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts', '**/*.mjs', '**/*.js'],
        languageOptions: { parser: tseslint.parser },
        plugins: { rekisteri: plugin as ESLint.Plugin },
        rules: { 'rekisteri/module-boundaries': rule as Linter.RuleEntry },
      },
    ],
  });
  const [result] = await eslint.lintText(code, { filePath });
  expect(result?.messages.filter((m) => m.fatal)).toEqual([]);
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'rekisteri/module-boundaries')
    .map((m) => m.message);
}

describe('module boundaries (eslint rekisteri/module-boundaries)', () => {
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
    [
      'a path spelt with ./ before ../ (src/modules/imports → subjects)',
      'src/modules/imports/imports.service.ts',
      "import { subjectsRepo } from './../subjects/subjects.repo.ts';",
    ],
    [
      'a path spelt with ./ between the ../ of a subfolder',
      'src/modules/subjects/use-cases/erase-subject.ts',
      "import type { AuditService } from '.././../audit/audit.service.ts';",
    ],
    [
      'a path with a doubled slash',
      'src/http/auth.ts',
      "import { SESSION_COOKIE } from '../modules//staff/staff.service.ts';",
    ],
    [
      'a doubled slash from inside another module',
      'src/modules/imports/imports.service.ts',
      "import { subjectsRepo } from '..//subjects/subjects.repo.ts';",
    ],
    [
      'a dynamic import()',
      'src/http/auth.ts',
      "const { subjectsRepo } = await import('../modules/subjects/subjects.repo.ts');",
    ],
    [
      'a dynamic import() from inside another module',
      'src/modules/imports/imports.service.ts',
      "const m = await import('../subjects/subjects.repo.ts');",
    ],
    [
      'a dynamic import() with a computed path',
      'src/http/auth.ts',
      "const m = await import(`../modules/${'subjects'}/subjects.repo.ts`);",
    ],
    [
      'an import type of another module’s file',
      'src/http/auth.ts',
      "type R = import('../modules/subjects/subjects.repo.ts').NewSubjectRow;",
    ],
    [
      'export * from another module’s file',
      'src/modules/imports/index.ts',
      "export * from '../subjects/subjects.repo.ts';",
    ],
    [
      'a bin script importing a module file',
      'bin/rekisteri.js',
      "await import('../src/modules/subjects/subjects.repo.ts');",
    ],
    [
      'a file four folders deep in a module reaching into another',
      'src/modules/subjects/a/b/c/x.ts',
      "import { auditRepo } from '../../../../audit/audit.repo.ts';",
    ],
  ];
  it.each(refused)('refuses %s', async (_name, filePath, code) => {
    const messages = await boundaryMessages(filePath, code);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/only through its index\.ts|computed path/);
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
    [
      'a package, statically and dynamically',
      'src/db/database.ts',
      "import { sql } from 'kysely';\nconst { PGlite } = await import('@electric-sql/pglite');",
    ],
    ['the CLI from bin', 'bin/rekisteri.js', "await import('../src/cli/main.ts');"],
    [
      'another module’s index.ts, however the path is spelt',
      'src/modules/imports/imports.service.ts',
      "import { createSealPool } from './../subjects//index.ts';",
    ],
  ];
  it.each(allowed)('allows %s', async (_name, filePath, code) => {
    expect(await boundaryMessages(filePath, code)).toEqual([]);
  });

  it('leaves tests free to import any file', async () => {
    const config = (await project.calculateConfigForFile('test/import.test.ts')) as Linter.Config;
    expect(config.rules?.['rekisteri/module-boundaries']).toBeUndefined();
  });

  it('offers no way into subjects that writes without authorising', () => {
    expect(Object.keys(subjectsModule)).not.toContain('applyChanges');
    expect(Object.keys(subjectsModule)).not.toContain('subjectsRepo');
  });
});
