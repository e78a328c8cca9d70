# syntax=docker/dockerfile:1
# carrier-aaa container image: build with the dev toolchain, run with production deps only.
#
#   docker build -t carrier-aaa .
#   docker run --rm -p 1812:1812/udp -e AAA_HTTP_TOKEN=... \
#     -v "$PWD/config/compose.yaml:/etc/carrier-aaa/config.yaml:ro" carrier-aaa
#
# Static checks of this file live in test/deploy/static.test.ts.

############################ build ############################
FROM node:20-bookworm-slim AS build
WORKDIR /app

# A C compiler for the native UDP addon (src/transport/native/udp-mmsg.c); the build fails
# rather than silently falling back to node:dgram.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
ENV CARRIER_AAA_REQUIRE_NATIVE=1

# Dependencies first (cached while package*.json are unchanged). --ignore-scripts: the
# package's `prepare` script runs the build, which cannot work before the sources are copied;
# no dependency needed by `tsc` has an install script.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
COPY config ./config
# `npm run build` = tsc -p tsconfig.build.json -> /app/dist, then the addon ->
# /app/dist/transport/native/udp-mmsg.node (same Debian release as the runtime stage: same glibc)
RUN npm run build

########################## loadtest ###########################
# The load generators for the compose `loadtest` profile (docker compose --profile loadtest):
# the build stage's full dependencies (tsx, autocannon) plus load-tests/. Not the default target.
FROM build AS loadtest
COPY load-tests ./load-tests
USER node
ENTRYPOINT ["npx", "tsx"]
CMD ["load-tests/stack-load.ts"]

########################### runtime ###########################
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app

# Production dependencies only. --ignore-scripts is required: `prepare` would run tsc,
# which is a dev dependency and is not installed here.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# Application files from the build stage (owned by root, read-only for the service user).
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/config ./config

USER node

# 1812/udp RADIUS authentication, 1813/udp RADIUS accounting, 9812/tcp HTTP (metrics, /healthz).
EXPOSE 1812/udp 1813/udp 9812/tcp

# Health: GET /healthz on the HTTP side (needs `http:` in the config, port 9812 as in
# config/compose.yaml). compose.yaml repeats this command: change both together.
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9812/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["node", "bin/carrier-aaa.js"]
CMD ["serve", "--config", "/etc/carrier-aaa/config.yaml"]
