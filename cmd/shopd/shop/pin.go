package shop

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode"

	"github.com/skranke/skranke"
	"golang.org/x/crypto/argon2"
)

// The parameters of new PIN verifiers: argon2id, memory-hard, so that a
// stolen copy of the shop's database gives up a PIN no faster than a
// graphics card can fill 48 MiB three times per guess. The shop never sends verifiers to
// desks; a desk checks a PIN by asking the shop (POST /staff/sessions).
const (
	pinTime    = 3
	pinMemory  = 48 << 10 // KiB.
	pinThreads = 1
	pinKeyLen  = 32
	pinSaltLen = 16
)

// Minimum PIN lengths: a manager or an accountant can credit money or read
// signatures, so their PINs have a million combinations.
const (
	MinStaffPINLen   = 4
	MinManagerPINLen = 6
)

// CheckPINPolicy reports whether pin is acceptable for a staff member of
// the given role: digits only, at least MinStaffPINLen long, or
// MinManagerPINLen for managers and accountants.
func CheckPINPolicy(role skranke.Role, pin string) error {
	const op = "shop.CheckPINPolicy"
	want := MinStaffPINLen
	if role == skranke.RoleManager || role == skranke.RoleAccountant {
		want = MinManagerPINLen
	}
	if strings.IndexFunc(pin, func(r rune) bool { return !unicode.IsDigit(r) || r > unicode.MaxASCII }) >= 0 {
		return skranke.E(op, skranke.Invalid, "a PIN is digits only")
	}
	if len(pin) < want {
		return skranke.E(op, skranke.Invalid, fmt.Sprintf("a %s's PIN needs at least %d digits", role, want))
	}
	if len(pin) > 32 {
		return skranke.E(op, skranke.Invalid, "a PIN has at most 32 digits")
	}
	return nil
}

// NewPINVerifier checks pin against the policy for role and returns its
// verifier in PHC form ($argon2id$v=19$m=…,t=…,p=…$salt$hash), as the shop
// stores it in StaffAuth.Verifier.
func NewPINVerifier(role skranke.Role, pin string) (string, error) {
	if err := CheckPINPolicy(role, pin); err != nil {
		return "", err
	}
	salt := make([]byte, pinSaltLen)
	rand.Read(salt)
	return encodeVerifier(pin, salt, pinTime, pinMemory, pinThreads), nil
}

func encodeVerifier(pin string, salt []byte, t, m uint32, p uint8) string {
	key := argon2.IDKey([]byte(pin), salt, t, m, p, pinKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, m, t, p, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// VerifyPIN reports whether pin matches verifier. A malformed verifier or
// an empty PIN never matches.
func VerifyPIN(verifier, pin string) bool {
	parts := strings.Split(verifier, "$")
	if pin == "" || len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var v int
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || m > 1<<20 || t == 0 || t > 20 || p == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(pin), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
