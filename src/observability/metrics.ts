import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The gateway's Prometheus metrics, one registry per server (tests run several in one process). */
export function createMetrics(pool: () => { total: number; idle: number; waiting: number } | null) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labels = ['operation', 'type', 'outcome'] as const;
  const metrics = {
    registry,
    requests: new Counter({
      name: 'gateway_graphql_requests_total',
      help: 'GraphQL requests by root field',
      labelNames: labels,
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'gateway_graphql_request_duration_seconds',
      help: 'GraphQL request latency by root field',
      labelNames: ['operation', 'type'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    denials: new Counter({
      name: 'gateway_authorization_denials_total',
      help: 'Authorization denials by ability (or "authentication")',
      labelNames: ['ability', 'denial'] as const,
      registers: [registry],
    }),
    reads: new Counter({
      name: 'gateway_database_reads_total',
      help: 'Requests by the server they read from (primary or replica) and why (src/consistency/read-routing.ts)',
      labelNames: ['reader', 'reason'] as const,
      registers: [registry],
    }),
  };
  new Gauge({
    name: 'gateway_database_pool_connections',
    help: 'PostgreSQL pool connections by state (absent on the embedded database)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const stats = pool();
      if (!stats) return;
      this.set({ state: 'total' }, stats.total);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'waiting' }, stats.waiting);
    },
  });
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
