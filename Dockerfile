# syntax=docker/dockerfile:1
# meshd as a container: the static binary FROM scratch, nothing else.
#   docker build -t meshd --build-arg VERSION=$(git describe --always) .
#   docker run --rm --network host meshd agent --join 10.0.0.1:7946
# In Kubernetes, pass the pod IP: MESHD_ADVERTISE=$(POD_IP):7946 (see
# deploy/kubernetes/). Ports: 7946/udp gossip, 7947/tcp HTTP API.

ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# CGO off: a static binary that runs without a libc.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/meshd ./cmd/meshd
# scratch has no mkdir: prepare the state directory for the snapshot here.
RUN mkdir -p /out/state && chown 65532:65532 /out/state

FROM scratch
COPY --from=build /out/meshd /meshd
# CA roots for strategies that speak HTTPS (Rancher behind TLS, an API server
# without a mounted CA).
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build --chown=65532:65532 /out/state /var/lib/meshd
# Not root; no capability is needed (ports above 1024).
USER 65532:65532
# Gossip on every address. The HTTP API stays on its default, 127.0.0.1:7947:
# its POST endpoints make the agent join or leave, so it is not served to the
# network unless asked. Probes run inside the container ("/meshd health",
# below and in deploy/kubernetes/statefulset.yaml), where loopback is
# reachable. To serve the API beyond it (for a scraper), set
# MESHD_HTTP=0.0.0.0:7947 and MESHD_HTTP_TOKEN_FILE (a mounted secret): the
# agent refuses to start without a token there.
ENV MESHD_BIND=0.0.0.0:7946 \
    MESHD_LOG_FORMAT=json \
    MESHD_SNAPSHOT=/var/lib/meshd/snapshot.json
# 7947/tcp is only reached when MESHD_HTTP serves beyond loopback.
EXPOSE 7946/udp 7947/tcp
VOLUME ["/var/lib/meshd"]
HEALTHCHECK --interval=10s --timeout=5s --retries=3 CMD ["/meshd", "health", "--quiet"]
ENTRYPOINT ["/meshd"]
CMD ["agent"]
