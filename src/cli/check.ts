import { Command } from 'commander';
import { DefinitionError, formatProblems, loadDefinition } from '../modules/definition/index.ts';
import { countriesOutsideEea, type DefinitionProblem } from '../modules/definition/index.ts';
import { completenessOf } from '../modules/notice/index.ts';
import { loadConfig } from '../config/config.ts';
import { resolveRegisterFile } from '../runtime.ts';

export function checkCommand(): Command {
  return new Command('check')
    .description(
      'Validate a register definition: print every problem and exit 1, or a summary (and any warnings) and exit 0',
    )
    .argument('[file]', 'the definition (default: REKISTERI_REGISTER or ./register.yaml)')
    .action(async (file?: string) => {
      const target = file ?? (await resolveRegisterFile(loadConfig())).file;
      try {
        const reg = await loadDefinition(target);
        const d = reg.definition;
        const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
        // What the privacy notice would leave unanswered (Art. 13/14): warnings, never errors.
        const gaps: DefinitionProblem[] = completenessOf(d).gaps.map((g) => ({
          path: g.path,
          message: `the privacy notice leaves "${g.item}" unanswered: ${g.message}`,
          severity: 'warning',
        }));
        const allWarnings = [...reg.warnings, ...gaps];
        const warnings = allWarnings.length;
        const own = reg.warnings.length;
        console.log(
          `${target}: valid${own > 0 ? `, ${count(own, 'warning')}` : ''}${
            gaps.length > 0
              ? `; the privacy notice leaves ${count(gaps.length, 'item')} unanswered (warnings)`
              : ''
          }`,
        );
        console.log(`  controller   ${d.controller.name} (${d.controller.businessId})`);
        console.log(
          `  register     ${d.register.name.en} / ${d.register.name.fi} / ${d.register.name.sv}`,
        );
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
          console.log(formatProblems(target, allWarnings));
        }
      } catch (err) {
        if (err instanceof DefinitionError) {
          console.error(err.message);
          process.exitCode = 1;
          return;
        }
        throw err;
      }
    });
}
