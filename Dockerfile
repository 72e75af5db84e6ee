# priscan container image.
#
#   docker build -t priscan .
#   docker run -d --name priscan --network host -v priscan-data:/var/lib/priscan --stop-timeout 15 priscan
#
# --network host is the simple way: devices must be able to reach the address
# priscan writes into them, and notifications must arrive with the devices'
# own source addresses (see config/priscan.docker.yaml for bridged networking).
# --stop-timeout 15: the daemon's shutdown deadline is 10 s; Docker's default
# stop timeout of 10 s would SIGKILL it at the deadline.
# Port 162 as a non-root user: Docker (20.10 and later) lets any user of a
# container bind ports below 1024; other runtimes need
# --sysctl net.ipv4.ip_unprivileged_port_start=0.

# --- build: compile TypeScript and the better-sqlite3 native module ---
FROM node:20-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY package.json package-lock.json ./
# --ignore-scripts: the "prepare" script would compile before the sources are
# here; better-sqlite3's install script (prebuilt binary or node-gyp) runs next.
RUN npm ci --ignore-scripts \
 && npm rebuild better-sqlite3
COPY tsconfig.json ./
COPY src ./src
COPY simulators ./simulators
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts

# --- runtime ---
FROM node:20-bookworm-slim
ENV NODE_ENV=production
# A fixed numeric id, so Kubernetes' runAsNonRoot can check it and volume
# ownership is predictable.
RUN groupadd --system --gid 10001 priscan \
 && useradd --system --uid 10001 --gid priscan --home-dir /var/lib/priscan --shell /usr/sbin/nologin priscan \
 && install -d -o priscan -g priscan -m 0750 /var/lib/priscan
WORKDIR /opt/priscan
COPY --from=build /build/package.json ./package.json
COPY --from=build /build/node_modules ./node_modules
COPY --from=build /build/dist/src ./dist/src
COPY --from=build /build/dist/simulators ./dist/simulators
COPY mibs ./mibs
COPY profiles ./profiles
COPY config ./config
# The built-in defaults listen on 127.0.0.1 for HTTP; this config listens on 0.0.0.0.
COPY config/priscan.docker.yaml /etc/priscan/priscan.yaml
USER 10001:10001
VOLUME /var/lib/priscan
EXPOSE 162/udp 8470/tcp
# The slim image has no curl: ask node itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8470/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
# The package's "priscan" bin.
ENTRYPOINT ["node", "--openssl-legacy-provider", "/opt/priscan/dist/src/cli/priscan.js"]
CMD ["serve", "--config", "/etc/priscan/priscan.yaml"]
