import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SPEC_DEPTH, parseJobSpec } from '../../contract';
import { nestingBeyond, readSpec, SpecInputError } from '../../client/specInput';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shale-spec-input-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function specFile(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function readError(path: string): Promise<SpecInputError> {
  try {
    await readSpec(path, {});
  } catch (err) {
    expect(err).toBeInstanceOf(SpecInputError);
    return err as SpecInputError;
  }
  throw new Error('expected a SpecInputError');
}

const head = '{"name": "deep", "team": "etl", "kind": "pyspark", "file": "s3://b/x.py", "labels": ';

describe('readSpec: specs nested thousands of levels deep', () => {
  it('reads deep JSON (it is valid JSON), and the contract names the field where it is too deep', async () => {
    const depth = 10_000;
    const path = await specFile('deep.json', `${head}${'{"a": '.repeat(depth)}1${'}'.repeat(depth)}}`);
    const spec = await readSpec(path, {});
    const parsed = parseJobSpec(spec);
    expect(parsed).toEqual({
      ok: false,
      errors: [
        {
          field: ['labels', ...Array.from({ length: MAX_SPEC_DEPTH - 1 }, () => 'a')].join('.'),
          message: `holds values nested more than ${MAX_SPEC_DEPTH} levels deep; no field of a job spec does`,
        },
      ],
    });
  });

  it('reads deep JSON arrays too, without exhausting memory', async () => {
    const depth = 20_000;
    const path = await specFile('deep-array.json', `${head.replace('"labels"', '"args"')}${'['.repeat(depth)}${']'.repeat(depth)}}`);
    const parsed = parseJobSpec(await readSpec(path, {}));
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.errors.map((e) => e.field)).toEqual([['args', ...Array.from({ length: MAX_SPEC_DEPTH - 1 }, () => '0')].join('.')]);
  });

  it('says a deep YAML spec is too deep, where, and does not call it invalid', async () => {
    const depth = 20_000;
    const path = await specFile('deep.yaml', `name: deep\nteam: etl\nlabels: ${'['.repeat(depth)}${']'.repeat(depth)}\n`);
    const err = await readError(path);
    expect(err.message).toBe(`${path} nests collections more than 64 levels deep (line 3, column 73); no field of a job spec nests deeper than ${MAX_SPEC_DEPTH}`);
    expect(err.message).not.toMatch(/not valid/);
  });

  it('still reads ordinary YAML and JSON, and still reports text that is neither', async () => {
    const yaml = await specFile('ok.yaml', 'name: ok\nteam: etl\nkind: sql\nsql: "SELECT 1"\nlabels: {a: "[not nesting]"}\n');
    expect(await readSpec(yaml, {})).toEqual({ name: 'ok', team: 'etl', kind: 'sql', sql: 'SELECT 1', labels: { a: '[not nesting]' } });
    const json = await specFile('ok.json', '{"name": "ok", "team": "etl", "kind": "sql", "sql": "SELECT [1]"}');
    expect(await readSpec(json, {})).toEqual({ name: 'ok', team: 'etl', kind: 'sql', sql: 'SELECT [1]' });
    const broken = await specFile('broken.yaml', 'name: [unclosed\n');
    expect((await readError(broken)).message).toMatch(/is not valid JSON or YAML/);
  });
});

describe('nestingBeyond', () => {
  it('counts brackets outside quotes and comments only', () => {
    expect(nestingBeyond('a: [[x]]', 1)).toEqual({ line: 1, column: 5 });
    expect(nestingBeyond('a: "[[[["\nb: \'[[it\'\'s]]\'\nc: don\'t [x] # [[[[\n', 1)).toBeUndefined();
    expect(nestingBeyond('a: "esc \\" [[[["\nb: [[1]]', 1)).toEqual({ line: 2, column: 5 });
  });
});
