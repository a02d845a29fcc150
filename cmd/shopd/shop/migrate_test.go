package shop_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skranke/skranke"
	"github.com/skranke/skranke/cmd/shopd/shop"
)

// TestMigrationsUpgradeAnOldDatabase builds a database at schema version 1,
// as the first shopd left it, and opens it with the current code.
func TestMigrationsUpgradeAnOldDatabase(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "old.db")
	v1, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{string(v1), "PRAGMA user_version = 1",
		`INSERT INTO centres (id, doc) VALUES ('c', '{"id":"c","name":"C"}')`,
		`INSERT INTO cards (code, centre_id, status, balance, seq, doc) VALUES ('K', 'c', 'active', 100, 1, '{"code":"K","centre_id":"c","balance":100,"status":"active","purchase_code":"P"}')`,
		`INSERT INTO idempotency (scope, key, fingerprint, status, content_type, body, created_at) VALUES ('desk:d', 'k-1', 'fp', 201, 'application/json', '{"ok":true}', 1700000000000)`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%.40s: %v", q, err)
		}
	}
	raw.Close()

	ctx := context.Background()
	db, err := shop.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var cards []skranke.Card
	err = db.View(ctx, func(tx shop.Tx) error {
		cards, err = tx.CardsOfPurchase("P")
		return err
	})
	if err != nil || len(cards) != 1 || cards[0].Code != "K" {
		t.Fatalf("after the upgrade the purchase's cards are %+v (%v), want card K", cards, err)
	}
	// An answer recorded under an idempotency key is kept (0007 rebuilt
	// the table), and the key still takes no second record.
	var rec shop.IdempotencyRecord
	err = db.View(ctx, func(tx shop.Tx) error {
		rec, err = tx.Idempotency("desk:d", "k-1")
		return err
	})
	if err != nil || rec.Status != 201 || string(rec.Body) != `{"ok":true}` || rec.Fingerprint != "fp" {
		t.Fatalf("after the upgrade the idempotency record is %+v (%v)", rec, err)
	}
	err = db.Update(ctx, func(tx shop.Tx) error {
		return tx.PutIdempotency(shop.IdempotencyRecord{Scope: "desk:d", Key: "k-1", Fingerprint: "other", Status: 201, ContentType: "application/json", Body: []byte("{}")})
	})
	if err == nil {
		t.Fatal("a second record under the same idempotency key was stored")
	}
	db.Close()
	// Opening again applies nothing twice.
	db2, err := shop.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	db2.Close()
}

// TestNewerDatabaseIsRefused opens a database that a newer shopd migrated:
// an older shopd must say so rather than write rows the schema does not expect.
func TestNewerDatabaseIsRefused(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "new.db")
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	db, err := shop.OpenSQLite(context.Background(), path)
	if err == nil {
		db.Close()
		t.Fatal("a database of schema version 999 was opened")
	}
	if !strings.Contains(err.Error(), "newer than this shopd knows") {
		t.Errorf("error %q does not say the database is newer", err)
	}
}
