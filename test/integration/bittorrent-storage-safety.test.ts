/**
 * Issue 11, storage items, through TorrentSession on real files and loopback sockets: links
 * planted in the output folder, resume data kept apart and checked against the files (size and
 * mtime), a piece edited while seeding, empty files, a seed pointed at the wrong folder, and a
 * disk that fills up.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { address } from '../../src/core/address.js'
import type { Disk, DiskFile, Env } from '../../src/core/env.js'
import { OperationalError } from '../../src/core/errors.js'
import { err } from '../../src/core/result.js'
import { createTorrent } from '../../src/drivers/bittorrent/create-torrent.js'
import {
  TorrentSession,
  type SessionEvent,
  type TorrentSessionOptions,
} from '../../src/drivers/bittorrent/session.js'
import { NodeDisk } from '../../src/drivers/node/disk.js'
import { createNodeEnv } from '../../src/drivers/node/env.js'
import { promised } from '../../src/drivers/promises.js'
import { parseMetainfo, type Metainfo } from '../../src/protocols/bittorrent/metainfo/index.js'
import { inlinePieceHashing } from '../../src/protocols/bittorrent/storage/index.js'

const base = mkdtempSync(join(tmpdir(), 'plexus-storage-safety-'))
after(() => rmSync(base, { recursive: true, force: true }))

const PIECE = 16 * 1024
const defer = (fn: () => void): void => void setImmediate(fn)

/** A folder `share` under `dir` holding `files` (path -> bytes), and its parsed torrent. */
async function shared(dir: string, files: Record<string, Uint8Array>): Promise<Metainfo> {
  for (const [path, bytes] of Object.entries(files)) {
    const full = join(dir, 'share', ...path.split('/'))
    mkdirSync(join(full, '..'), { recursive: true })
    writeFileSync(full, bytes)
  }
  const created = await createTorrent(join(dir, 'share'), { pieceLength: PIECE })
  const parsed = parseMetainfo(created.torrent, createNodeEnv().hashing)
  assert.ok(parsed.ok)
  return parsed.value
}

interface Opened {
  readonly session: TorrentSession
  readonly events: SessionEvent[]
}

function sessionOptions(
  env: Env,
  m: Metainfo,
  stateDir: string | undefined,
  events: SessionEvent[],
  extra: Partial<TorrentSessionOptions> = {},
): TorrentSessionOptions {
  return {
    env,
    metainfo: m,
    saveDir: '',
    listen: address('127.0.0.1', 0),
    peerId: randomBytes(20),
    pieceHashing: inlinePieceHashing(env.hashing, defer),
    defer,
    ...(stateDir === undefined
      ? {}
      : { resumeStore: { disk: new NodeDisk({ root: stateDir }), dir: '' } }),
    onEvent: (event) => events.push(event),
    ...extra,
  }
}

/** Opens a session on `saveDir` (its disk root), resume data in `stateDir`. */
async function open(
  m: Metainfo,
  saveDir: string,
  stateDir: string | undefined,
  extra: Partial<TorrentSessionOptions> = {},
): Promise<Opened> {
  const events: SessionEvent[] = []
  const env = createNodeEnv({ diskRoot: saveDir, loopbackOnly: true })
  const session = await promised<TorrentSession>((done) =>
    TorrentSession.open(sessionOptions(env, m, stateDir, events, extra), done),
  )
  return { session, events }
}

const close = (session: TorrentSession): Promise<void> =>
  promised<void>((done) => session.close(done)).catch(() => undefined)

const readyCount = (events: readonly SessionEvent[]): number => {
  const ready = events.find((event) => event.type === 'ready')
  assert.ok(ready?.type === 'ready')
  return ready.verifiedPieces
}

