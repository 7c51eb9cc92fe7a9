# syntax=docker/dockerfile:1
# beamcast: build the bundles in one stage, run them with production dependencies only.

# Production dependencies (uWebSockets.js and sharp ship prebuilt binaries for this glibc image).
FROM node:20-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .puppeteerrc.cjs ./
RUN npm ci --omit=dev --no-audit --no-fund

# Build: type-free esbuild bundles of the server, the CLI and the pages into dist/.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json .puppeteerrc.cjs ./
RUN npm ci --no-audit --no-fund
# .dockerignore keeps this to the sources: scripts/, src/, web/ and the package files.
COPY . .
RUN node scripts/build.mjs

FROM node:20-slim
ENV NODE_ENV=production \
    PORT=8080 \
    WS_PORT=8081 \
    HOST=0.0.0.0 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The generated stream secret lives in /data (a volume), owned by the unprivileged user.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080 8081
# Liveness only (/healthz): readiness (/readyz) turns 503 while draining on purpose.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node is PID 1 and handles SIGTERM itself: drain, close sockets with 4000, exit.
CMD ["node", "dist/server/main.js"]
