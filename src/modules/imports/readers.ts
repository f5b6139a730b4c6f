/**
 * Streaming readers: CSV (with a header row) and JSON Lines, each yielding one record at a time with
 * its line number, or the reason the line cannot be read. A file that cannot be parsed further
 * (an unclosed quote, say) throws ImportFileError naming the line.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';

export type RawRecord =
  { line: number; fields: Record<string, unknown> } | { line: number; error: string };

export class ImportFileError extends Error {
  override name = 'ImportFileError';
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** csv-parse's messages quote the data; ours name the problem only. */
const CSV_ERRORS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed (is the file truncated?)',
  CSV_INVALID_CLOSING_QUOTE: 'a closing quote is followed by something other than a delimiter',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'text follows a closing quote',
  CSV_QUOTE_IN_UNQUOTED_FIELD: 'a quote appears inside an unquoted field',
  CSV_MAX_RECORD_SIZE: 'a record is too large',
  INVALID_OPENING_QUOTE: 'a quote appears inside an unquoted field',
};

/** Line breaks in `text`: CRLF, CR or LF each one. */
const breaks = (text: string): number => text.match(/\r\n|\r|\n/g)?.length ?? 0;

export interface ReadProgress {
  bytes: number;
}

export async function* readCsv(
  file: string,
  delimiter: string,
  progress: ReadProgress,
): AsyncGenerator<RawRecord> {
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  stream.on('data', (chunk) => {
    progress.bytes += chunk.length;
  });
  const parser = stream.pipe(
    parse({
      delimiter,
      bom: true,
      info: true,
      raw: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    }),
  );
  let header: string[] | undefined;
  let lastLine = 0;
  // Line breaks read so far: a record is numbered by the line it starts on (a quoted field may
  // span lines), counted from its raw text, as csv-parse counts only to a record's end.
  let consumed = 0;
  try {
    for await (const item of parser as AsyncIterable<{
      record: string[];
      raw: string;
      info: { lines: number };
    }>) {
      const lead = /^\s*/.exec(item.raw)?.[0] ?? '';
      const line = consumed + breaks(lead) + 1;
      consumed += breaks(item.raw);
      lastLine = item.info.lines;
      if (!header) {
        header = item.record;
        if (new Set(header).size !== header.length) {
          throw new ImportFileError(line, 'the header names a column twice');
        }
        continue;
      }
      if (item.record.length !== header.length) {
        yield { line, error: `expected ${header.length} columns, found ${item.record.length}` };
        continue;
      }
      const fields: Record<string, unknown> = {};
      header.forEach((h, i) => {
        fields[h] = item.record[i];
      });
      yield { line, fields };
    }
  } catch (err) {
    if (err instanceof ImportFileError) {
      throw err;
    }
    const e = err as { code?: string; lines?: number; message: string };
    throw new ImportFileError(
      e.lines ?? lastLine + 1,
      `the CSV cannot be read further: ${CSV_ERRORS[e.code ?? ''] ?? `malformed CSV (${e.code ?? 'unknown error'})`}`,
    );
  } finally {
    stream.destroy();
  }
  if (!header) {
    throw new ImportFileError(1, 'the file is empty: expected a header row');
  }
}

export async function* readJsonLines(
  file: string,
  progress: ReadProgress,
): AsyncGenerator<RawRecord> {
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  stream.on('data', (chunk) => {
    progress.bytes += chunk.length;
  });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') {
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      yield { line, error: 'not valid JSON' };
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      yield { line, error: 'expected a JSON object' };
      continue;
    }
    yield { line, fields: value as Record<string, unknown> };
  }
}
