import { Command } from 'commander';
import {
  DefinitionError,
  formatProblems,
  loadDefinition,
  type DefinitionProblem,
} from '../modules/definition/index.ts';
import { countriesOutsideEea } from '../modules/definition/index.ts';
import { refusedFindings, registerWarnings, type Finding } from '../modules/notice/index.ts';
import { loadConfig } from '../config/config.ts';
import { resolveRegisterFile } from '../runtime.ts';

/** One problem as `--json` prints it. */
const asJson = (p: DefinitionProblem) => ({
  path: p.path,
  message: p.message,
  ...(p.line !== undefined ? { line: p.line, column: p.column ?? 1 } : {}),
});

export function checkCommand(): Command {
  return new Command('check')
    .description(
      'Validate a register definition: print every error (what it may not say, or the law no longer allows) and exit 1, or a summary and exit 0; warnings (what it leaves unsaid, with the article that asks for it) are listed apart and do not fail it',
    )
    .argument('[file]', 'the definition (default: REKISTERI_REGISTER or ./register.yaml)')
    .option('--json', 'print { file, valid, errors, warnings } as JSON instead')
    .action(async (file: string | undefined, opts: { json?: boolean }) => {
      const target = file ?? (await resolveRegisterFile(loadConfig())).file;
      try {
        // Today, so that an overdue review of the notice is warned about.
        const reg = await loadDefinition(target, new Date().toISOString().slice(0, 10));
        const d = reg.definition;
        // The definition's warnings and what the privacy notice would leave unanswered
        // (Art. 13/14), each once: an unknown value is one warning, not one of each kind.
        const findings = registerWarnings(reg);
        const allWarnings: DefinitionProblem[] = findings.map((f) => ({
          path: f.path,
          message: f.message,
          severity: 'warning',
          ...(f.line !== undefined ? { line: f.line, column: f.column ?? 1 } : {}),
        }));
        const gaps = findings.filter((f) => f.noticeItem !== undefined);
        if (opts.json) {
          console.log(
            JSON.stringify(
              {
                file: target,
                valid: true,
                languages: reg.languages,
                errors: [],
                warnings: allWarnings.map(asJson),
              },
              null,
              2,
            ),
          );
          return;
        }
        const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
        const warnings = allWarnings.length;
        const own = findings.length - gaps.length;
        console.log(
          `${target}: valid${own > 0 ? `, ${count(own, 'warning')}` : ''}${
            gaps.length > 0
              ? `; the privacy notice leaves ${count(gaps.length, 'item')} unanswered (warnings)`
              : ''
          }`,
        );
        console.log(`  controller   ${d.controller.name} (${d.controller.businessId})`);
        console.log(`  register     ${reg.languages.map((l) => d.register.name[l]).join(' / ')}`);
        console.log(`  languages    ${reg.languages.join(', ')}`);
        if (d.notice) {
          console.log(
            `  notice       ${d.notice.date}${d.notice.version ? `, version ${d.notice.version}` : ''}${d.notice.nextReview ? `, next review ${d.notice.nextReview}` : ''}`,
          );
        }
        console.log(`  subjects     ${d.register.subjectGroups.map((g) => g.id).join(', ')}`);
        console.log(
          `  categories   ${count(d.categories.length, 'category').replace('categorys', 'categories')}, ${count(
            d.categories.reduce((n, c) => n + c.fields.length, 0),
            'field',
          )}`,
        );
        for (const p of d.purposes) {
          console.log(
            `  purpose      ${p.id.padEnd(24)} ${p.legalBasis.padEnd(20)} ${p.categories.join(', ')}`,
          );
        }
        const outside = d.transfers.filter((t) => countriesOutsideEea(d, t).length > 0).length;
        console.log(
          `  recipients   ${count(d.recipients.length, 'recipient')}, ${count(outside, 'transfer')} outside the EU/EEA`,
        );
        console.log(
          `  retention    ${count(d.retention.rules.length, 'rule')}, ${count(d.retention.legalHolds.length, 'legal hold')}`,
        );
        console.log(`  version      ${reg.digest.slice(0, 12)}`);
        if (warnings > 0) {
          console.log(`warnings (what the definition leaves unsaid or should be checked):`);
          console.log(formatProblems(target, allWarnings));
        }
      } catch (err) {
        if (err instanceof DefinitionError) {
          // Every warning that can be computed, the notice's gaps among them, as for a valid
          // definition; or one line saying why there are none.
          const { errors, warnings, noWarnings } = refusedFindings(err);
          const asProblem = (f: Finding): DefinitionProblem => ({
            path: f.path,
            message: f.message,
            ...(f.severity === 'warning' ? { severity: 'warning' as const } : {}),
            ...(f.line !== undefined ? { line: f.line, column: f.column ?? 1 } : {}),
          });
          if (opts.json) {
            console.log(
              JSON.stringify(
                {
                  file: target,
                  valid: false,
                  errors: errors.map(asProblem).map(asJson),
                  warnings: warnings.map(asProblem).map(asJson),
                  ...(noWarnings !== undefined ? { noWarnings } : {}),
                },
                null,
                2,
              ),
            );
          } else {
            const all = [...errors, ...warnings].map(asProblem);
            console.error(new DefinitionError(target, all).message);
            if (noWarnings !== undefined) {
              console.error(`  ${noWarnings}`);
            }
          }
          process.exitCode = 1;
          return;
        }
        throw err;
      }
    });
}
