import type { TorrentTracker } from '../model/api-types.js'

/** The announce list by tier, with what each tracker last said (an error or a warning). */
export function TrackersTable({ trackers }: { trackers: readonly TorrentTracker[] }) {
  if (trackers.length === 0) {
    return <p class="empty">No trackers: peers come from the DHT, PEX or the magnet link.</p>
  }
  return (
    <table class="trackers">
      <thead>
        <tr>
          <th class="num">Tier</th>
          <th>URL</th>
          <th>Last message</th>
        </tr>
      </thead>
      <tbody>
        {trackers.map((tr) => (
          <tr key={`${tr.tier} ${tr.url}`}>
            <td class="num" data-label="Tier">
              {tr.tier}
            </td>
            <td class="name" data-label="URL">
              {tr.url}
            </td>
            <td data-label="Last message">{tr.message ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
