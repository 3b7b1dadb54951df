# syntax=docker/dockerfile:1.7
#
# The TicketBlitz server: a static binary on a distroless base.
#
#   docker build --build-arg VERSION=$(git describe --always --dirty) -t ticketblitz .
#   docker run --rm -p 8080:8080 ticketblitz            # needs PostgreSQL and Redis, see deploy/README.md
#
# The runtime image has no shell, so it declares no HEALTHCHECK of its own. The binary can
# check itself: `/ticketblitz cluster status --url http://127.0.0.1:8080` exits non-zero
# unless the node answers its cluster API, which it serves only after it has joined the
# cluster. docker-compose.yml uses exactly that as the nodes' healthcheck.

FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/ticketblitz ./cmd/ticketblitz

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ticketblitz /ticketblitz
USER nonroot:nonroot
# 8080: HTTP, websockets, web page and /metrics. 7946: memberlist gossip (TCP and UDP).
# 7947: actor remoting (gRPC), the port docker-compose.yml fixes with TICKETBLITZ_REMOTE_ADDR.
EXPOSE 8080/tcp 7946/tcp 7946/udp 7947/tcp
ENTRYPOINT ["/ticketblitz"]
CMD ["serve"]
