import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { dataDirFiles, type ApiLocation } from '../../daemon/files.js'
import { CliError, usageError } from '../output.js'
import { defaultStateDir } from '../state-dir.js'

/** Where the remote commands look for a daemon: its data dir, or an explicit API and token. */
export interface RemoteOptions {
  readonly dataDir?: string
  readonly api?: string
  readonly token?: string
}

/** The data dir `plexus daemon` uses when not told otherwise: `<state>/daemon`. */
export const defaultDaemonDataDir = (): string => join(defaultStateDir(), 'daemon')

const notRunning = (message: string): CliError => new CliError(message, 'not_running')

async function readText(path: string, missing: () => CliError): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw missing()
    throw error
  }
}

/**
 * A client of the daemon's loopback API. Every failure is a CliError with one line for the
 * user: a daemon that does not run or answer (exit 1), a refusal with the API's own code.
 */
export class RemoteClient {
  constructor(
    readonly base: string,
    readonly token: string,
  ) {}

  /** Finds the daemon through its data dir (`api.json`, `api-token`) or --api and --token. */
  static async locate(options: RemoteOptions): Promise<RemoteClient> {
    const dataDir = options.dataDir ?? defaultDaemonDataDir()
    const files = dataDirFiles(dataDir)
    let base = options.api
    if (base === undefined) {
      const text = await readText(files.api, () =>
        notRunning(
          `no daemon is running on ${dataDir} (no api.json there): start \`plexus daemon\``,
        ),
      )
      base = (JSON.parse(text) as ApiLocation).url
    } else {
      let url: URL
      try {
        url = new URL(base)
      } catch {
        throw usageError(`--api ${base}: not a URL (e.g. http://127.0.0.1:6890)`)
      }
      if (url.protocol !== 'http:') throw usageError(`--api ${base}: use an http:// URL`)
    }
    const token =
      options.token ??
      (
        await readText(files.token, () =>
          usageError(`no token: ${files.token} does not exist; give --token`),
        )
      ).trim()
    return new RemoteClient(base.replace(/\/+$/, ''), token)
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` }
    let payload: string | Uint8Array | undefined
    if (body instanceof Uint8Array) {
      headers['content-type'] = 'application/x-bittorrent'
      payload = body
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json'
      payload = JSON.stringify(body)
    }
    let response: Response
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers,
        ...(payload === undefined ? {} : { body: payload }),
      })
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause
      throw notRunning(
        `no daemon answers at ${this.base} (${cause?.code ?? cause?.message ?? (error as Error).message}): is \`plexus daemon\` running?`,
      )
    }
    if (response.status === 204) return undefined as T
    const text = await response.text()
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      throw new CliError(`${this.base} answered HTTP ${response.status}, not JSON`, 'failed')
    }
    if (!response.ok) {
      const error = parsed as { code?: string; message?: string }
      if (response.status === 401) {
        throw new CliError(`the daemon at ${this.base} refused the token`, 'unauthorized')
      }
      throw new CliError(error.message ?? `HTTP ${response.status}`, error.code ?? 'failed')
    }
    return parsed as T
  }
}
