import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { createNetnsBed, requireNetnsBed, type NetnsBed } from '../support/netns-bed.js'

/**
 * uTP path MTU discovery over real Linux networking: the NAT bed with the router's link to the
 * public host at MTU 1280, a transfer from the host behind the NAT to the public host, once
 * with the router's ICMP "fragmentation needed" allowed and once with it dropped (a PMTU
 * black hole). Node's UDP sockets send with the kernel's default IP_PMTUDISC_WANT, so every
 * datagram that fits the cached path MTU leaves with DF set (the router counts them), and the
 * large ones are dropped at the 1280 link instead of being fragmented.
 *
 * The transfer must arrive byte-exact and the packet size the sender settled on must fit a
 * 1280-byte path (1252 bytes of UDP payload), within the search's 16-byte granularity.
 */

const HERE = dirname(fileURLToPath(import.meta.url))
const MAIN = join(HERE, '..', 'support', 'utp-pmtu-main.js')
const LINK_MTU = 1280
const PATH_PACKET_BYTES = LINK_MTU - 28
const PORT = 6881
const BYTES = 4 * 1024 * 1024

interface Line {
  readonly type: string
  readonly bytes?: number
  readonly sha256?: string
  readonly packetBytes?: number
  readonly ms?: number
}

const lines = (stdout: string): Line[] =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Line)

/** The bytes utp-pmtu-main sends, hashed the same way. */
function expectedSha256(total: number): string {
  const hash = createHash('sha256')
  for (let offset = 0; offset < total; offset += 65_536) {
    const length = Math.min(65_536, total - offset)
    const bytes = new Uint8Array(length)
    for (let i = 0; i < length; i++) bytes[i] = ((offset + i) * 31 + ((offset + i) >> 9)) & 0xff
    hash.update(bytes)
  }
  return hash.digest('hex')
}

/** Narrows the router's link to the public host; counts DF datagrams too big for it. */
async function narrowLink(bed: NetnsBed, blackHole: boolean): Promise<void> {
  const router = bed.routerNamespace
  // nft rules as words (a chain's `{ ... }` spec is one argument).
  const words = (line: string): string[] => line.split(' ')
  const commands: string[][] = [
    words(`ip link set vpub mtu ${LINK_MTU}`),
    words(`ip link set brpub mtu ${LINK_MTU}`),
    words('nft add table inet pmtu'),
    [...words('nft add chain inet pmtu pre'), '{ type filter hook prerouting priority -300; }'],
    [...words('nft add chain inet pmtu out'), '{ type filter hook output priority 0; }'],
    // DF set and too big for the link: dropped here (with or without ICMP).
    words(
      `nft add rule inet pmtu pre iifname brwan udp dport ${PORT} ip frag-off & 0x4000 != 0 ip length > ${LINK_MTU} counter`,
    ),
    words('nft add rule inet pmtu out icmp type destination-unreachable counter'),
  ]
  if (blackHole) {
    commands.push(words('nft add rule inet pmtu out icmp type destination-unreachable drop'))
  }
  for (const argv of commands) {
    const result = await bed.exec(router, argv)
    assert.equal(result.code, 0, `${argv.join(' ')}: ${result.stderr}`)
  }
  const pub = await bed.exec(bed.publicNamespace, [
    'ip',
    'link',
    'set',
    'eth0',
    'mtu',
    String(LINK_MTU),
  ])
  assert.equal(pub.code, 0, pub.stderr)
}

/** The router's counters: DF datagrams too big for the link, ICMP errors it sent. */
async function counters(bed: NetnsBed): Promise<{ dfTooBig: number; icmp: number }> {
  const listed = await bed.exec(bed.routerNamespace, ['nft', 'list', 'table', 'inet', 'pmtu'])
  const packets = [...listed.stdout.matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]))
  return { dfTooBig: packets[0] ?? 0, icmp: packets[1] ?? 0 }
}

async function transfer(blackHole: boolean): Promise<void> {
  const bed = await createNetnsBed({ nats: ['port_restricted'], publicAddresses: 1 })
  try {
    await narrowLink(bed, blackHole)
    const server = bed.publicAddresses[0] as string
    const noTestGuard = ['env', '-u', 'PLEXUS_TEST', process.execPath, MAIN]
    const receiver = bed.start(bed.publicNamespace, [...noTestGuard, 'serve', server, String(PORT)])
    let receiverOut = ''
    const received = new Promise<Line | undefined>((resolve) => {
      receiver.stdout?.on('data', (chunk: Buffer) => (receiverOut += chunk.toString()))
      receiver.once('exit', () => resolve(lines(receiverOut).find((l) => l.type === 'received')))
    })
    await new Promise<void>((resolve, reject) => {
      const poll = setInterval(() => {
        if (!receiverOut.includes('"ready"')) return
        clearInterval(poll)
        resolve()
      }, 20)
      receiver.once('exit', (code) => {
        clearInterval(poll)
        reject(new Error(`receiver exited (${code}): ${receiverOut}`))
      })
    })
    const host = (bed.networks[0] as { hostNamespace: string }).hostNamespace
    const sender = await bed.exec(
      host,
      [...noTestGuard, 'send', server, String(PORT), String(BYTES)],
      90_000,
    )
    const sent = lines(sender.stdout).find((l) => l.type === 'sent')
    assert.ok(sent !== undefined, `sender (${sender.code}): ${sender.stdout} ${sender.stderr}`)
    const got = await received
    assert.ok(got !== undefined, `receiver: ${receiverOut}`)
    const expected = expectedSha256(BYTES)
    assert.equal(sent.sha256, expected)
    assert.equal(got.bytes, BYTES)
    assert.equal(got.sha256, expected)
    const size = sent.packetBytes ?? 0
    const seen = await counters(bed)
    console.log(
      JSON.stringify({
        case: blackHole ? 'icmp dropped' : 'icmp allowed',
        packetBytes: size,
        ms: sent.ms,
        ...seen,
      }),
    )
    assert.ok(size <= PATH_PACKET_BYTES && size > PATH_PACKET_BYTES - 16, `settled on ${size}`)
    // The probes above the link left with DF set and were dropped at the router.
    assert.ok(seen.dfTooBig > 0, 'no DF datagram above the link MTU reached the router')
    assert.ok(seen.icmp > 0, 'the router sent no "fragmentation needed"')
  } finally {
    await bed.teardown()
  }
}

test('uTP over a 1280-byte link with ICMP "fragmentation needed" allowed', async () => {
  requireNetnsBed()
  await transfer(false)
})

test('uTP over a 1280-byte link that drops ICMP (a PMTU black hole)', async () => {
  requireNetnsBed()
  await transfer(true)
})
