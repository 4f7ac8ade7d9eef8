# syntax=docker/dockerfile:1
# Build stage: compiles TypeScript. better-sqlite3 ships prebuilt Node-API binaries for
# linux x64/arm64 (glibc and musl), so no compiler is needed.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY src ./src
COPY db ./db
RUN npm run build && npm prune --omit=dev

# Runtime stage: no compiler, no dev dependencies, not root.
FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json openapi.yaml ./
COPY db/migrations ./db/migrations
COPY templates ./templates
RUN mkdir -p /app/data && chown node:node /app/data
USER node
ENV HOST=0.0.0.0 PORT=3000 DATABASE_URL=file:/app/data/mailcode.db
EXPOSE 3000
VOLUME ["/app/data"]
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD node -e "fetch('http://127.0.0.1:3000/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# A capped heap: V8 otherwise lets garbage pile up to several hundred MB under load.
CMD ["node", "--max-old-space-size=128", "--max-semi-space-size=16", "dist/src/cli/main.js", "serve"]
