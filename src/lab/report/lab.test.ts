import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { runLab, unknownSections } from './lab.js'

/**
 * Same seed, same bytes: the MapReduce section (the cheapest, a second of CPU) run twice with
 * --quick and seed 7 writes identical report.html and report.json; seed 8 changes the JSON.
 */
async function render(
  seed: number,
  only: readonly string[] = ['mapreduce'],
  jobs = 1,
): Promise<{ html: string; json: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-lab-'))
  try {
    await runLab({ seed, quick: true, only, outDir: dir, jobs })
    return {
      html: readFileSync(join(dir, 'report.html'), 'utf8'),
      json: readFileSync(join(dir, 'report.json'), 'utf8'),
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

test(
  'the same seed writes byte-identical report.html and report.json',
  { timeout: 60_000 },
  async () => {
    const first = await render(7)
    const second = await render(7)
    assert.equal(first.html, second.html)
    assert.equal(first.json, second.json)
    const other = await render(8)
    assert.notEqual(other.json, first.json)
    // Nothing of the machine or the clock: the seed and the section, nothing else varies.
    assert.doesNotMatch(first.html, /\b20\d\d-\d\d-\d\d\b|wall|hostname/i)
    assert.match(first.html, /plexus lab --quick --only mapreduce --seed 7 --out DIR/)
    const parsed = JSON.parse(first.json) as { sections: { id: string; claims: unknown[] }[] }
    assert.deepEqual(
      parsed.sections.map((s) => s.id),
      ['mapreduce'],
    )
    assert.ok((parsed.sections[0]?.claims.length ?? 0) >= 3)
  },
)

test(
  'sections run side by side write the same bytes as one after the other',
  { timeout: 120_000 },
  async () => {
    const alone = await render(3, ['nat', 'mapreduce'], 1)
    const sideBySide = await render(3, ['nat', 'mapreduce'], 2)
    assert.equal(sideBySide.json, alone.json)
    assert.equal(sideBySide.html, alone.html)
    const parsed = JSON.parse(alone.json) as { sections: { id: string }[] }
    assert.deepEqual(
      parsed.sections.map((s) => s.id),
      ['nat', 'mapreduce'],
      'the fixed section order, not the order they finished in',
    )
  },
)

test('unknown section ids are named', () => {
  assert.deepEqual(unknownSections(['nat', 'nope']), ['nope'])
})
