# syntax=docker/dockerfile:1
# Tessera (API + web app) in one image: `docker build -t tessera .`, or `docker compose up`.
ARG NODE_VERSION=20

# --- build: every dependency, compile, then keep the server's production dependencies only
FROM node:${NODE_VERSION}-bookworm-slim AS build
ENV CI=true TURBO_TELEMETRY_DISABLED=1
RUN npm install --global pnpm@12.4.2
WORKDIR /src
# The lockfile alone decides the download layer: it is reused until a dependency changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch
COPY . .
RUN pnpm install --frozen-lockfile --offline \
 && pnpm build \
 && pnpm --filter @tessera/server deploy --prod /app \
 && cp -r apps/web/dist /app/web

# --- run: Node, the compiled server, its production dependencies and the web build
FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data \
    WEB_DIST=/app/web
WORKDIR /app
# Owned by root, run as `node`: the process cannot rewrite its own code.
COPY --from=build /app /app
RUN printf '#!/bin/sh\nexec node /app/dist/cli.js "$@"\n' > /usr/local/bin/tessera \
 && chmod 755 /usr/local/bin/tessera \
 && mkdir /data && chown node:node /data
USER node
# The generated signing key and, without DATABASE_URL, the embedded database.
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
