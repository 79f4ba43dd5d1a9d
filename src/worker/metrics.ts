/**
 * What a worker tells Prometheus (`/metrics`): jobs by queue and state, step durations, step
 * failures, and the age of the last successful run, which is what an alert on a nightly schedule
 * wants ("no successful run for 26 hours").
 */
import type { Queue } from 'bullmq';
import type { Kysely } from 'kysely';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { lastSucceededAt, type Database } from '../db/index.js';

const STATES = ['waiting', 'active', 'delayed', 'waiting-children', 'completed', 'failed', 'prioritized'] as const;

export interface WorkerMetrics {
  registry: Registry;
  stepDuration: Histogram<'step'>;
  stepFailures: Counter<'step' | 'permanent'>;
}

export function createMetrics(queues: readonly Queue[], db: Kysely<Database>): WorkerMetrics {
  const registry = new Registry();
  new Gauge({
    name: 'attain_jobs',
    help: 'Jobs in the queue by state',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      for (const queue of queues) {
        const counts = await queue.getJobCounts(...STATES);
        for (const state of STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
      }
    },
  });
  new Gauge({
    name: 'attain_last_successful_run_age_seconds',
    help: 'Seconds since the last run that succeeded finished (absent before the first one)',
    registers: [registry],
    async collect() {
      const at = await lastSucceededAt(db);
      this.reset();
      if (at) this.set((Date.now() - at.getTime()) / 1000);
    },
  });
  const stepDuration = new Histogram({
    name: 'attain_step_duration_seconds',
    help: 'Duration of pipeline steps that completed, by step',
    labelNames: ['step'],
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
    registers: [registry],
  });
  const stepFailures = new Counter({
    name: 'attain_step_failures_total',
    help: 'Failed attempts of pipeline steps, by step and whether the failure was permanent',
    labelNames: ['step', 'permanent'],
    registers: [registry],
  });
  return { registry, stepDuration, stepFailures };
}
