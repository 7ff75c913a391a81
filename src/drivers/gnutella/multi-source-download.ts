/**
 * One file from several Gnutella sources at once, by byte ranges over HTTP (`Range`, 206).
 * Each source fetches one chunk at a time from the `DownloadPlan`; a source that errors,
 * answers wrongly (not 206, a different `Content-Range`, a short body) or stalls is dropped and
 * its chunk goes to the others. The file is written as `<name>.part` and renamed only after the
 * whole-file SHA-1 matches the URN.
 */
import { request } from 'node:http'
import { lstat, open, rename, rm, type FileHandle } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { Instant } from '../../core/time.js'
import { sha1OfUrn, sha1Urn } from '../../protocols/gnutella/index.js'
import { DownloadPlan, type ByteRange } from '../../protocols/gnutella/transfer/download-plan.js'
import type { PushConnection } from './push-transfer.js'
import { RangeSession } from './range-over-socket.js'
import { sha1OfFile } from './share.js'

export interface DownloadSource {
  readonly host: string
  readonly port: number
  /** `/get/<index>/<name>` or `/uri-res/N2R?urn:sha1:...`. */
  readonly path: string
  /**
   * A firewalled source: its ranges go over a connection it opens to us (a Push, then its
   * GIV), kept alive from one range to the next; not to host:port (which only names it).
   */
  readonly open?: () => Promise<PushConnection>
}

export interface MultiSourceOptions {
  readonly sources: readonly DownloadSource[]
  readonly length: number
  readonly urn: string
  /** Directory to write into. */
  readonly outDir: string
  /** The file's name; only its last component is used. */
  readonly fileName: string
  readonly chunkBytes?: number
  readonly stallMs?: number
  /** Called as bytes arrive, with the source key (`host:port`). */
  readonly onProgress?: (source: string, bytes: number) => void
  readonly log?: (line: string) => void
}

export interface MultiSourceResult {
  readonly path: string
  readonly length: number
  readonly bytesBySource: Readonly<Record<string, number>>
  readonly droppedSources: readonly string[]
}

const sourceKey = (s: DownloadSource): string => `${s.host}:${s.port}`

/** A file name safe to create in `outDir`: no separators, no dot-only names, no NUL. */
export function safeFileName(name: string): string | undefined {
  const base = basename(name.replace(/\\/g, '/'))
  if (base === '' || base === '.' || base === '..' || base.includes('\0')) return undefined
  return base
}

