import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { test } from 'node:test'
import { chromium } from 'playwright-core'
import { runLab } from '../../src/lab/report/lab.js'

/**
 * The lab report opens in headless Chromium as a plain file: no console error, no request for
 * anything but the file itself (inline CSS and SVG only), every SVG drawn with a size; a
 * screenshot is kept as an artifact.
 */
const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = 'test-artifacts'

test(
  'report.html renders offline with no console error and no external request',
  { timeout: 120_000 },
  async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install the chromium package`)
    const dir = mkdtempSync(join(tmpdir(), 'plexus-lab-web-'))
    const profile = mkdtempSync(join(tmpdir(), 'plexus-chromium-'))
    // MapReduce and NAT: a second or two of CPU, with line and bar charts to draw.
    await runLab({ seed: 3, quick: true, only: ['mapreduce', 'nat'], outDir: dir })
    const reportUrl = pathToFileURL(join(dir, 'report.html')).href
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
    try {
      const requests: string[] = []
      await context.route('**/*', async (route) => {
        const url = route.request().url()
        requests.push(url)
        if (url === reportUrl) await route.continue()
        else await route.abort()
      })
      const page = await context.newPage()
      const problems: string[] = []
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console: ${message.text()}`)
      })
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
      await page.goto(reportUrl)
      await page.waitForLoadState('load')
      assert.deepEqual(problems, [])
      assert.deepEqual(
        requests.filter((u) => u !== reportUrl),
        [],
      )
      const svgs = await page.locator('svg').count()
      assert.ok(svgs >= 3, `${svgs} SVG figures`)
      const box = await page.locator('svg').first().boundingBox()
      assert.ok(box !== null && box.width > 100 && box.height > 100)
      assert.equal(await page.locator('section#mapreduce h3').count(), 3)
      mkdirSync(ARTIFACTS, { recursive: true })
      await page.screenshot({ path: join(ARTIFACTS, 'lab-report-1280x900.png'), fullPage: true })
    } finally {
      await context.close()
      rmSync(dir, { recursive: true, force: true })
      rmSync(profile, { recursive: true, force: true })
    }
  },
)
