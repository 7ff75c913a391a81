import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { matchExpression, SEARCH_TERMS_MAX, searchTerms } from './fts-query.js'
import { IndexDb } from './index-db.js'
import { recordOf } from './record.js'
import type { TorrentRecord } from './record.js'

const record = (infoHash: string, name: string, paths: string[]): TorrentRecord => ({
  infoHash,
  name,
  size: 1,
  pieceLength: 16384,
  files: paths.map((path) => ({ path, size: 1 })),
  uploader: 'test',
  added: 0,
})

function sampleIndex(): IndexDb {
  const db = new IndexDb(':memory:')
  db.insertMany([
    record('a'.repeat(40), 'Ubuntu 24.04 Desktop amd64', ['ubuntu-24.04-desktop-amd64.iso']),
    record('b'.repeat(40), 'Résumé Café Naïve', ['docs/straße.pdf']),
    record('c'.repeat(40), 'AND OR NOT NEAR', ['"quoted" (paren) {brace} col:umn ^caret']),
  ])
  return db
}

test('keywords: quoted prefix terms, AND-ed; no keyword means no MATCH', () => {
  assert.equal(matchExpression('ubun desk'), '"ubun"* "desk"*')
  assert.equal(matchExpression('  '), undefined)
  assert.equal(matchExpression('"-*():^'), undefined)
  assert.deepEqual(searchTerms('a a A'), ['a', 'A'])
  const many = Array.from({ length: 100 }, (_, i) => `word${i}`).join(' ')
  assert.equal(searchTerms(many).length, SEARCH_TERMS_MAX)
})

test('prefixes, diacritics, file paths and FTS5 operators typed as words', () => {
  const db = sampleIndex()
  const names = (q: string) => db.search(q).results.map((r) => r.name)
  assert.deepEqual(names('ubun'), ['Ubuntu 24.04 Desktop amd64'])
  assert.deepEqual(names('UBUNTU 24'), ['Ubuntu 24.04 Desktop amd64'])
  assert.deepEqual(names('cafe resume'), ['Résumé Café Naïve'])
  assert.deepEqual(names('strasse').length, 0) // unicode61 does not fold ß; straß does match
  assert.deepEqual(names('straß'), ['Résumé Café Naïve'])
  assert.deepEqual(names('AND'), ['AND OR NOT NEAR'])
  assert.deepEqual(names('NEAR("x" "y")'), [])
  assert.deepEqual(names('col:umn'), ['AND OR NOT NEAR'])
  assert.equal(names('').length, 3)
  db.close()
})

test('property: arbitrary user text never makes MATCH fail', () => {
  const db = sampleIndex()
  const fts5Syntax = fc.constantFrom(
    '"',
    '*',
    '(',
    ')',
    ':',
    '^',
    '-',
    '+',
    'AND',
    'OR',
    'NOT',
    'NEAR',
    '{',
    '}',
    ',',
    ' ',
    '\u0000',
    'é',
    'ß',
    '東',
    '\u0301',
    '😀',
  )
  const text = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 80 }),
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.array(fts5Syntax, { maxLength: 30 }).map((parts) => parts.join('')),
  )
  fc.assert(
    fc.property(text, (query) => {
      const expression = matchExpression(query)
      if (expression !== undefined) {
        db.query('SELECT rowid FROM torrents_fts WHERE torrents_fts MATCH ?', expression)
      }
      db.search(query, { sort: 'seeders' })
    }),
    { numRuns: 2000 },
  )
  db.close()
})

test('recordOf drops padding files and the root directory from paths', () => {
  const fake = {
    infoHashHex: 'd'.repeat(40),
    name: 'root',
    totalLength: 3,
    pieceLength: 16384,
    isSingleFile: false,
    files: [
      { path: ['root', 'a', 'b.txt'], length: 2, offset: 0, pad: false, executable: false },
      { path: ['root', '.pad', '1'], length: 1, offset: 2, pad: true, executable: false },
    ],
  } as unknown as Parameters<typeof recordOf>[0]
  const r = recordOf(fake, new Uint8Array(1), '  \u0007 bob \u0000 ', 5)
  assert.deepEqual(r.files, [{ path: 'a/b.txt', size: 2 }])
  assert.equal(r.uploader, 'bob')
  assert.equal(recordOf(fake, new Uint8Array(1), '', 5).uploader, 'anonymous')
})
