import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const web = resolve(__dirname, '../..');
const canGenerate = existsSync(resolve(web, '../openapi.json')) || existsSync(resolve(web, '../.venv/bin/python'));

describe('the typed client', () => {
  it.skipIf(!canGenerate)("matches the server's current OpenAPI schema", () => {
    let output = '';
    try {
      output = execFileSync(process.execPath, ['scripts/gen-api.mjs', '--check'], { cwd: web, encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    }
    expect(output).toContain('matches the OpenAPI schema');
  }, 60_000);
});
