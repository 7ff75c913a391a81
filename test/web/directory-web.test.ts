import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { chromium } from 'playwright-core'
import { fromHex } from '../../src/core/bytes.js'
import { buildAnnounceUrl } from '../../src/protocols/bittorrent/tracker/index.js'
import {
  makeTorrent,
  publishHttp,
  startDirectoryProcess,
  tempDir,
} from '../integration/directory-helpers.js'

/**
 * The directory's pages in a real browser (headless Chromium): list, search, stats page, an
 * HTML-named torrent shown as text, and a screenshot for people to look at. Chromium is a
 * system package (CI installs it); without it this test fails rather than skips, so a broken
 * CI image cannot pass silently.
 */
const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = 'test-artifacts'
const EVIL = '<script>alert(1)<img src=x onerror=alert(2)>'

test('the directory web pages in headless Chromium', { timeout: 120_000 }, async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: install the chromium package (apt-get install chromium)`,
  )
  const directory = await startDirectoryProcess(join(tempDir('web'), 'index.sqlite'), [
    '--persist-every',
    '1',
  ])
  const profile = mkdtempSync(join(tmpdir(), 'plexus-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  try {
    const ubuntu = await publishHttp(
      directory.url,
      makeTorrent('Ubuntu 24.04 Desktop'),
      'canonical',
    )
    await publishHttp(directory.url, makeTorrent('Metropolis 1927'), 'fritz')
    await publishHttp(directory.url, makeTorrent(EVIL), '<b>mallory</b>')
    const infoHash = (ubuntu.body['torrent'] as { infoHash: string }).infoHash
    // One seeder, so the stats page has counts and (after a persist) a sample to chart.
    await fetch(
      buildAnnounceUrl(`${directory.url}/announce`, {
        infoHash: fromHex(infoHash) as Uint8Array,
        peerId: new Uint8Array(20).fill(1),
        port: 7001,
        uploaded: 0,
        downloaded: 0,
        left: 0,
        event: 'started',
      }),
    )
    await new Promise((resolve) => setTimeout(resolve, 1500))

    const page = await context.newPage()
    const dialogs: string[] = []
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message())
      void dialog.dismiss()
    })
    await page.goto(`${directory.url}/`)
    assert.equal(await page.locator('tbody tr').count(), 3)
    assert.equal(await page.locator('script').count(), 0)
    assert.equal(await page.locator('td.name img').count(), 0)
    // The HTML-named torrent is text: its link's visible text is the name itself.
    const evilLink = page.locator('td.name > a', { hasText: '<script>alert(1)' })
    assert.equal(await evilLink.count(), 1)
    assert.equal(await evilLink.textContent(), EVIL)
    assert.equal(await page.locator('td', { hasText: '<b>mallory</b>' }).count(), 1)
    mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: join(ARTIFACTS, 'directory-list.png'), fullPage: true })

    // Search with the form (a prefix), then sort by a column header.
    await page.fill('input[name=q]', 'ubun')
    await Promise.all([page.waitForURL(/q=ubun/), page.press('input[name=q]', 'Enter')])
    assert.equal(await page.locator('tbody tr').count(), 1)
    await Promise.all([page.waitForURL(/sort=seeders/), page.click('th a:has-text("Seeds")')])
    assert.equal(await page.locator('tbody tr').count(), 1)

    // The stats page.
    await Promise.all([
      page.waitForURL(/\/torrent\//),
      page.click('td.name > a:has-text("Ubuntu 24.04 Desktop")'),
    ])
    assert.equal(await page.locator('h2').textContent(), 'Ubuntu 24.04 Desktop')
    assert.match((await page.locator('.stats').textContent()) ?? '', /1\s*complete/)
    assert.equal(await page.locator('svg polyline').count(), 2)
    assert.ok((await page.locator('tbody td.name', { hasText: 'readme.txt' }).count()) === 1)
    await page.screenshot({ path: join(ARTIFACTS, 'directory-torrent.png'), fullPage: true })

    // The HTML-named torrent's own page.
    await page.goto(`${directory.url}/?q=script`)
    await Promise.all([page.waitForURL(/\/torrent\//), evilLink.click()])
    assert.equal(await page.locator('h2').textContent(), EVIL)
    assert.equal(await page.locator('script').count(), 0)
    assert.deepEqual(dialogs, [])
  } finally {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
    await directory.process.stop()
  }
})
