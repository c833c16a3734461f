# Pier: one image, two roles. `node dist/main.js service` (the default) or `node dist/main.js worker`.
# Every stage is the Node version `npm start` and the tests run on (.nvmrc; test/runtime.test.ts checks they agree).
# Pinned by exact version tag, not yet by digest: the machines Pier is built on cannot reach Docker Hub to read the
# current digest. Before a production build, pin it: `docker buildx imagetools inspect node:24.22.3-bookworm-slim`
# prints the index digest; write it as `node:24.22.3-bookworm-slim@sha256:<digest>` (the tests accept that form).

# --- build: compile src/ into dist/ with esbuild (dependencies stay in node_modules) -----------------------------
FROM node:24.22.3-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
# The SQL migrations are read from beside the bundle (src/db/migrate.ts: dist/migrations).
RUN npx esbuild src/main.ts --bundle --platform=node --format=esm --target=node24 --packages=external --sourcemap --outfile=dist/main.js \
 && cp -r src/db/migrations dist/migrations

# --- deps: production dependencies only ---------------------------------------------------------------------------
# Not the optional ones either: they are the project's own Node (node-linux-*, for npm scripts on a machine with an
# older Node; the image has its Node) and pg-cloudflare (Cloudflare Workers only).
FROM node:24.22.3-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force

# --- runtime ------------------------------------------------------------------------------------------------------
FROM node:24.22.3-bookworm-slim
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    PIER_ENV=prod \
    SERVICE_HOST=0.0.0.0 \
    SERVICE_PORT=8080
WORKDIR /app
# Owned by root and read-only to the app: the process cannot rewrite its own code or dependencies.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The official image's unprivileged user (uid 1000).
USER node
EXPOSE 8080
# No curl in slim images: Node's fetch. The worker serves no HTTP; its task definition sets no container health check.
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.SERVICE_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js", "service"]
