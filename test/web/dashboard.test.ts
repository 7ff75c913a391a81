import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { chromium, type Page } from 'playwright-core'
import { jsonLine, spawnPlexus, type PlexusProcess } from '../../src/cli/spawn.js'

/**
 * The dashboard in headless Chromium against a real `plexus daemon` process and a real
 * `plexus seed`: refused without the token, then a magnet added from the page downloads to
 * 100 %, a file priority changes, pause and resume, remove with its data. No console error and
 * no request to any other origin, checked on every request the page makes.
 */
const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = 'test-artifacts'

interface Running {
  readonly processes: PlexusProcess[]
  readonly dir: string
}

/** A DHT node of its own on loopback (`plexus dht --isolated`), for the daemon to join. */
async function startDhtNode(run: Running): Promise<string> {
  const node = spawnPlexus(['dht', '--isolated', '--bind', '127.0.0.1', '--port', '0', '--json'])
  run.processes.push(node)
  return node.waitForLine((line) => {
    const event = jsonLine(line)
    return event?.type === 'listening' ? String(event['address']) : undefined
  }, 30_000)
}

async function startSeed(run: Running): Promise<{ magnet: string; infoHash: string }> {
  const content = join(run.dir, 'share')
  mkdirSync(content, { recursive: true })
  writeFileSync(join(content, 'film.bin'), randomBytes(2 * 1024 * 1024 + 77))
  writeFileSync(join(content, 'notes.txt'), 'read me\n')
  const torrent = join(run.dir, 'share.torrent')
  const create = spawnPlexus([
    'create',
    content,
    '-o',
    torrent,
    '--piece-length',
    '65536',
    '--json',
  ])
  const created = await create.waitForLine(
    (line) => (line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : undefined),
    30_000,
  )
  assert.equal(await create.exited, 0)
  const seed = spawnPlexus([
    'seed',
    torrent,
    '--data',
    run.dir,
    '--bind',
    '127.0.0.1',
    '--no-dht',
    '--json',
  ])
  run.processes.push(seed)
  const port = await seed.waitForLine((line) => {
    const event = jsonLine(line)
    return event?.type === 'ready' ? Number(String(event['listen']).split(':').pop()) : undefined
  }, 30_000)
  return {
    magnet: `${String(created['magnet'])}&x.pe=127.0.0.1:${port}`,
    infoHash: String(created['infoHash']),
  }
}

async function startDaemon(
  run: Running,
  dhtNode: string,
): Promise<{ url: string; token: string; data: string }> {
  const data = join(run.dir, 'daemon')
  mkdirSync(data)
  const config = join(data, 'config.toml')
  const share = join(run.dir, 'gnutella-share')
  mkdirSync(share)
  writeFileSync(join(share, 'Goldberg Variations.flac'), 'aria '.repeat(2000))
  writeFileSync(
    config,
    '[api]\nport = 0\n[peer]\nport = 0\nbind = "127.0.0.1"\n' +
      `[dht]\nenabled = true\nport = 0\nbootstrap = ["${dhtNode}"]\n` +
      // A Gnutella servent as a plug-in of the peer, sharing one file: the Plug-ins view.
      `[gnutella]\nenabled = true\nport = 0\nultrapeer = "yes"\nshare_dir = "${share}"\n`,
  )
  const daemon = spawnPlexus(['daemon', '--data-dir', data, '--config', config, '--json'])
  run.processes.push(daemon)
  const url = await daemon.waitForLine((line) => {
    const event = jsonLine(line)
    return event?.type === 'listening' ? String(event['api']) : undefined
  }, 30_000)
  return { url, token: readFileSync(join(data, 'api-token'), 'utf8').trim(), data }
}

