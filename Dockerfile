# Builds the single `harness` executable and runs it on a slim base. The binary embeds its SQL migrations,
# dashboard assets and the rate-limiter sources, and runs the rate limiter through itself (BUN_BE_BUN=1).
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM debian:bookworm-slim
# git: the service workspace is a git repository, so every change the agent makes is a commit.
# bubblewrap: the sandbox for the service's tests and deploy checks (docs/security.md). Inside a container it
# needs user namespaces (e.g. `docker run --security-opt seccomp=unconfined --security-opt apparmor=unconfined`);
# without them Harness says so at start-up and runs checks with environment and limits only, or refuses to
# start with `sandbox: { mode: required }`.
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates bubblewrap \
  && rm -rf /var/lib/apt/lists/* \
  && useradd --create-home --uid 10001 harness
COPY --from=build /src/dist/harness /usr/local/bin/harness
USER harness
WORKDIR /home/harness
ENV HARNESS_DATA_DIR=/home/harness/data
VOLUME ["/home/harness/data"]
EXPOSE 7070
# Inside a container the dashboard must listen beyond loopback; set HARNESS_TOKEN for mutating calls.
ENTRYPOINT ["/usr/local/bin/harness"]
CMD ["up", "--host", "0.0.0.0"]
