import type { PluginInfo } from '../model/api-types.js'
import { layoutStatus } from '../model/plugin-status.js'
import type { ApiClient } from './api.js'
import { GnutellaView } from './gnutella-view.js'
import { usePolling } from './use-polling.js'

interface Props {
  readonly api: ApiClient
  readonly onError: (error: unknown) => void
}

/**
 * The protocols the peer hosts besides BitTorrent (GET /plugins): Gnutella has a view of its
 * own; any other plug-in is shown from its status() alone, so a new protocol appears here
 * without a dashboard change.
 */
export function PluginsView({ api, onError }: Props) {
  const plugins = usePolling(() => api.plugins(), 2000, 'plugins', onError).value
  return (
    <section aria-labelledby="plugins-title">
      <h1 id="plugins-title">Plug-ins</h1>
      {plugins === undefined ? (
        <p class="empty">Loading…</p>
      ) : plugins.length === 0 ? (
        <p class="empty">
          This daemon runs BitTorrent only. Other protocols are plug-ins of the peer: Gnutella with{' '}
          <code>[gnutella] enabled = true</code> in the config.
        </p>
      ) : (
        plugins.map((plugin) =>
          plugin.name === 'gnutella' ? (
            <GnutellaView key={plugin.name} api={api} status={plugin.status} onError={onError} />
          ) : (
            <GenericPluginView key={plugin.name} plugin={plugin} />
          ),
        )
      )}
    </section>
  )
}

/** Any plug-in: its status as key/value rows and its lists of records as tables. */
export function GenericPluginView({ plugin }: { plugin: PluginInfo }) {
  const layout = layoutStatus(plugin.status)
  const title = `plugin-${plugin.name}`
  return (
    <article aria-labelledby={title} class="plugin">
      <h2 id={title}>{plugin.name}</h2>
      <dl class="summary">
        {layout.values.map((v) => (
          <div key={v.key}>
            <dt>{v.key}</dt>
            <dd>{v.value}</dd>
          </div>
        ))}
      </dl>
      {layout.tables.map((t) => (
        <div key={t.key}>
          <h3>
            {t.key} ({t.rows.length})
          </h3>
          <table aria-label={`${plugin.name} ${t.key}`}>
            <thead>
              <tr>
                {t.columns.map((c) => (
                  <th key={c}>{c}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {t.rows.map((row, i) => (
                <tr key={i}>
                  {t.columns.map((c) => (
                    <td key={c} data-label={c}>
                      {row[c]}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
    </article>
  )
}