/** Every problem the page shows: console errors, uncaught exceptions, foreign requests. */
function watch(page: Page): string[] {
  const problems: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`)
  })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  return problems
}

test(
  'the dashboard: refused without the token; add a magnet, watch it finish, priorities, pause, resume, remove',
  { timeout: 180_000 },
  async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install the chromium package`)
    const run: Running = { processes: [], dir: mkdtempSync(join(tmpdir(), 'plexus-dashboard-')) }
    const profile = mkdtempSync(join(tmpdir(), 'plexus-chromium-'))
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 800 },
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
      // The daemon's DHT joins through a node of its own on loopback (never the public routers):
      // the DHT view shows the node and its routing table.
      const dhtNode = await startDhtNode(run)
      const { magnet, infoHash } = await startSeed(run)
      const daemon = await startDaemon(run, dhtNode)
      const origin = new URL(daemon.url).origin
      // Every request of every page goes through here: one to another origin fails the test.
      const foreign: string[] = []
      let listRequests = 0
      await context.route('**/*', (route) => {
        const url = route.request().url()
        const parsed = new URL(url)
        if (parsed.pathname === '/api/v1/torrents' && route.request().method() === 'GET') {
          listRequests++
        }
        if (parsed.origin === origin) return route.continue()
        foreign.push(url)
        return route.abort()
      })
      mkdirSync(ARTIFACTS, { recursive: true })

      // Without a token, and with a wrong one: a clear message, no dashboard.
      const stranger = await context.newPage()
      await stranger.goto(`${daemon.url}/`)
      await stranger.getByRole('heading', { name: 'No API token' }).waitFor()
      await stranger.goto(`${daemon.url}/#token=${'0'.repeat(64)}`)
      await stranger.reload()
      await stranger.getByRole('heading', { name: /refused this token \(401/ }).waitFor()
      assert.equal(await stranger.getByRole('button', { name: 'Add torrent' }).count(), 0)
      await stranger.close()

      const page = await context.newPage()
      const problems = watch(page)
      await page.goto(`${daemon.url}/#token=${daemon.token}`)
      await page.getByText('No torrents yet').waitFor()
      assert.equal(new URL(page.url()).hash, '', 'the token leaves the address bar')
      await page.getByRole('status').filter({ hasText: 'live' }).waitFor()

      // Settings: a download limit, so that the transfer lasts long enough to watch.
      await page.getByRole('button', { name: 'Settings' }).click()
      await page.getByLabel(/Download limit/).fill('512')
      await page.getByLabel(/Connection limit/).fill('50')
      // The listen port changes at run time too (0: a free one, other than the one in use).
      const { listenPort: portBefore } = await api<{ listenPort: number }>(daemon, '/settings')
      await page.getByLabel(/Peer listen port/).fill('0')
      assert.equal(await page.getByRole('checkbox', { name: /DHT/ }).isChecked(), true)
      await page.getByRole('button', { name: 'Save' }).click()
      await page.getByText('Saved.').waitFor()
      const limits = await api<{
        downloadRateLimit: number
        connectionsMax: number
        listenPort: number
        dhtEnabled: boolean
      }>(daemon, '/settings')
      assert.notEqual(limits.listenPort, portBefore)
      assert.equal(limits.dhtEnabled, true)
      assert.equal(limits.downloadRateLimit, 512 * 1024)
      assert.equal(limits.connectionsMax, 50)
      await page.getByRole('button', { name: 'DHT' }).click()
      await page
        .getByRole('img', { name: /^\d+ of 8 slots: \d+ good, \d+ questionable, \d+ bad$/ })
        .first()
        .waitFor({ timeout: 30_000 })
      // The join's bootstrap lookup is among the recent ones; it opens onto its trace (one
      // isolated node: it was asked as a bootstrap node, no hop followed).
      const lookup = page.locator('ol.lookups li[data-kind="bootstrap"]').first()
      await lookup.waitFor({ timeout: 30_000 })
      await lookup.locator('summary').click()
      await lookup.getByText(/no hop followed/).waitFor()
      // What other nodes stored on us: both tables' headings, and no node put an item on us.
      await page.getByRole('heading', { name: 'Stored peers' }).waitFor()
      await page.getByRole('heading', { name: 'Stored items' }).waitFor()
      await page.getByText('No node has put an item on us yet.').waitFor({ timeout: 10_000 })
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-dht-1280x800.png') })
      // The plug-in surface: the Gnutella servent's own view (role, neighbours, shared files).
      await page.getByRole('button', { name: 'Plug-ins' }).click()
      const gnutella = page.getByRole('article', { name: 'Gnutella' })
      await gnutella.waitFor()
      await gnutella
        .getByRole('definition')
        .filter({ hasText: /^ultrapeer$/ })
        .waitFor()
      await gnutella.getByRole('heading', { name: 'Neighbours (0)' }).waitFor()
      await gnutella
        .getByRole('table', { name: 'Gnutella shared files' })
        .getByRole('cell', { name: 'Goldberg Variations.flac' })
        .waitFor()
      await gnutella.getByRole('heading', { name: 'Recent searches (0)' }).waitFor()
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-plugins-1280x800.png') })
      await page.getByRole('button', { name: 'Torrents' }).click()

      // Add the magnet from the page, with the keyboard where it counts.
      await page.getByRole('button', { name: 'Add torrent' }).click()
      await page.getByRole('textbox', { name: 'Magnet link' }).fill(magnet)
      await page.keyboard.press('Enter')
      const row = page.locator(`tr[data-infohash="${infoHash}"]`)
      await row.waitFor()

      // Watch it in the torrent's own view: the seed among the peers, the piece map filling.
      await row.getByRole('button', { name: 'share', exact: true }).click()
      await page
        .locator('table.peers td', { hasText: '127.0.0.1:' })
        .first()
        .waitFor({ timeout: 30_000 })
      assert.match(await page.locator('table.peers').innerText(), /seed/)
      const pieceMap = page.getByRole('img', { name: /^Piece map: / })
      await pieceMap.waitFor()
      // 33 pieces of content, one more since `plexus create` makes hybrids: the second file
      // starts on a piece boundary after a padding file.
      assert.match(String(await pieceMap.getAttribute('aria-label')), /of 34 pieces verified/)
      await page.screenshot({
        path: join(ARTIFACTS, 'dashboard-downloading-1280x800.png'),
        fullPage: true,
      })
      await page.getByRole('button', { name: '← Torrents' }).click()
      await row.getByRole('progressbar').and(page.locator('[aria-valuetext="100 %"]')).waitFor({
        timeout: 60_000,
      })
      await row.locator('.state-seeding').waitFor()
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-1280x800.png') })

      // One torrent: change a file's priority; the daemon applies it.
      await row.getByRole('button', { name: 'share', exact: true }).click()
      await page.getByRole('heading', { name: 'Files (2)' }).waitFor()
      await page.getByRole('heading', { name: /Peers \(\d+\)/ }).waitFor()
      const notes = page.getByLabel('Priority of share/notes.txt')
      await notes.selectOption({ label: 'High' })
      await waitFor(async () => {
        const files = await api<{ files: { path: string; priority: number }[] }>(
          daemon,
          `/torrents/${infoHash}/files`,
        )
        return files.files.find((f) => f.path === 'share/notes.txt')?.priority === 7
      })
      // The control shows the choice at once and keeps it (no flick back to the old value).
      assert.equal(await notes.inputValue(), '7')
      await page.screenshot({
        path: join(ARTIFACTS, 'dashboard-torrent-1280x800.png'),
        fullPage: true,
      })
      await page.setViewportSize({ width: 375, height: 800 })
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-torrent-375x800.png') })
      await page.getByRole('button', { name: '← Torrents' }).click()
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-375x800.png') })
      await page.setViewportSize({ width: 1280, height: 800 })

      // Pause, then resume.
      await row.getByRole('button', { name: 'Pause share' }).click()
      await row.locator('.state-paused').waitFor()
      assert.equal((await api<{ state: string }>(daemon, `/torrents/${infoHash}`)).state, 'paused')
      await row.getByRole('button', { name: 'Resume share' }).click()
      await row.locator('.state-seeding').waitFor({ timeout: 30_000 })

      // The keyboard sorts: Enter on a column header, again to reverse.
      const sizeHeader = page.getByRole('columnheader', { name: /^Size/ })
      await sizeHeader.getByRole('button').focus()
      await page.keyboard.press('Enter')
      assert.equal(await sizeHeader.getAttribute('aria-sort'), 'descending')
      await page.keyboard.press('Enter')
      assert.equal(await sizeHeader.getAttribute('aria-sort'), 'ascending')

      // Dark mode toggle.
      await page.getByRole('button', { name: /Colour scheme/ }).click()
      await page.getByRole('button', { name: /Colour scheme/ }).click()
      assert.equal(await page.locator('html').getAttribute('data-theme'), 'dark')
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-dark-1280x800.png') })

      // Remove with its data, after a confirmation.
      const downloaded = join(daemon.data, 'downloads', 'share', 'film.bin')
      assert.ok(existsSync(downloaded))
      // Escape cancels the confirmation: nothing is removed.
      await row.getByRole('button', { name: 'Remove share' }).click()
      await page.getByRole('dialog').waitFor()
      await page.keyboard.press('Escape')
      await page.getByRole('dialog').waitFor({ state: 'detached' })
      assert.equal((await api<{ torrents: unknown[] }>(daemon, '/torrents')).torrents.length, 1)
      await row.getByRole('button', { name: 'Remove share' }).click()
      const dialog = page.getByRole('dialog')
      await dialog.getByLabel('Also delete the downloaded files').check()
      await dialog.getByRole('button', { name: 'Remove and delete files' }).click()
      await page.getByText('No torrents yet').waitFor()
      await waitFor(async () => !existsSync(downloaded))
      assert.deepEqual((await api<{ torrents: unknown[] }>(daemon, '/torrents')).torrents, [])

      // The same torrent again as a .torrent upload, paused; then removed, its files kept.
      await page.getByRole('button', { name: 'Add torrent' }).click()
      await page.getByRole('radio', { name: '.torrent file' }).check()
      await page
        .getByRole('button', { name: '.torrent file' })
        .setInputFiles(join(run.dir, 'share.torrent'))
      await page.getByLabel('Add paused').check()
      await page.getByRole('button', { name: 'Add', exact: true }).click()
      await row.locator('.state-paused').waitFor()
      await row.getByRole('button', { name: 'Remove share' }).click()
      await page.getByRole('dialog').getByRole('button', { name: 'Remove', exact: true }).click()
      await page.getByText('No torrents yet').waitFor()

      // The list is fetched after the events that change it, not after each piece or stats
      // event of the download (the stream carries those by the hundred).
      assert.ok(listRequests < 30, `${listRequests} list requests`)
      assert.deepEqual(problems, [])
      assert.deepEqual(foreign, [])
    } finally {
      await context.close()
      for (const p of run.processes) p.child.kill('SIGTERM')
      await Promise.all(run.processes.map((p) => p.exited))
      rmSync(profile, { recursive: true, force: true })
      rmSync(run.dir, { recursive: true, force: true })
    }
  },
)

async function api<T>(daemon: { url: string; token: string }, path: string): Promise<T> {
  const response = await fetch(`${daemon.url}/api/v1${path}`, {
    headers: { authorization: `Bearer ${daemon.token}` },
  })
  assert.equal(response.status, 200, path)
  return (await response.json()) as T
}

/** Polls a condition the daemon reaches on its own time (a process, not a clock we own). */
async function waitFor(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the daemon')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
