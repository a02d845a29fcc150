package shop

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/skranke/skranke"
)

// A value over one of PostgreSQL's limits (SQLSTATE 54000, here a
// tsvector over 1 MB) is what the client sent being too large: a 400 the
// client can act on, in English, not a 500 with an incident for the
// operators. The buyer's limits keep purchases below PostgreSQL's, so this
// is checked on the error itself.
func TestPostgresLimitExceededIsABadRequest(t *testing.T) {
	pgErr := &pgconn.PgError{Code: "54000", Message: "string is too long for tsvector (2103342 bytes, max 1048575 bytes)"}
	failed := skranke.E("shop.Postgres.Update", skranke.Internal,
		skranke.E("shop.pgTx.flush", skranke.Internal, fmt.Errorf("shop.pgTx.PutPurchase, commit: %w", pgErr)))
	err := pgLimitExceeded(failed)
	if skranke.KindOf(err) != skranke.Invalid {
		t.Fatalf("kind %v of %v; want Invalid", skranke.KindOf(err), err)
	}
	if !errors.Is(err, pgErr) {
		t.Errorf("%v no longer holds PostgreSQL's error", err)
	}
	rec := httptest.NewRecorder()
	writeError(rec, err)
	var body struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusBadRequest || body.Error.Code != "invalid" || strings.Contains(body.Error.Message, "shop.") ||
		strings.Contains(body.Error.Message, "tsvector") {
		t.Errorf("answered %d %s; want 400 invalid with a message for the client", rec.Code, rec.Body)
	}
	// Other failures of the database stay internal.
	other := skranke.E("shop.Postgres.Update", skranke.Internal, &pgconn.PgError{Code: "53100"})
	if got := pgLimitExceeded(other); got != other {
		t.Errorf("disk full (53100) became %v", got)
	}
	if pgLimitExceeded(nil) != nil {
		t.Error("success became a failure")
	}
}
