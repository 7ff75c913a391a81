import type { FastifyInstance } from 'fastify'
import { utf8 } from '../../core/bytes.js'
import { overlayDoneJson } from '../../drivers/overlay/done-json.js'
import type { OverlayDone } from '../../drivers/overlay/overlay-service.js'
import type { OverlayPlugin } from '../../peer/overlay-plugin.js'
import { ApiError } from './api-error.js'
import {
  overlayGetSchema,
  overlayLookupSchema,
  overlayPutSchema,
  overlayRemoveSchema,
  overlaySchemas,
  overlayStatusSchema,
} from './overlay-schemas.js'
import { API_PREFIX, type ApiOptions } from './options.js'

/** /api/v1/overlay: the Chord, Pastry or CAN node the daemon runs when `[overlay] enabled`. */
export function registerOverlayRoutes(app: FastifyInstance, api: ApiOptions): void {
  for (const schema of overlaySchemas) app.addSchema(schema)
  const base = `${API_PREFIX}/overlay`
  const running = (): OverlayPlugin => {
    if (api.overlay === undefined)
      throw new ApiError(409, 'disabled', 'the overlay is not enabled ([overlay] enabled = true)')
    if (api.overlay.status().state === 'stopped')
      throw new ApiError(503, 'closed', 'the overlay node is stopping')
    return api.overlay
  }
  const answer = async (operation: Promise<OverlayDone>) => {
    const done = await operation
    if (!done.ok)
      api.log.log('info', 'overlay operation failed', { kind: done.kind, error: done.error ?? '' })
    return overlayDoneJson(done)
  }

  app.get(base, { schema: overlayStatusSchema }, () =>
    api.overlay === undefined ? { enabled: false } : { enabled: true, ...api.overlay.status() },
  )

  app.post(`${base}/put`, { schema: overlayPutSchema }, (request) => {
    const { key, value } = request.body as { key: string; value: string }
    return answer(running().put(utf8(key), utf8(value)))
  })

  app.post(`${base}/remove`, { schema: overlayRemoveSchema }, (request) => {
    const { key } = request.body as { key: string }
    return answer(running().remove(utf8(key)))
  })

  app.get(`${base}/get`, { schema: overlayGetSchema }, (request) => {
    const { key } = request.query as { key: string }
    return answer(running().get(utf8(key)))
  })

  app.get(`${base}/lookup`, { schema: overlayLookupSchema }, (request) => {
    const { id } = request.query as { id: string }
    const node = running()
    const bytes = node.idBytes(id)
    if (bytes === undefined) {
      const width =
        node.config.kind === 'chord' ? '40' : node.config.kind === 'pastry' ? '32' : '2 to 128'
      throw new ApiError(
        400,
        'invalid',
        `a ${node.config.kind} id is ${width} hex digits, got '${id}'`,
      )
    }
    return answer(node.lookup(bytes))
  })
}
