import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { peersChart } from './chart.js'
import { formatSize } from './format.js'
import { escapeHtml, html, raw } from './html.js'
import type { TorrentDetail, TorrentSummary } from './index-db.js'
import { listHref, listPage, torrentPage } from './pages.js'

const EVIL = `<script>alert(1)</script>"'&<img src=x onerror=alert(2)>`

const summary = (name: string, uploader = EVIL): TorrentSummary => ({
  infoHash: 'ab'.repeat(20),
  name,
  length: 1536,
  fileCount: 2,
  added: Date.UTC(2026, 0, 2, 3, 4),
  uploader,
  seeders: 3,
  leechers: 4,
  completed: 5,
  magnet: `magnet:?xt=urn:btih:${'ab'.repeat(20)}&dn=${encodeURIComponent(name)}`,
})

/** No tag or attribute can come out of user text: no raw '<', '>', or quote survives. */
const noMarkupFrom = (page: string): void => {
  assert.ok(!page.includes('<script'), 'a script tag leaked')
  assert.ok(!page.includes('<img'), 'an img tag leaked')
}

test('escapeHtml and the html template escape every interpolation but raw()', () => {
  assert.equal(
    escapeHtml(EVIL),
    '&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;&lt;img src=x onerror=alert(2)&gt;',
  )
  assert.equal(
    html`<p title="${'"x"'}">${'<b>'}${raw('<i>')}</p>`.text,
    '<p title="&quot;x&quot;">&lt;b&gt;<i></p>',
  )
  assert.equal(html`${['<', 1, undefined]}`.text, '&lt;1')
})

test('property: no string in a name, uploader or query opens a tag in the pages', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 60 }), fc.string({ maxLength: 30 }), (name, who) => {
      const evilName = `<${name}>`
      const page = listPage(
        { results: [summary(evilName, `<${who}`)], hasMore: true },
        { q: `"><${name}`, sort: 'seeders', order: 'desc', page: 2 },
      )
      // The only '<' in the page are ours: count them against a page with a harmless name.
      const plain = listPage(
        { results: [summary('x', 'y')], hasMore: true },
        { q: 'z', sort: 'seeders', order: 'desc', page: 2 },
      )
      assert.equal(page.split('<').length, plain.split('<').length)
    }),
    { numRuns: 300 },
  )
})

test('the list page: escaped names, sortable headers, paging, .torrent and magnet links', () => {
  const page = listPage(
    { results: [summary(EVIL)], hasMore: true },
    { q: EVIL, sort: 'seeders', order: 'desc', page: 2 },
  )
  noMarkupFrom(page)
  assert.ok(page.includes(escapeHtml(EVIL)))
  assert.ok(page.includes(`href="/torrents/${'ab'.repeat(20)}.torrent"`))
  assert.ok(page.includes('href="magnet:?xt=urn:btih:'))
  assert.ok(page.includes('Seeds ▼'))
  // The active column flips; the others start at their natural order.
  assert.ok(
    page.includes(escapeHtml(listHref({ q: EVIL, sort: 'seeders', order: 'asc', page: 1 }))),
  )
  assert.ok(page.includes(escapeHtml(listHref({ q: EVIL, sort: 'name', order: 'asc', page: 1 }))))
  assert.ok(page.includes('rel="next"') && page.includes('rel="prev"'))
  assert.ok(page.includes('1.5 KiB'))
  assert.ok(page.includes('2026-01-02 03:04'))
  const empty = listPage(
    { results: [], hasMore: false },
    { q: EVIL, sort: 'added', order: 'desc', page: 1 },
  )
  noMarkupFrom(empty)
  assert.ok(empty.includes('No torrents'))
})

test('the torrent page: counts, file list and the SVG chart', () => {
  const detail: TorrentDetail = {
    ...summary(EVIL),
    pieceLength: 16384,
    files: [{ path: `dir/${EVIL}`, length: 10 }],
    filePage: 1,
    filePages: 1,
  }
  const now = Date.UTC(2026, 0, 2, 4, 0)
  const samples = [
    { at: now - 3_600_000, seeders: 1, leechers: 9 },
    { at: now - 1_800_000, seeders: 6, leechers: 2 },
  ]
  const page = torrentPage(detail, { seeders: 6, leechers: 2, completed: 11 }, samples, now)
  noMarkupFrom(page)
  assert.ok(page.includes(escapeHtml(`dir/${EVIL}`)))
  assert.ok(page.includes('<svg'))
  assert.equal(page.match(/<polyline/g)?.length, 2)
  assert.ok(page.includes('>11<span>downloaded'))
  assert.ok(peersChart([], now).text.includes('No samples yet'))
})

test('formatSize', () => {
  assert.equal(formatSize(0), '0 B')
  assert.equal(formatSize(1023), '1023 B')
  assert.equal(formatSize(1024 ** 3 * 4.25), '4.3 GiB')
})
