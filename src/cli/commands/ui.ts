import { spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import type { Command } from 'commander'
import { CliError, printJson, printLine } from '../output.js'
import { RemoteClient, type RemoteOptions } from '../remote/client.js'

interface UiOptions extends RemoteOptions {
  readonly open?: boolean
  readonly json?: boolean
}

/**
 * The dashboard's address with the token in the fragment: browsers never send the fragment,
 * so the token stays out of request lines and server logs; the page reads it from there.
 */
export function dashboardUrl(apiBase: string, token: string): string {
  return `${apiBase}/#token=${encodeURIComponent(token)}`
}

/** xdg-open on the PATH, if installed. */
function findXdgOpen(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue
    const path = join(dir, 'xdg-open')
    try {
      accessSync(path, constants.X_OK)
      return path
    } catch {
      // Not in this folder.
    }
  }
  return undefined
}

/** Starts the browser and leaves it running on its own; true when xdg-open could start. */
function openInBrowser(url: string): Promise<boolean> {
  const opener = findXdgOpen()
  if (opener === undefined) return Promise.resolve(false)
  return new Promise((resolve) => {
    const child = spawn(opener, [url], { detached: true, stdio: 'ignore' })
    child.once('error', () => resolve(false))
    child.once('spawn', () => {
      child.unref()
      resolve(true)
    })
  })
}

export function registerUi(program: Command): void {
  program
    .command('ui')
    .description('print (or --open) the dashboard URL of the running daemon, token included')
    .option('--open', 'open it in the browser (with xdg-open)')
    .option('--data-dir <dir>', "the daemon's data dir (default: <state>/daemon)")
    .option(
      '--api <url>',
      "the daemon's API, e.g. http://127.0.0.1:6890 (default: from the data dir)",
    )
    .option('--token <token>', "the API token (default: the data dir's api-token file)")
    .option('--json', 'print JSON')
    .action(async (options: UiOptions) => {
      const client = await RemoteClient.locate(options)
      // Only a daemon that answers and takes the token gets its URL printed.
      await client.request('GET', '/api/v1/settings')
      const url = dashboardUrl(client.base, client.token)
      const opened = options.open === true ? await openInBrowser(url) : false
      if (options.json === true) printJson({ type: 'ui', url, opened })
      else printLine(url)
      if (options.open === true && !opened) {
        throw new CliError(
          'cannot open a browser: xdg-open is not installed; open the URL above by hand',
          'no_browser',
        )
      }
    })
}
