# Hutong's image: every service (the gateway and each subgraph) runs from it with its own command
# (see docker-compose.yml). Built in two stages: the build stage compiles TypeScript; the image
# holds the compiled JavaScript and production packages only, and runs as an unprivileged user.
FROM node:20.19-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY gateway gateway
COPY subgraphs subgraphs
COPY scripts scripts
COPY schema schema
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20.19-bookworm-slim
ENV NODE_ENV=production
# Recognition sets annotated copies (加注件) in Noto Sans CJK (HUTONG_COPY_FONT_FILE).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
# The image's own `node` user: nothing runs as root, and the code is not writable by it.
USER node
ENV HUTONG_SUPERGRAPH_PATH=dist/schema/supergraph.graphql
EXPOSE 4000
# Node's flags for the gateway: gateway/src/node-flags.ts (a test keeps the two the same).
CMD ["node", "--max-semi-space-size=32", "dist/gateway/src/main.js"]
