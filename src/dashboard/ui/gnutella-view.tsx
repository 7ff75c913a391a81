import { formatAgo, formatBytes } from '../model/format.js'
import type { ApiClient } from './api.js'
import { usePolling } from './use-polling.js'

interface Props {
  readonly api: ApiClient
  /** The plug-in's status() from GET /plugins (the shape of GET /gnutella). */
  readonly status: Readonly<Record<string, unknown>>
  readonly onError: (error: unknown) => void
}

interface Neighbour {
  readonly address: string
  readonly role: string
}

const ROLES: Readonly<Record<string, string>> = {
  ultrapeer: 'Ultrapeer: routes queries for its leaves',
  leaf: 'Leaf: connected through ultrapeers',
  peer: 'Peer (Gnutella 0.4, no ultrapeer roles)',
}

/** The Gnutella servent: its role, neighbours, shared files and our recent searches. */
export function GnutellaView({ api, status, onError }: Props) {
  const running = status['state'] === 'running'
  const shared = usePolling(() => api.gnutellaShared(), 5000, 'gnutella-shared', onError).value
  const searches = usePolling(
    () => api.gnutellaSearches(),
    2000,
    'gnutella-searches',
    onError,
  ).value
  const neighbours = (status['neighbours'] as readonly Neighbour[] | undefined) ?? []
  const role = String(status['role'] ?? '')
  const uploads = status['uploads'] as { active?: number; queued?: number } | undefined
  const num = (key: string): number => Number(status[key] ?? 0)
  return (
    <article aria-labelledby="gnutella-title" class="plugin">
      <h2 id="gnutella-title">Gnutella</h2>
      <dl class="summary">
        <div>
          <dt>State</dt>
          <dd>{String(status['state'] ?? '')}</dd>
        </div>
        <div>
          <dt>Role</dt>
          <dd title={ROLES[role]}>{role}</dd>
        </div>
        <div>
          <dt>Address</dt>
          <dd>{String(status['address'] || '—')}</dd>
        </div>
        <div>
          <dt>Shared</dt>
          <dd>
            {num('sharedFiles')} files, {formatBytes(num('sharedBytes'))}
          </dd>
        </div>
        <div>
          <dt>Queries received</dt>
          <dd>{num('queriesReceived')}</dd>
        </div>
        <div>
          <dt>Uploads</dt>
          <dd>
            {uploads?.active ?? 0} active, {uploads?.queued ?? 0} queued
          </dd>
        </div>
        <div>
          <dt>Downloads</dt>
          <dd>{num('downloads')}</dd>
        </div>
      </dl>
      <h3>Neighbours ({neighbours.length})</h3>
      {neighbours.length === 0 ? (
        <p class="empty">No neighbour connected{running ? ' yet' : ''}.</p>
      ) : (
        <table aria-label="Gnutella neighbours">
          <thead>
            <tr>
              <th>Address</th>
              <th>Role</th>
            </tr>
          </thead>
          <tbody>
            {neighbours.map((n) => (
              <tr key={n.address}>
                <td data-label="Address">{n.address}</td>
                <td data-label="Role">{n.role}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Shared files ({shared?.length ?? 0})</h3>
      {shared === undefined || shared.length === 0 ? (
        <p class="empty">Nothing shared ([gnutella] share_dir names the folder).</p>
      ) : (
        <table aria-label="Gnutella shared files">
          <thead>
            <tr>
              <th>Name</th>
              <th class="num">Size</th>
              <th>URN</th>
            </tr>
          </thead>
          <tbody>
            {shared.map((f) => (
              <tr key={f.urn + f.path}>
                <td data-label="Name">{f.path}</td>
                <td class="num" data-label="Size">
                  {formatBytes(f.length)}
                </td>
                <td class="mono" data-label="URN">
                  {f.urn}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Recent searches ({searches?.length ?? 0})</h3>
      {searches === undefined || searches.length === 0 ? (
        <p class="empty">No search yet (POST /api/v1/gnutella/searches, or plexus gnutella).</p>
      ) : (
        <table aria-label="Gnutella searches">
          <thead>
            <tr>
              <th>Words</th>
              <th class="num">Files found</th>
              <th class="num">Started</th>
            </tr>
          </thead>
          <tbody>
            {searches.map((s) => (
              <tr key={s.id}>
                <td data-label="Words">{s.words}</td>
                <td class="num" data-label="Files found">
                  {s.hits}
                </td>
                <td class="num" data-label="Started">
                  {formatAgo(s.startedAt, Date.now())}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </article>
  )
}