/** Resolves when `events` gets one that `match` accepts (polled; the session runs meanwhile). */
async function eventually<T extends SessionEvent>(
  events: readonly SessionEvent[],
  match: (event: SessionEvent) => event is T,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = events.find(match)
    if (found !== undefined) return found
    if (Date.now() > deadline) throw new Error(`no matching event in ${JSON.stringify(events)}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Moves a file's mtime `seconds` ahead: an edit some seconds later, on any timestamp grain. */
function touchLater(path: string, seconds: number): void {
  const mtime = statSync(path).mtime
  const later = new Date(mtime.getTime() + seconds * 1000)
  utimesSync(path, later, later)
}

function world(name: string): { dir: string; out: string; outside: string; precious: string } {
  const dir = join(base, name)
  const out = join(dir, 'out')
  const outside = join(dir, 'outside')
  mkdirSync(out, { recursive: true })
  mkdirSync(outside, { recursive: true })
  const precious = join(outside, 'precious')
  writeFileSync(precious, 'keep me')
  return { dir, out, outside, precious }
}

async function refusedToOpen(m: Metainfo, out: string, state: string): Promise<OperationalError> {
  const failure = await open(m, out, state).then(
    () => assert.fail('the session opened through a link'),
    (error: unknown) => error,
  )
  assert.ok(failure instanceof OperationalError)
  assert.equal(failure.code, 'invalid_path')
  assert.match(failure.message, /symbolic link/)
  return failure
}

test('get refuses links at a file path, dangling links and linked folders; nothing outside changes', async () => {
  const w = world('links')
  const m = await shared(w.dir, { 'a.bin': randomBytes(40_000), 'sub/b.bin': randomBytes(9_000) })
  const state = join(w.dir, 'state')
  // A link where a file goes, pointing at a file outside.
  mkdirSync(join(w.out, 'share'), { recursive: true })
  symlinkSync(w.precious, join(w.out, 'share', 'a.bin'))
  await refusedToOpen(m, w.out, state)
  assert.equal(readFileSync(w.precious, 'utf8'), 'keep me')
  // A dangling link where a file goes.
  rmSync(join(w.out, 'share', 'a.bin'))
  symlinkSync(join(w.outside, 'planted'), join(w.out, 'share', 'a.bin'))
  await refusedToOpen(m, w.out, state)
  // A linked folder inside the torrent's folder.
  rmSync(join(w.out, 'share', 'a.bin'))
  symlinkSync(w.outside, join(w.out, 'share', 'sub'))
  await refusedToOpen(m, w.out, state)
  // The torrent's own folder is a link.
  rmSync(join(w.out, 'share'), { recursive: true })
  symlinkSync(w.outside, join(w.out, 'share'))
  await refusedToOpen(m, w.out, state)
  assert.deepEqual(readdirSync(w.outside), ['precious'])
  assert.equal(readFileSync(w.precious, 'utf8'), 'keep me')
})

test('a linked resume folder in the state folder is refused as fatal; nothing lands outside', async () => {
  const w = world('state-link')
  const m = await shared(w.dir, { 'a.bin': randomBytes(20_000) })
  const state = join(w.dir, 'state')
  mkdirSync(state)
  symlinkSync(w.outside, join(state, 'resume'))
  const { session, events } = await open(m, join(w.dir), state)
  try {
    const fatal = await eventually(events, (e): e is Extract<SessionEvent, { type: 'fatal' }> => {
      return e.type === 'fatal'
    })
    assert.equal(fatal.code, 'invalid_path')
    assert.match(fatal.message, /symbolic link/)
  } finally {
    await close(session)
  }
  assert.deepEqual(readdirSync(w.outside), ['precious'])
})

test('resume data lives in the state folder; a record planted among the files is ignored', async () => {
  const w = world('forge')
  const m = await shared(w.dir, { 'a.bin': randomBytes(3 * PIECE) })
  const state = join(w.dir, 'state')
  // The old location, inside the download folder, holding a record that claims everything.
  const seeded = await open(m, w.dir, join(w.dir, 'seed-state'))
  assert.equal(readyCount(seeded.events), m.pieceCount)
  await close(seeded.session)
  const record = readFileSync(join(w.dir, 'seed-state', 'resume', `${m.infoHashHex}.resume`))
  mkdirSync(join(w.out, '.plexus'))
  writeFileSync(join(w.out, '.plexus', `${m.infoHashHex}.resume`), record)
  mkdirSync(join(w.out, 'share'))
  writeFileSync(join(w.out, 'share', 'a.bin'), new Uint8Array(3 * PIECE))
  const get = await open(m, w.out, state)
  assert.equal(readyCount(get.events), 0, 'the all-zero file is not complete')
  assert.equal(get.session.isComplete, false)
  await close(get.session)
  assert.ok(existsSync(join(state, 'resume', `${m.infoHashHex}.resume`)))
})

test('a one-byte edit after resume costs that piece only; restoring the file brings it back', async () => {
  const w = world('edit')
  const a = randomBytes(4 * PIECE)
  const m = await shared(w.dir, { 'a.bin': a, 'b.bin': randomBytes(2 * PIECE + 5) })
  const state = join(w.dir, 'state')
  const first = await open(m, w.dir, state)
  assert.equal(readyCount(first.events), m.pieceCount)
  await close(first.session)
  const path = join(w.dir, 'share', 'a.bin')
  const edited = Buffer.from(a)
  edited[PIECE + 7] = (edited[PIECE + 7] ?? 0) ^ 0x01
  writeFileSync(path, edited)
  touchLater(path, 10)

  const second = await open(m, w.dir, state)
  assert.deepEqual(
    second.events.find((e) => e.type === 'checking'),
    { type: 'checking', reason: '1 file changed since the resume data' },
  )
  assert.equal(readyCount(second.events), m.pieceCount - 1)
  await close(second.session)
  // The record written after the recheck no longer claims the piece: a plain restart agrees.
  const third = await open(m, w.dir, state)
  assert.equal(
    third.events.find((e) => e.type === 'checking'),
    undefined,
  )
  assert.equal(readyCount(third.events), m.pieceCount - 1)
  await close(third.session)

  writeFileSync(path, a)
  touchLater(path, 20)
  const restored = await open(m, w.dir, state)
  assert.equal(readyCount(restored.events), m.pieceCount)
  await close(restored.session)

  const forced = await open(m, w.dir, state, { recheck: true })
  assert.deepEqual(
    forced.events.find((e) => e.type === 'checking'),
    { type: 'checking', reason: 'recheck requested' },
  )
  assert.equal(readyCount(forced.events), m.pieceCount)
  await close(forced.session)
})

test('a piece edited while seeding is withdrawn, never served, and the leecher stays short of it', async () => {
  const w = world('live-edit')
  const a = randomBytes(6 * PIECE)
  const m = await shared(w.dir, { 'a.bin': a })
  const seed = await open(m, w.dir, join(w.dir, 'seed-state'))
  const get = await open(m, w.out, join(w.dir, 'get-state'), {
    peers: [seed.session.listenAddress],
  })
  try {
    // Edited in place while the seed runs; the seed has read nothing for uploading yet.
    const path = join(w.dir, 'share', 'a.bin')
    const edited = Buffer.from(a)
    edited[3 * PIECE + 1] = (edited[3 * PIECE + 1] ?? 0) ^ 0x80
    writeFileSync(path, edited)
    const changed = await eventually(
      seed.events,
      (e): e is Extract<SessionEvent, { type: 'piece_changed' }> => e.type === 'piece_changed',
    )
    assert.equal(changed.piece, 3)
    await eventually(
      get.events,
      (e): e is Extract<SessionEvent, { type: 'piece_verified' }> =>
        e.type === 'piece_verified' &&
        get.events.filter((x) => x.type === 'piece_verified').length === 5,
    )
    assert.ok(!get.events.some((e) => e.type === 'piece_failed'), 'no bad piece was served')
    assert.equal(get.session.isComplete, false)
  } finally {
    await close(get.session)
    await close(seed.session)
  }
})

test('empty files and their folder chains are created; complete means every file is there', async () => {
  const w = world('empty')
  const files = {
    'a.bin': randomBytes(30_000),
    'empty-1': new Uint8Array(0),
    'deep/er/chain/empty-2': new Uint8Array(0),
    'z.bin': randomBytes(5_000),
  }
  const m = await shared(w.dir, files)
  const seed = await open(m, w.dir, join(w.dir, 'seed-state'))
  assert.equal(readyCount(seed.events), m.pieceCount, 'a seed accepts torrents with empty files')
  const get = await open(m, w.out, join(w.dir, 'get-state'), {
    peers: [seed.session.listenAddress],
  })
  try {
    await eventually(
      get.events,
      (e): e is Extract<SessionEvent, { type: 'download_completed' }> =>
        e.type === 'download_completed',
    )
  } finally {
    await close(get.session)
    await close(seed.session)
  }
  for (const [path, bytes] of Object.entries(files)) {
    assert.deepEqual(readFileSync(join(w.out, 'share', ...path.split('/'))), Buffer.from(bytes))
  }
})

test('a seed pointed at the wrong folder names the missing and mis-sized files', async () => {
  const w = world('wrong-folder')
  const m = await shared(w.dir, { 'a.bin': randomBytes(20_000), 'b/c.bin': randomBytes(7_000) })
  mkdirSync(join(w.out, 'share'))
  writeFileSync(join(w.out, 'share', 'a.bin'), randomBytes(19_999))
  const seed = await open(m, w.out, join(w.dir, 'state'))
  await close(seed.session)
  assert.deepEqual(
    seed.events.find((e) => e.type === 'files_missing'),
    {
      type: 'files_missing',
      files: [
        { path: 'share/a.bin', reason: 'size' },
        { path: 'share/b/c.bin', reason: 'missing' },
      ],
    },
  )
})

/** A Disk whose file writes fail with `code` (a full disk), everything else passed through. */
function failingWrites(inner: Disk, code: 'no_space'): Disk {
  const wrap = (file: DiskFile): DiskFile => {
    const fail = (done: (result: ReturnType<typeof err<OperationalError>>) => void): void =>
      void setImmediate(() => done(err(new OperationalError(code, `write '${file.path}': ENOSPC`))))
    return {
      path: file.path,
      read: (position, length, done) => file.read(position, length, done),
      write: (_position, _bytes, done) => fail(done),
      writev: (_position, _parts, done) => fail(done),
      truncate: (size, done) => file.truncate(size, done),
      sync: (done) => file.sync(done),
      size: (done) => file.size(done),
      close: (done) => file.close(done),
    }
  }
  return {
    open: (path, mode, done) =>
      inner.open(path, mode, (r) => done(r.ok ? { ...r, value: wrap(r.value) } : r)),
    stat: (path, done) => inner.stat(path, done),
    rename: (from, to, done) => inner.rename(from, to, done),
    remove: (path, done) => inner.remove(path, done),
    removeDirectory: (path, done) => inner.removeDirectory(path, done),
    mkdir: (path, done) => inner.mkdir(path, done),
    list: (path, done) => inner.list(path, done),
    syncDirectory: (path, done) => inner.syncDirectory(path, done),
  }
}

test('a full disk reaches the owner once, as a typed fatal event', async () => {
  const w = world('full')
  const m = await shared(w.dir, { 'a.bin': randomBytes(8 * PIECE) })
  const seed = await open(m, w.dir, join(w.dir, 'seed-state'))
  const events: SessionEvent[] = []
  const real = createNodeEnv({ diskRoot: w.out, loopbackOnly: true })
  const env: Env = { ...real, disk: failingWrites(real.disk, 'no_space') }
  const options = sessionOptions(env, m, join(w.dir, 'get-state'), events, {
    peers: [seed.session.listenAddress],
  })
  const get = await promised<TorrentSession>((done) => TorrentSession.open(options, done))
  try {
    const fatal = await eventually(
      events,
      (e): e is Extract<SessionEvent, { type: 'fatal' }> => e.type === 'fatal',
    )
    assert.equal(fatal.code, 'no_space')
    assert.match(fatal.message, /ENOSPC/)
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.equal(events.filter((e) => e.type === 'fatal').length, 1)
  } finally {
    await close(get)
    await close(seed.session)
  }
})
