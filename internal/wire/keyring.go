package wire

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
)

// Keyring holds AES-256-GCM keys: the first (primary) encrypts, every key
// decrypts, so a cluster can rotate keys without downtime (install the new
// key everywhere, make it primary, remove the old one). A Keyring is
// immutable; build a new one to change keys.
type Keyring struct {
	aeads []cipher.AEAD
}

// SealOverhead is what Seal adds to a plaintext: nonce and tag.
const SealOverhead = nonceSize + tagSize

const (
	nonceSize = 12
	tagSize   = 16
)

// ErrNoKey means no key of the ring opened a sealed message.
var ErrNoKey = errors.New("no key in the keyring opens it")

// NewKeyring checks every key (KeySize bytes each) and returns the ring. An empty
// list gives a nil ring, which means "no encryption".
func NewKeyring(keys [][]byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	if err := CheckKeys(keys); err != nil {
		return nil, err
	}
	kr := &Keyring{}
	for i, k := range keys {
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i, err)
		}
		g, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i, err)
		}
		kr.aeads = append(kr.aeads, g)
	}
	return kr, nil
}

// Seal appends nonce||ciphertext||tag of plaintext to dst with the primary
// key; aad is authenticated but not encrypted. Nonces are read from rand,
// which must never repeat a nonce under one key (crypto/rand in production,
// a seeded source in the simulator).
func (k *Keyring) Seal(dst, plaintext, aad []byte, rand io.Reader) ([]byte, error) {
	start := len(dst)
	dst = append(dst, make([]byte, nonceSize)...)
	nonce := dst[start : start+nonceSize]
	if _, err := io.ReadFull(rand, nonce); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	return k.aeads[0].Seal(dst, nonce, plaintext, aad), nil
}

// Open authenticates and decrypts sealed (as made by Seal) with each key in
// turn, appending the plaintext to dst.
func (k *Keyring) Open(dst, sealed, aad []byte) ([]byte, error) {
	if len(sealed) < SealOverhead {
		return nil, errors.New("sealed message too short")
	}
	nonce, ct := sealed[:nonceSize], sealed[nonceSize:]
	for _, g := range k.aeads {
		if out, err := g.Open(dst, nonce, ct, aad); err == nil {
			return out, nil
		}
	}
	return nil, ErrNoKey
}
