/**
 * The server runs its background work as declared jobs: a real server process (embedded database)
 * seals the access log, prunes sessions, cleans the key store, looks for waiting mail and removes
 * expired mail while it runs, and stops cleanly on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.ts';
import { freePort, ROOT } from './helpers.ts';

const CHOOSERS = [
  'DATABASE_URL',
  'KEYSTORE_DATABASE_URL',
  'REKISTERI_MASTER_KEY',
  'REKISTERI_REGISTER',
  'SMTP_URL',
  'MAIL_FROM',
];

describe('the server’s jobs', () => {
  it(
    'run on schedule while the server serves, and stop with it on SIGTERM',
    { timeout: 180_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'rekisteri-jobs-'));
      try {
        const env = Object.fromEntries(
          Object.entries(process.env).filter(([k]) => !CHOOSERS.includes(k)),
        );
        const server = spawn(process.execPath, [join(ROOT, 'bin/rekisteri.js'), 'start'], {
          cwd: dir,
          env: {
            ...env,
            PORT: String(await freePort()),
            REKISTERI_DATA: join(dir, 'data'),
            REKISTERI_KEYSTORE: join(dir, 'keystore'),
            REKISTERI_KEY_FILE: join(dir, 'rekisteri.key'),
            REKISTERI_DEMO_PEOPLE: '0',
            REKISTERI_KEY_CLEAN_INTERVAL: '1',
          },
          stdio: 'pipe',
        });
        let output = '';
        const exited = new Promise<number | null>((r) => server.on('exit', (code) => r(code)));
        server.stdout.on('data', (d: Buffer) => (output += d.toString()));
        server.stderr.on('data', (d: Buffer) => (output += d.toString()));
        const end = Date.now() + 120_000;
        while (!/serving .*? at http/.test(output) && Date.now() < end) {
          await new Promise((r) => setTimeout(r, 100));
        }
        expect(output).toMatch(/serving .*? at http/);
        const servingSince = Math.floor(Date.now() / 1000);
        await new Promise((r) => setTimeout(r, 3000));
        const stopAt = Date.now();
        server.kill('SIGTERM');
        expect(await exited, output.slice(-2000)).toBe(0);
        expect(Date.now() - stopAt).toBeLessThan(10_000);
        expect(output).not.toMatch(/failed/);

        const data = await openDatabase({ dataDir: join(dir, 'data') });
        try {
          const rows = await data.db
            .selectFrom('job_schedules')
            .select(['name', 'last_slot'])
            .orderBy('name')
            .execute();
          const slots = Object.fromEntries(rows.map((r) => [r.name, Number(r.last_slot)]));
          expect(Object.keys(slots)).toEqual([
            'audit.seal',
            'campaigns.prune',
            'http.prune-rate-limits',
            'keystore.clean',
            'mail.expire',
            'mail.release',
            'permissions.prune-links',
            'portal.prune-tokens',
            'portal.purge-unverified',
            'requests.digest',
            'requests.letters',
            'requests.shred-erased',
            'retention.sweep',
            'staff.prune-sessions',
            'subjects.shred-ended-holds',
          ]);
          // The sealer ran every second while the server served, up to its last seconds.
          expect(slots['audit.seal']).toBeGreaterThanOrEqual(servingSince + 2);
          expect(slots['keystore.clean']).toBeGreaterThanOrEqual(servingSince + 2);
        } finally {
          await data.close();
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
