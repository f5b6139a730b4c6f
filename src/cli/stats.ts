/**
 * `rekisteri stats`: the anonymised statistics (docs/statistics.md), every group under 5
 * suppressed, as text, JSON or CSV. The operator's view is logged as a console view is.
 */
import { Command, Option } from 'commander';
import { statisticsCsv, type Shown } from '../modules/statistics/index.ts';
import { operator } from '../lib/actor.ts';
import { withRuntime } from './with-runtime.ts';

const cell = (v: Shown) => (v === '<5' ? 'fewer than 5' : String(v));

export function statsCommand(): Command {
  return new Command('stats')
    .description(
      'Anonymised statistics: people per category, purpose and source, permission states per kind and channel, requests per type and state; groups under 5 suppressed',
    )
    .addOption(
      new Option('--format <format>', 'text, json or csv')
        .choices(['text', 'json', 'csv'])
        .default('text'),
    )
    .action(async (opts: { format: 'text' | 'json' | 'csv' }) => {
      await withRuntime(
        async ({ services }) => {
          const s = await services.statistics.view(
            operator,
            opts.format === 'csv' ? 'csv' : 'json',
          );
          if (opts.format === 'json') {
            console.log(JSON.stringify(s, null, 2));
            return;
          }
          if (opts.format === 'csv') {
            process.stdout.write(statisticsCsv(s));
            return;
          }
          const line = (label: string, v: Shown) => console.log(`  ${label.padEnd(40)} ${cell(v)}`);
          console.log(`live people (not erased): ${cell(s.people)}, on ${s.generatedAt}`);
          console.log('counts of 1–4 read "fewer than 5"; "hidden" would let one be worked out');
          for (const [title, list] of [
            ['categories', s.categories],
            ['purposes', s.purposes],
            ['sources', s.sources],
          ] as const) {
            console.log(`${title} (people)`);
            for (const g of list) {
              line(g.id, g.people);
            }
          }
          console.log(
            'permissions (granted / refused / withdrawn / objected / pending / never asked)',
          );
          for (const p of s.permissions) {
            const cells = [p.granted, p.refused, p.withdrawn, p.objected, p.pending, p.neverAsked];
            console.log(`  ${`${p.kind}/${p.channel}`.padEnd(40)} ${cells.map(cell).join(' / ')}`);
          }
          console.log(`requests: ${cell(s.requests.total)}`);
          for (const r of s.requests.byType) {
            line(`type ${r.id}`, r.requests);
          }
          for (const r of s.requests.byState) {
            line(`state ${r.id}`, r.requests);
          }
        },
        { quiet: true },
      );
    });
}
