// Package wire is the engine's packet format: a short header (magic, version,
// flags, cluster tag), compound bodies of msgpack/v5 array-encoded messages no
// larger than the packet size, and an optional AES-256-GCM envelope keyed by
// a Keyring with the cluster name as authenticated data. Every decoder bounds
// lengths against the bytes actually left before allocating.
package wire
