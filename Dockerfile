# The bolna-campaign image: a static binary on a minimal base, with CA certificates (Bolna is
# HTTPS) and a shell (the Kubernetes sample's command keeps exit 3 as success), run as a user
# that is not root.
#
#   docker build -t bolna-campaign .
#   docker run --rm -e BOLNA_API_KEY -v "$PWD:/data" bolna-campaign run --agent-id ID /data/contacts.csv
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/bolna-campaign ./cmd/bolna-campaign

FROM alpine:3.21
RUN apk add --no-cache ca-certificates tzdata && adduser -D -H -u 10001 campaign
COPY --from=build /out/bolna-campaign /usr/local/bin/bolna-campaign
USER 10001:10001
ENTRYPOINT ["/usr/local/bin/bolna-campaign"]
