package shop

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// The PIN digest parameters, shared with the desk (sync.HashPIN) through the
// API contract: PBKDF2-SHA256 over the PIN with the hex-decoded salt.
const (
	PINIterations = 10_000
	PINKeyLen     = 32
)

// HashPIN returns the hex PBKDF2-SHA256 digest of pin with the hex salt.
func HashPIN(pin, saltHex string) (string, error) {
	salt, err := hex.DecodeString(saltHex)
	if err != nil {
		return "", fmt.Errorf("hash PIN: salt is not hex: %w", err)
	}
	key, err := pbkdf2.Key(sha256.New, pin, salt, PINIterations, PINKeyLen)
	if err != nil {
		return "", fmt.Errorf("hash PIN: %w", err)
	}
	return hex.EncodeToString(key), nil
}
