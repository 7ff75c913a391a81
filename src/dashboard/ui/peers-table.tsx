import type { TorrentPeer } from '../model/api-types.js'
import { formatBytes, formatRate } from '../model/format.js'

/** The connected peers: address, client (from the peer id), rates and totals. */
export function PeersTable({ peers }: { peers: readonly TorrentPeer[] }) {
  if (peers.length === 0) return <p class="empty">No connected peers.</p>
  return (
    <table class="peers">
      <thead>
        <tr>
          <th>Address</th>
          <th>Client</th>
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
  )
}
