/* global performance, setImmediate, queueMicrotask, Buffer */
/**
 * CPU of the onion client's receive path alone, in one process, no sockets: DATA cells sealed
 * by an exit three hops away (memory relays, `memory-relays.ts`), framed as a link carries
 * them and cut into reads of READ bytes (tor's TLS records reach the client as reads of about
 * 4 KiB), go through CellFramer, OnionCircuit (the driver) and its ClientCircuit to an
 * OnionStream reader. Client SENDMEs are dropped. Prints CPU ms per MiB (process.cpuUsage).
 *
 *   WT=/work/wt/x SIZE=32 READ=4048 node --expose-gc bench/onion-receive-cpu.mjs
 *
 * WT is a built tree (default: the current directory); JSDIGEST=1 uses the JavaScript SHA-1.
 */
const W = new URL(`${process.env.WT ?? '.'}/`, `file://${process.cwd()}/`).href.replace(/\/$/, '')
const { SeededRandom } = await import(`${W}/dist/src/core/random.js`)
const { NodeOnionCrypto } = await import(`${W}/dist/src/drivers/onion/node-crypto.js`)
const { OnionCircuit } = await import(`${W}/dist/src/drivers/onion/circuit.js`)
const { CellFramer } = await import(`${W}/dist/src/protocols/onion/cell.js`)
const { MemoryPath, makeMemoryRelays, memoryLinkSpecifiers, relayKey } = await import(
  `${W}/dist/src/protocols/onion/memory-relays.js`
)
const { silentLog } = await import(`${W}/dist/src/drivers/node/log.js`)
const crypto = new NodeOnionCrypto(process.env.JSDIGEST === '1')
const random = new SeededRandom(5)
const relays = makeMemoryRelays(crypto, random.fork('relays'), 3)
const path = new MemoryPath(crypto, random.fork('path'), relays, undefined, {
  exitAnswer: (cell) =>
    cell.command === 1 ? [{ command: 4, streamId: cell.streamId, data: new Uint8Array(0) }] : [],
})
let one,
  run,
  setup = true
const link = {
  register: (id, h) => {
    one = h
  },
  registerRun: (id, h) => {
    run = h
  },
  unregister() {},
  onClose() {},
  send(cell) {
    if (!setup) return
    const back = path.fromClient(0, cell)
    queueMicrotask(() => deliver(back))
  },
}
function deliver(cells) {
  if (run) run(cells)
  else for (const c of cells) one(c)
}
const circuit = new OnionCircuit(crypto, random.fork('c'), link, silentLog)
await circuit.create(relayKey(relays[0]))
for (const i of [1, 2])
  await circuit.extend(relayKey(relays[i]), memoryLinkSpecifiers(relays[i], i))
const stream = await circuit.connect('127.0.0.1', 80)
setup = false
const MiB = Number(process.env.SIZE ?? 32)
const cells = Math.ceil((MiB * 2 ** 20) / 498)
const wire = Buffer.alloc(cells * 514)
const data = new Uint8Array(498).fill(7)
for (let i = 0; i < cells; i++) {
  let p = relays[2].hop.toClient({ command: 2, streamId: stream.streamId, data })
  p = relays[1].hop.passBackward(p)
  p = relays[0].hop.passBackward(p)
  wire.writeUInt32BE(circuit.protocol.circId, i * 514)
  wire[i * 514 + 4] = 3
  wire.set(p, i * 514 + 5)
}
const framer = new CellFramer(true)
framer.useWideCircIds()
let got = 0
stream.on('data', (chunk) => {
  got += chunk.length
})
const READ = Number(process.env.READ ?? 16384)
if (typeof globalThis.gc === 'function') globalThis.gc()
const c0 = process.cpuUsage()
const t0 = performance.now()
for (let at = 0; at < wire.length; at += READ) {
  const cellsIn = framer.push(Buffer.from(wire.subarray(at, at + READ)))
  const list = cellsIn.value
  if (list.length > 0) deliver(list)
  await new Promise(setImmediate)
}
const cu = process.cpuUsage(c0)
const ms = performance.now() - t0
if (got !== cells * 498)
  throw new Error(`got ${got} of ${cells * 498} (closed: ${circuit.closedReason})`)
console.log(
  JSON.stringify({
    tree: W,
    mib: MiB,
    cpuMsPerMiB: +((cu.user + cu.system) / 1000 / (got / 2 ** 20)).toFixed(1),
    wallMsPerMiB: +(ms / (got / 2 ** 20)).toFixed(1),
  }),
)
