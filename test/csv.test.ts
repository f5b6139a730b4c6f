/**
 * The CSV written for people (data.csv and portable.csv in an access package, an import's
 * rejected lines): a value a spreadsheet would take for a formula is neutralised with a leading
 * quote; a number or a phone number is written exactly as held.
 */
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csv, csvCell } from '../src/lib/csv.ts';

describe('CSV cells', () => {
  it.each([
    '=1+1',
    '=HYPERLINK("https://example.com","x")',
    '+SUM(A1:A9)',
    '-2+3+cmd|"/c calc"!A0',
    '@SUM(1)',
    '\t=1',
    '\r=1',
    '+',
    '-',
    '+358 40 123 4567 =1',
    // Arithmetic, exponents, hex, a line break or a carriage return after a number's start.
    '-1+1',
    '+1-2*3',
    '-1e3',
    '-0x1F',
    '-1\n=1',
    '+1\r',
    '-1;=cmd|x',
  ])('neutralises %j', (value) => {
    expect(csvCell(value)).toBe(`"'${value.replaceAll('"', '""')}"`);
  });

  it.each([
    '+358 40 123 4567',
    '+358401234567',
    '-12.5',
    '+1 (555) 010-0199',
    '040-123 4567',
    '(09) 123 45',
    '00100',
  ])('leaves the number %j byte for byte', (value) => {
    expect(csvCell(value)).toBe(`"${value}"`);
  });

  it('writes rows a CSV reader gives back unchanged, quotes and line breaks included', () => {
    const text = csv(
      ['a', 'b'],
      [
        ['+358 40 123 4567', 'say "hi"\nbye'],
        ['=1', 'Åsa'],
      ],
    );
    expect(text.startsWith('\uFEFF"a","b"\r\n')).toBe(true);
    expect(parse(text, { columns: true, bom: true })).toEqual([
      { a: '+358 40 123 4567', b: 'say "hi"\nbye' },
      { a: "'=1", b: 'Åsa' },
    ]);
  });
});
