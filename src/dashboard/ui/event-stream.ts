import type { StatsEvent } from '../model/api-types.js'
import { SseParser } from '../model/sse.js'
import { API } from './api.js'

export type StreamStatus = 'connecting' | 'live' | 'lost' | 'refused'

export interface StreamHandlers {
  readonly onStats: (stats: StatsEvent) => void
  /** Any other peer event (torrent_added, torrent_state, ...): the list may have changed. */
  readonly onChange: (type: string) => void
  readonly onStatus: (status: StreamStatus) => void
}

const RETRY_MS = 2000

/**
 * Follows GET /api/v1/events until the returned function is called; reconnects after a lost
 * stream, stops for good on 401. fetch, not EventSource: only fetch can send the bearer header.
 */
export function followEvents(token: string, handlers: StreamHandlers): () => void {
  const abort = new AbortController()
  let retry: ReturnType<typeof setTimeout> | undefined

  const connect = async (): Promise<void> => {
    handlers.onStatus('connecting')
    try {
      const response = await fetch(`${API}/events`, {
        headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
        cache: 'no-store',
        signal: abort.signal,
      })
      if (response.status === 401) return handlers.onStatus('refused')
      if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}`)
      handlers.onStatus('live')
      const parser = new SseParser()
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        for (const event of parser.push(value)) {
          if (event.event === 'stats') handlers.onStats(JSON.parse(event.data) as StatsEvent)
          else handlers.onChange(event.event)
        }
      }
    } catch {
      if (abort.signal.aborted) return
    }
    if (abort.signal.aborted) return
    handlers.onStatus('lost')
    retry = setTimeout(() => void connect(), RETRY_MS)
  }

  void connect()
  return () => {
    abort.abort()
    if (retry !== undefined) clearTimeout(retry)
  }
}
