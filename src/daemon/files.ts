import { randomBytes } from 'node:crypto'
import { open, readFile, rename, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'

/**
 * The daemon's own files in its data dir. The remote CLI finds a running daemon through two of
 * them: `api.json` (where the API listens) and `api-token` (the secret it requires).
 */
export const dataDirFiles = (dataDir: string) => ({
  token: join(dataDir, 'api-token'),
  api: join(dataDir, 'api.json'),
  torrentList: join(dataDir, 'torrents.json'),
  /** The .torrent of each torrent added from metainfo, `<infoHash>.torrent`. */
  torrents: join(dataDir, 'torrents'),
  /** Resume data and the DHT table: the peer's state disk. */
  state: join(dataDir, 'state'),
})

/** What `api.json` holds: enough for a client to reach the API and to tell a stale file. */
export interface ApiLocation {
  readonly url: string
  readonly pid: number
}

let tempCounter = 0

/**
 * Replaces `path` with `bytes` so that a crash leaves the old content or the new, never a mix:
 * a temporary file is written and fsynced, renamed over the target, and the folder fsynced so
 * that the rename survives a power loss.
 */
export async function writeFileAtomic(
  path: string,
  bytes: string | Uint8Array,
  mode = 0o644,
): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${tempCounter++}`
  const file = await open(temp, 'w', mode)
  try {
    await file.writeFile(bytes)
    await file.sync()
  } finally {
    await file.close()
  }
  try {
    await rename(temp, path)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
  const folder = await open(dirname(path), 'r')
  try {
    await folder.sync()
  } finally {
    await folder.close()
  }
}

/** 32 random bytes as hex: the bearer token every API request carries. */
const newToken = (): string => randomBytes(32).toString('hex')

/**
 * The API token: read from the data dir, or created at the first start, readable by the owner
 * only (0600) since it grants full control of the daemon.
 */
/**
 * A 32-byte secret kept in the data dir (mode 0600), made on first use: the reachability
 * service's record key, so that the daemon keeps its identity across restarts.
 */
export async function readOrCreateSeed(path: string): Promise<Uint8Array> {
  try {
    const text = (await readFile(path, 'utf8')).trim()
    if (/^[0-9a-f]{64}$/.test(text)) return Uint8Array.from(Buffer.from(text, 'hex'))
    throw new Error(`${path} is not 64 hex digits: remove it to make a new key`)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const seed = randomBytes(32)
  await writeFileAtomic(path, `${seed.toString('hex')}\n`, 0o600)
  return Uint8Array.from(seed)
}

export async function readOrCreateToken(path: string): Promise<string> {
  try {
    const token = (await readFile(path, 'utf8')).trim()
    if (token.length >= 32) return token
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const token = newToken()
  await writeFileAtomic(path, `${token}\n`, 0o600)
  return token
}
