import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { CLI_ENTRY } from '../../src/cli/spawn.js'
import { startTestDaemon, withDataDir } from '../daemon/harness.js'

/** Asynchronous, so that the daemon in this process keeps answering while the CLI runs. */
const plexus = (args: readonly string[], env: NodeJS.ProcessEnv = process.env) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [CLI_ENTRY, ...args],
      { timeout: 60_000, env },
      (error, stdout, stderr) => {
        const status = error === null ? 0 : typeof error.code === 'number' ? error.code : 1
        resolve({ status, stdout, stderr })
      },
    )
  })

test('plexus ui prints the dashboard URL with the token in the fragment, and --open runs xdg-open', async () => {
  await withDataDir(async (dir) => {
    const none = await plexus(['ui', '--data-dir', dir])
    assert.equal(none.status, 1)
    assert.match(none.stderr, /no daemon is running/)

    const { daemon } = await startTestDaemon(dir)
    const bin = mkdtempSync(join(tmpdir(), 'plexus-ui-bin-'))
    try {
      const url = `${daemon.apiUrl}/#token=${daemon.token}`
      const printed = await plexus(['ui', '--data-dir', dir])
      assert.equal(printed.status, 0, printed.stderr)
      assert.equal(printed.stdout, `${url}\n`)
      const json = await plexus(['ui', '--data-dir', dir, '--json'])
      assert.deepEqual(JSON.parse(json.stdout), { type: 'ui', url, opened: false })

      const wrong = await plexus(['ui', '--data-dir', dir, '--token', 'f'.repeat(64)])
      assert.equal(wrong.status, 1)
      assert.match(wrong.stderr, /refused the token/)
      assert.equal(wrong.stdout, '', 'a URL with a wrong token is not printed')

      // No xdg-open on the PATH: the URL, then one line saying so.
      const noOpener = await plexus(['ui', '--open', '--data-dir', dir], {
        ...process.env,
        PATH: bin,
      })
      assert.equal(noOpener.status, 1)
      assert.equal(noOpener.stdout, `${url}\n`)
      assert.match(noOpener.stderr, /cannot open a browser: xdg-open is not installed/)

      // A stand-in xdg-open records what it was asked to open.
      const opened = join(bin, 'opened')
      writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s' "$1" > '${opened}'\n`)
      chmodSync(join(bin, 'xdg-open'), 0o755)
      const open = await plexus(['ui', '--open', '--json', '--data-dir', dir], {
        ...process.env,
        PATH: `${bin}:${process.env['PATH'] ?? ''}`,
      })
      assert.equal(open.status, 0, open.stderr)
      assert.deepEqual(JSON.parse(open.stdout), { type: 'ui', url, opened: true })
      await waitForFile(opened)
      assert.equal(readFileSync(opened, 'utf8'), url)
    } finally {
      await daemon.stop()
      rmSync(bin, { recursive: true, force: true })
    }
  })
})

/** The stand-in runs detached: its file appears a moment after the CLI exits. */
async function waitForFile(path: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if (readFileSync(path, 'utf8') !== '') return
    } catch {
      // Not written yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${path} was never written`)
}
