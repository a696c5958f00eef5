# syntax=docker/dockerfile:1
# Build: a static binary (pure Go: the embedded SQLite store needs no cgo).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/crm ./cmd/crm && mkdir -p /out/data

# Run: nothing but the binary, as an unprivileged user.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/crm /usr/local/bin/crm
# The data directory must belong to the user that writes it.
COPY --from=build --chown=65532:65532 /out/data /data
ENV CRM_ADDR=0.0.0.0:8080 CRM_DATA=/data
VOLUME /data
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/crm"]
CMD ["serve"]
