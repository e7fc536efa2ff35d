# Cleave's container image: one image for every role; CLEAVE_SERVICES picks the contexts a container hosts.
# See docs/deploying.md.
#
# Both bases must run the same Node major on the same Debian release: better-sqlite3 is compiled in the first
# against its Node headers and glibc, and only loaded in the second. The build base carries python3, make and
# g++ (node:24-bookworm has them); the runtime base needs none of them, so the shipped image stays slim.
ARG BUILD_IMAGE=node:24-bookworm
ARG RUNTIME_IMAGE=node:24-bookworm-slim

FROM ${BUILD_IMAGE} AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# No dependency's install script runs except better-sqlite3's build, compiled here against this node's own
# headers (--nodedir) rather than fetched prebuilt from GitHub: only the npm registry has to be reachable, and
# the binary is built for this Node's ABI.
RUN npm ci --ignore-scripts --no-audit --no-fund --no-update-notifier \
 && cd node_modules/better-sqlite3 \
 && npm run build-release -- --nodedir=/usr/local

FROM dependencies AS build
COPY .swcrc ./
COPY apps apps
COPY libs libs
# Only what runs: apps and libs, without their unit tests (not test/ or bench/).
RUN npx swc apps libs -d dist --quiet --ignore '**/*.spec.ts' \
 && test -f dist/apps/cleave/src/main.js

FROM dependencies AS production-dependencies
# --omit=optional too: typescript is a dev dependency and also an optional peer of @nestjs/swagger, which
# --omit=dev alone keeps. better-sqlite3 keeps its binary only, not the sources and objects it was built from.
RUN npm prune --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund --no-update-notifier \
 && cd node_modules/better-sqlite3 \
 && rm -rf deps src build/Release/obj build/Release/obj.target build/Release/*.a build/Release/test_extension.node \
 && test -f build/Release/better_sqlite3.node

FROM ${RUNTIME_IMAGE}
ARG RUNTIME_IMAGE
# For the labels: package.json's version, the commit and the build time (docs/deploying.md shows how).
ARG VERSION=
ARG REVISION=
ARG CREATED=
LABEL org.opencontainers.image.title="cleave" \
      org.opencontainers.image.description="A card-issuing bank backend: a NestJS modular monolith that splits into NATS services by configuration" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="${RUNTIME_IMAGE}"

# A user of its own with a fixed numeric id, so Kubernetes' runAsNonRoot can check it and volumes can be
# chowned to it. It owns the SQLite directory and nothing else: the code stays root's, read-only to it.
# --no-log-init: a high uid would otherwise make a sparse lastlog file that bloats layers when copied.
RUN groupadd --gid 10001 cleave \
 && useradd --uid 10001 --gid 10001 --no-log-init --no-create-home --home-dir /app --shell /usr/sbin/nologin cleave \
 && mkdir -p /app/data \
 && chown 10001:10001 /app/data
WORKDIR /app
COPY --from=production-dependencies /app/node_modules node_modules
COPY --from=build /app/dist dist
# The version the app reports (cleave_info, traces) is read from package.json.
COPY package.json ./

# Listen on every interface: the defaults (127.0.0.1) are unreachable from outside a container.
# NODE_OPTIONS: V8's young generation capped as on Node 20 (Node 24 sizes it from the host's memory, ~80 MiB
# more resident per process for no measured gain); set NODE_OPTIONS to choose otherwise.
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=16 \
    HOST=0.0.0.0 \
    PORT=3000 \
    CLEAVE_MANAGEMENT_HOST=0.0.0.0 \
    CLEAVE_MANAGEMENT_PORT=9464 \
    CLEAVE_DATA_DIR=/app/data
EXPOSE 3000 9464
USER 10001:10001

# Readiness on the management port (the image has no curl): healthy once migrated and connected, unhealthy
# while draining. Kubernetes ignores HEALTHCHECK: probe /healthz for liveness and /readyz for readiness.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.CLEAVE_MANAGEMENT_PORT||9464)+'/readyz',{signal:AbortSignal.timeout(2500)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# Exec form: node is PID 1 and gets SIGTERM itself (no shell in between), drains and exits 0. Arguments
# replace the script, e.g. `dist/apps/cleave/src/cli/migrate.js`.
ENTRYPOINT ["node"]
CMD ["dist/apps/cleave/src/main.js"]
