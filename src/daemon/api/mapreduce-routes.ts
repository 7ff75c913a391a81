import type { FastifyInstance } from 'fastify'
import {
  JobRefused,
  type JobRecord,
  type MapReduceJobs,
  type StreamingJobRequest,
} from '../mapreduce-jobs.js'
import { ApiError } from './api-error.js'
import {
  cancelJobSchema,
  getJobSchema,
  listJobsSchema,
  mapreduceSchemas,
  mapreduceStatusSchema,
  submitJobSchema,
} from './mapreduce-schemas.js'
import { API_PREFIX, type ApiOptions } from './options.js'

/** A job as the API shows it: the request, then the master's progress once it ran. */
export const jobJson = (job: JobRecord) => {
  const p = job.progress
  const share =
    p === undefined
      ? 0
      : ((p.maps.total === 0 ? 1 : p.maps.committed / p.maps.total) +
          p.reduces.committed / Math.max(1, p.reduces.total)) /
        2
  return {
    id: job.id,
    state: job.state,
    mapper: job.request.mapper,
    reducer: job.request.reducer,
    ...(job.request.combiner === undefined ? {} : { combiner: job.request.combiner }),
    inputs: job.request.inputs,
    output: job.output,
    reduces: p?.reduces.total ?? job.request.reduces ?? 0,
    submittedAt: job.submittedAt,
    ...(p === undefined
      ? {}
      : {
          maps: p.maps,
          reducesProgress: p.reduces,
          percent: Math.round(1000 * share) / 10,
          attemptsStarted: p.attemptsStarted,
          attemptsFailed: p.attemptsFailed,
          attemptsKilled: p.attemptsKilled,
          workers: p.workers,
          counters: p.counters,
          elapsedMs: Math.round(p.elapsedMs),
          ...(p.etaMs === undefined ? {} : { etaMs: p.etaMs }),
        }),
    ...(job.error === undefined ? {} : { error: job.error }),
  }
}

const STATUS_OF: Readonly<Record<JobRefused['code'], number>> = {
  not_found: 404,
  exists: 422,
  invalid: 422,
  finished: 422,
}

const refusal = (error: unknown): never => {
  if (error instanceof JobRefused)
    throw new ApiError(STATUS_OF[error.code], error.code, error.message)
  throw error
}

/** /api/v1/mapreduce: Streaming jobs the daemon runs when `[mapreduce] enabled = true`. */
export function registerMapReduceRoutes(app: FastifyInstance, api: ApiOptions): void {
  for (const schema of mapreduceSchemas) app.addSchema(schema)
  const base = `${API_PREFIX}/mapreduce`
  const jobs = (): MapReduceJobs => {
    if (api.mapreduce === undefined)
      throw new ApiError(409, 'disabled', 'mapreduce is not enabled ([mapreduce] enabled = true)')
    return api.mapreduce
  }
  const job = (id: string): JobRecord => {
    const found = jobs().get(id)
    if (found === undefined) throw new ApiError(404, 'not_found', `no job ${id}`)
    return found
  }

  app.get(base, { schema: mapreduceStatusSchema }, () => {
    const worker = api.mapreduceWorker?.status()
    if (api.mapreduce === undefined) return { enabled: false, ...(worker ? { worker } : {}) }
    const status = api.mapreduce.status()
    return {
      enabled: true,
      workers: Number(status['workers']),
      queued: Number(status['queued']),
      jobs: api.mapreduce.list().length,
      ...(worker === undefined ? {} : { worker }),
    }
  })

  app.post(`${base}/jobs`, { schema: submitJobSchema }, (request, reply) => {
    try {
      const record = jobs().submit(request.body as StreamingJobRequest)
      return reply.status(201).send(jobJson(record))
    } catch (error) {
      return refusal(error)
    }
  })

  app.get(`${base}/jobs`, { schema: listJobsSchema }, () => ({
    jobs: jobs().list().map(jobJson),
  }))

  app.get(`${base}/jobs/:id`, { schema: getJobSchema }, (request) =>
    jobJson(job((request.params as { id: string }).id)),
  )

  app.delete(`${base}/jobs/:id`, { schema: cancelJobSchema }, (request) => {
    try {
      return jobJson(jobs().cancel((request.params as { id: string }).id))
    } catch (error) {
      return refusal(error)
    }
  })
}
