# Multi-stage: build with the dev dependencies, run with production ones only, as a non-root user.
# The workspace is mounted at /workspace; the embedded database goes to /workspace/.attain.
# By default the container is a queue worker (attain worker: REDIS_URL and DATABASE_URL set, see
# docker-compose.yml); any other command runs instead, e.g. `docker run … attain run`.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY connectors ./connectors
COPY jobs ./jobs
COPY config ./config
# The build compiles the bench and demo generator too (and the local CRM servers the bench imports).
COPY test ./test
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY examples ./examples
RUN useradd --system --uid 10001 --home-dir /workspace attain && mkdir -p /workspace && chown attain /workspace
USER attain
WORKDIR /workspace
# /healthz and /metrics of `attain worker`: on every interface of the container (outside, it is
# reachable only where a port is published; docker-compose.yml publishes it on 127.0.0.1).
ENV ATTAIN_METRICS_HOST=0.0.0.0
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/attain.js"]
CMD ["worker"]
