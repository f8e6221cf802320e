# syntax=docker/dockerfile:1
# The cx-anomaly ingest/demo server: `docker build -t cx-anomaly . && docker run -p 8000:8000 -v cx-data:/data cx-anomaly`
# Multi-stage: build (full dev install + `npm run build`), deps (production dependencies
# only, native better-sqlite3 compiled here), runtime (slim image, non-root user).

ARG NODE_VERSION=20.20.2

# ---- build: everything, then the bundles (server, engine, widget) ----
FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /app
# Manifests first, so the dependency layer is cached across source edits.
COPY package.json package-lock.json ./
COPY packages/engine/package.json packages/engine/
COPY packages/widget/package.json packages/widget/
COPY packages/demo-server/package.json packages/demo-server/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# ---- deps: production dependencies of the server only ----
FROM node:${NODE_VERSION}-bookworm AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/engine/package.json packages/engine/
COPY packages/widget/package.json packages/widget/
COPY packages/demo-server/package.json packages/demo-server/
# better-sqlite3 has no prebuilt binary download here: node-gyp compiles it (python3, make, g++ are in this image).
RUN npm ci --omit=dev --workspace @cx-anomaly/demo-server --include-workspace-root=false --no-audit --no-fund
# The server bundle inlines the engine and imports no @tensorflow package (checked below),
# so the engine's tfjs dependencies (~300 MB) are left out of the image.
COPY --from=build /app/packages/demo-server/dist/main.js /tmp/main.js
RUN if grep -q "@tensorflow/" /tmp/main.js; then echo "the server bundle imports @tensorflow: keep it" >&2; exit 1; fi \
 && rm -rf node_modules/@tensorflow node_modules/@cx-anomaly /tmp/main.js

# ---- runtime ----
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    CX_STORE=/data/cx.sqlite
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/package.json ./
COPY --from=build /app/packages/demo-server/package.json packages/demo-server/
COPY --from=build /app/packages/demo-server/dist packages/demo-server/dist
COPY --from=build /app/packages/widget/dist packages/widget/dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "packages/demo-server/dist/main.js"]
