import type { SwarmPeer } from '../model/api-types.js'
import { formatBytes, formatPercent, formatRate } from '../model/format.js'

/** Letters as in the flag columns of libtorrent-based clients, each explained on hover. */
const FLAGS: readonly { letter: string; title: string; on: (p: SwarmPeer) => boolean }[] = [
  {
    letter: 'D',
    title: 'downloading: we are interested and it unchokes us',
    on: (p) => p.amInterested && !p.peerChoking,
  },
  {
    letter: 'd',
    title: 'we are interested but it chokes us',
    on: (p) => p.amInterested && p.peerChoking,
  },
  {
    letter: 'U',
    title: 'uploading: it is interested and we unchoke it',
    on: (p) => p.peerInterested && !p.amChoking,
  },
  {
    letter: 'u',
    title: 'it is interested but we choke it',
    on: (p) => p.peerInterested && p.amChoking,
  },
  { letter: 'S', title: 'snubbed: it sent us nothing for a while', on: (p) => p.snubbed },
  { letter: 'O', title: 'outgoing connection (we dialled it)', on: (p) => p.outbound },
  { letter: 'I', title: 'incoming connection', on: (p) => !p.outbound },
  { letter: 'F', title: 'fast extension (BEP 6)', on: (p) => p.fast },
]

/** The open connections: address, client, flags, its progress, rates and totals. */
export function PeersTable({ peers }: { peers: readonly SwarmPeer[] | undefined }) {
  if (peers === undefined) return <p class="empty">Loading…</p>
  if (peers.length === 0) return <p class="empty">No connected peers.</p>
  return (
    <>
      <table class="peers">
        <thead>
          <tr>
            <th>Address</th>
            <th>Client</th>
            <th>Flags</th>
            <th class="num">Has</th>
            <th class="num">Down</th>
            <th class="num">Up</th>
            <th class="num">Downloaded</th>
            <th class="num">Uploaded</th>
          </tr>
        </thead>
        <tbody>
          {peers.map((p) => (
            <tr key={p.address}>
              <td data-label="Address">{p.address}</td>
              <td data-label="Client">{p.client ?? 'unknown'}</td>
              <td data-label="Flags" class="mono">
                {FLAGS.filter((f) => f.on(p)).map((f) => (
                  <abbr key={f.letter} title={f.title}>
                    {f.letter}
                  </abbr>
                ))}
              </td>
              <td class="num" data-label="Has">
                {p.seed ? 'seed' : formatPercent(p.progress)}
              </td>
              <td class="num" data-label="Down">
                {formatRate(p.downloadRate)}
              </td>
              <td class="num" data-label="Up">
                {formatRate(p.uploadRate)}
              </td>
              <td class="num" data-label="Downloaded">
                {formatBytes(p.downloadedBytes)}
              </td>
              <td class="num" data-label="Uploaded">
                {formatBytes(p.uploadedBytes)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="hint">
        Flags: {FLAGS.map((f) => `${f.letter} ${f.title.split(':')[0]}`).join(' · ')}
      </p>
    </>
  )
}
