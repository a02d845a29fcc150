package skranke

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

// PIN digest parameters, shared by desk and shop: PBKDF2-SHA256 over the PIN
// with the hex-decoded salt.
const (
	PINIterations = 10_000 // PBKDF2 rounds.
	PINKeyLen     = 32     // Digest length in bytes.
)

// HashPIN returns the hex PBKDF2-SHA256 digest of pin with the hex salt, as
// the shop stores it in Staff.PINHash.
func HashPIN(pin, saltHex string) (string, error) {
	const op = "skranke.HashPIN"
	salt, err := hex.DecodeString(saltHex)
	if err != nil {
		return "", E(op, Invalid, "salt is not hex")
	}
	key, err := pbkdf2.Key(sha256.New, pin, salt, PINIterations, PINKeyLen)
	if err != nil {
		return "", E(op, Internal, err)
	}
	return hex.EncodeToString(key), nil
}

// CheckPIN reports whether pin matches the staff member's PIN digest. An
// empty PIN or a staff member without a digest never matches.
func CheckPIN(s Staff, pin string) bool {
	if s.PINHash == "" || pin == "" {
		return false
	}
	h, err := HashPIN(pin, s.PINSalt)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(h), []byte(strings.ToLower(s.PINHash))) == 1
}