export async function downloadMultiSource(o: MultiSourceOptions): Promise<MultiSourceResult> {
  const digest = sha1OfUrn(o.urn)
  if (digest === undefined) throw new Error(`not a urn:sha1: ${o.urn}`)
  const name = safeFileName(o.fileName)
  if (name === undefined) throw new Error(`refusing file name '${o.fileName}'`)
  if (o.sources.length === 0) throw new Error('no sources')
  const finalPath = join(o.outDir, name)
  const partPath = `${finalPath}.part`
  if ((await lstat(finalPath).catch(() => undefined)) !== undefined)
    throw new Error(`${finalPath} already exists`)
  const plan = new DownloadPlan(o.length, o.chunkBytes ?? 256 * 1024, o.stallMs ?? 15_000)
  const bytesBySource: Record<string, number> = {}
  const inFlight = new Map<string, { destroy(): void }>()
  /** Firewalled sources' GIV connections, kept for their next range. */
  const sessions = new Map<string, RangeSession>()
  const now = (): Instant => performance.now() as Instant
  const log = o.log ?? (() => undefined)
  // 'wx': never overwrite something that is already there.
  const file: FileHandle = await open(partPath, 'wx')
  try {
    await file.truncate(o.length)
    await new Promise<void>((resolve, reject) => {
      let finished = false
      const finish = (error?: Error): void => {
        if (finished) return
        finished = true
        clearInterval(watchdog)
        for (const req of inFlight.values()) req.destroy()
        for (const session of sessions.values()) session.close()
        if (error === undefined) resolve()
        else reject(error)
      }
      const drop = (key: string, why: string): void => {
        if (plan.isDropped(key)) return
        log(`source ${key} dropped: ${why}`)
        plan.failed(key)
        inFlight.get(key)?.destroy()
        inFlight.delete(key)
        // Its chunk is free again: wake the sources that went idle.
        for (const s of o.sources) pump(s)
        if (!plan.done && o.sources.every((s) => plan.isDropped(sourceKey(s))))
          finish(new Error('every source failed'))
      }
      /** The range arrived whole: write it, then the source takes its next range. */
      const store = (source: DownloadSource, range: ByteRange, body: Buffer): void => {
        const key = sourceKey(source)
        file.write(body, 0, body.length, range.start).then(
          () => {
            inFlight.delete(key)
            plan.completed(key)
            if (plan.done) return finish()
            pump(source)
          },
          (error: Error) => finish(error),
        )
      }
      /**
       * A range from a firewalled source, on its GIV connection: kept alive between ranges,
       * so only the first range (or one after a lost connection) costs a Push.
       */
      const fetchPushed = (
        source: DownloadSource,
        open: () => Promise<PushConnection>,
        range: ByteRange,
      ): void => {
        const key = sourceKey(source)
        const body = Buffer.alloc(range.end - range.start)
        let got = 0
        let cancelled = false
        inFlight.set(key, {
          destroy: () => {
            cancelled = true
            sessions.get(key)?.destroy()
          },
        })
        const kept = sessions.get(key)
        const ready =
          kept?.reusable === true
            ? Promise.resolve(kept)
            : open().then((connection) => {
                const session = new RangeSession(connection.socket, connection.rest)
                sessions.set(key, session)
                return session
              })
        ready
          .then((session) => {
            if (cancelled || plan.isDropped(key) || finished) return session.destroy()
            return session
              .fetch(source.path, range, o.length, (chunk) => {
                if (plan.isDropped(key)) return
                body.set(chunk, got)
                got += chunk.length
                bytesBySource[key] = (bytesBySource[key] ?? 0) + chunk.length
                plan.progress(key, now())
                o.onProgress?.(key, chunk.length)
              })
              .then(() => {
                if (!plan.isDropped(key)) store(source, range, body)
              })
          })
          .catch((error: Error) => drop(key, error.message))
      }
      const fetch = (source: DownloadSource, range: ByteRange): void => {
        if (source.open !== undefined) return fetchPushed(source, source.open, range)
        const key = sourceKey(source)
        const expected = range.end - range.start
        const body = Buffer.alloc(expected)
        let got = 0
        const req = request(
          {
            host: source.host,
            port: source.port,
            path: source.path,
            headers: { range: `bytes=${range.start}-${range.end - 1}` },
          },
          (res) => {
            const wanted = `bytes ${range.start}-${range.end - 1}/${o.length}`
            if (res.statusCode !== 206 || res.headers['content-range'] !== wanted) {
              res.resume()
              return drop(
                key,
                `answered ${res.statusCode ?? '?'} ${res.headers['content-range'] ?? ''}`,
              )
            }
            res.on('data', (chunk: Buffer) => {
              if (got + chunk.length > expected) return drop(key, 'sent more than asked')
              chunk.copy(body, got)
              got += chunk.length
              bytesBySource[key] = (bytesBySource[key] ?? 0) + chunk.length
              plan.progress(key, now())
              o.onProgress?.(key, chunk.length)
            })
            res.on('end', () => {
              if (plan.isDropped(key)) return
              if (got !== expected) return drop(key, `short body ${got}/${expected}`)
              store(source, range, body)
            })
            res.on('error', (error) => drop(key, error.message))
          },
        )
        req.on('error', (error) => drop(key, error.message))
        inFlight.set(key, req)
        req.end()
      }
      const pump = (source: DownloadSource): void => {
        const key = sourceKey(source)
        if (finished || inFlight.has(key)) return
        const range = plan.next(key, now())
        if (range !== undefined) fetch(source, range)
      }
      const watchdog = setInterval(
        () => {
          for (const key of plan.stalled(now())) drop(key, 'stalled')
        },
        Math.max(10, Math.floor(plan.stallMs / 4)),
      )
      if (plan.done) return finish()
      for (const source of o.sources) pump(source)
    })
    await file.close()
    const actual = await sha1OfFile(partPath)
    if (sha1Urn(actual) !== sha1Urn(digest))
      throw new Error(`SHA-1 mismatch: got ${sha1Urn(actual)}, want ${o.urn}`)
    await rename(partPath, finalPath)
    return {
      path: finalPath,
      length: o.length,
      bytesBySource,
      droppedSources: o.sources.map(sourceKey).filter((k) => plan.isDropped(k)),
    }
  } catch (error) {
    await file.close().catch(() => undefined)
    await rm(partPath, { force: true })
    throw error
  }
}
