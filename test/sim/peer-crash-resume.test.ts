import assert from 'node:assert/strict'
import { seconds } from '../../src/core/time.js'
import { NodeHashing } from '../../src/drivers/node/hashing.js'
import { SimWorld } from '../../src/sim/world.js'
import { MBPS, seededTest } from './helpers.js'
import { readFile } from './peer-fixtures.js'
import {
  runCrashSwarm,
  type CrashSwarm,
  type CrashSwarmPlan,
  type LifeRecord,
} from './peer-crash-swarm.js'

/**
 * Issue 12's seeded simulator test: 50 Peers on simulated hosts, each running three torrents
 * (real storage on the host's SimDisk, resume data on a state SimDisk that survives restarts),
 * finding each other through an HTTP tracker on another simulated host (real announcing over
 * the simulated network). Hosts are killed without warning (the simulator's crash: timers,
 * sockets and in-flight disk operations of the life vanish, what reached the disk stays) and
 * restarted, re-adding their torrents. After every restart no piece the resume data recorded as
 * verified may be downloaded again, and every download ends byte-exact.
 */
const PLAN: CrashSwarmPlan = {
  peers: 50,
  torrents: 3,
  seedsPerTorrent: 2,
  // 128 pieces a torrent: the session checkpoints resume data every 64 verified pieces, so
  // crashes find records that cover part of a download.
  torrentBytes: 256 * 1024,
  pieceBytes: 2 * 1024,
  arrivalWindow: seconds(5),
  crashes: 30,
  crashWindow: [seconds(6), seconds(30)],
  downtime: [seconds(1), seconds(6)],
  leecherUpload: 0.05 * MBPS,
  leecherDownload: 0.1 * MBPS,
  deadline: seconds(600),
}

seededTest(
  '50 peers, 3 torrents each, crashes and restarts: resume never re-downloads',
  1212,
  (seed) => {
    const world = new SimWorld({ seed, hashing: new NodeHashing() })
    const swarm = runCrashSwarm(world, PLAN)

    // Crashes happened mid-download and restarts found resume data to trust: not vacuous.
    const restarts = swarm.lives.filter((life) => life.number > 1)
    assert.ok(restarts.length >= 10, `only ${restarts.length} restarts`)
    const trusted = restarts.flatMap((life) => life.torrents.filter((t) => t.recorded.count > 0))
    assert.ok(trusted.length >= 10, `only ${trusted.length} torrents restarted with resume data`)
    const partial = trusted.filter((t) => t.recorded.count < t.pieceCount)
    assert.ok(partial.length >= 5, `only ${partial.length} restarts were mid-download`)

    for (const life of restarts) checkLife(life)

    // Every host finished every torrent, and its file is the torrent's content exactly.
    assert.equal(swarm.unfinished(), 0, `${swarm.unfinished()} downloads unfinished`)
    for (const host of swarm.hosts) {
      for (const torrent of swarm.torrents) {
        const bytes = readFile(world, host.env.disk, torrent.name, torrent.content.length)
        assert.ok(
          Buffer.compare(bytes, torrent.content) === 0,
          `${host.address} ${torrent.name} differs from the torrent`,
        )
      }
    }
    // The tracker was really used: it knows every peer of every torrent.
    for (const torrent of swarm.torrents) {
      const counts = swarm.tracker.countsOf(torrent.infoHash)
      assert.ok(counts !== undefined && counts.seeders + counts.leechers >= PLAN.peers / 2)
    }
  },
)

function checkLife(life: LifeRecord): void {
  for (const torrent of life.torrents) {
    const where = `${life.address} life ${life.number} torrent ${torrent.index}`
    const again = torrent.downloaded.filter((piece) => torrent.recorded.get(piece))
    assert.deepEqual(again, [], `${where} downloaded recorded pieces again`)
    if (torrent.readyVerified !== undefined) {
      assert.ok(
        torrent.readyVerified >= torrent.recorded.count,
        `${where}: ${torrent.recorded.count} recorded, ${torrent.readyVerified} verified at start`,
      )
    }
  }
}

seededTest('the crash swarm is deterministic: one seed, one history', 1213, (seed) => {
  const small: CrashSwarmPlan = { ...PLAN, peers: 12, crashes: 8 }
  const fingerprint = (swarm: CrashSwarm): string => JSON.stringify(swarm.fingerprint())
  const first = runCrashSwarm(new SimWorld({ seed, hashing: new NodeHashing() }), small)
  const second = runCrashSwarm(new SimWorld({ seed, hashing: new NodeHashing() }), small)
  assert.equal(first.unfinished(), 0)
  assert.equal(fingerprint(first), fingerprint(second))
})
