/**
 * The package's ZIP, written by fflate from entries deflated by Node's zlib: fflate's own deflate
 * is JavaScript, zlib's is native and about twice as fast at the same level (and a little
 * smaller). fflate's streaming `Zip` takes entries compressed elsewhere (a `ZipInputFile` with the
 * CRC and size of what it holds); each entry ends with a data descriptor, as in any streamed ZIP.
 */
import { Zip, type ZipInputFile } from 'fflate';
import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  data: Uint8Array;
  /** false: stored as it is (the PDF, already compressed inside). */
  deflate: boolean;
}

export function zipEntries(entries: readonly ZipEntry[], mtime: Date): Buffer {
  const chunks: Uint8Array[] = [];
  const failed: Error[] = [];
  const zip = new Zip((err, chunk) => {
    if (err) {
      failed.push(err);
    } else {
      chunks.push(chunk);
    }
  });
  for (const e of entries) {
    const file: ZipInputFile = {
      filename: e.name,
      size: e.data.length,
      crc: crc32(e.data),
      compression: e.deflate ? 8 : 0,
      mtime,
    };
    zip.add(file);
    const body = e.deflate ? deflateRawSync(e.data, { level: 6 }) : e.data;
    file.ondata?.(null, body as Uint8Array<ArrayBuffer>, true);
  }
  zip.end();
  if (failed[0]) {
    throw failed[0];
  }
  return Buffer.concat(chunks);
}
