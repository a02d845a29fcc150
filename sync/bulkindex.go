package sync

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"slices"
)

// Bulk indexing writes the structures keyed by a purchase's date in their
// key order, once, at its end (issue 16 item 2). A first sync files
// purchases in the order of the changes feed, which their dates do not
// follow, and indexing them in that order inserted every transaction's
// rows all over the created and pickup indexes of purchases, month_facts
// (clustered by day) and pickup_products (by product and date): each
// transaction of 2,048 purchases rewrote most pages of each, and at a
// million purchases the indexing wrote 45 KB per purchase, 25 times the
// cache it left. In bulk (setBulkIndex), indexCached
//
//   - drops the indexes of purchases keyed by date (bulkDroppedIndexes),
//     keeping their definitions in meta, and creates them again at the
//     end, when SQLite sorts each and writes it once;
//   - files the month facts and pickup rows in tables of their own,
//     month_facts_bulk and pickup_products_bulk, keyed by the purchase's
//     rowid, which the indexing follows, so that they are appended to;
//     and at the end copies them into month_facts and pickup_products in
//     those tables' key order (with the indexes keyed by purchase of those
//     tables dropped meanwhile and created again after), and drops them.
//
// Nothing reads those structures while the bulk lasts: the pickup list, the
// month and the sales overview index what is left first, which ends the
// bulk. What files a purchase again meanwhile drops its rows in the bulk
// tables (triggers on purchases: a new seq or a delete); the indexing of a
// purchase filed again unindexed deletes them as it deletes its facts. The
// end is a few transactions (endBulkSteps), each whole or not done, so a
// desk closed during the bulk or its end finishes it at its next indexing.

// bulkDroppedIndexes are the indexes of purchases a bulk indexing drops at
// its start and creates again at its end.
var bulkDroppedIndexes = []string{"purchases_created", "purchases_pickup", "purchases_pickup_status"}

// bulkRebuiltIndexes are the indexes the end of a bulk indexing drops
// while it copies the bulk tables in, and creates again after: keyed by
// purchase, they would be written all over by rows inserted by date.
var bulkRebuiltIndexes = []string{"month_facts_purchase", "pickup_products_purchase"}

// bulkEndCacheKiB is the writer's page cache in the steps that end a bulk
// indexing (sortingLight).
const bulkEndCacheKiB = 16 << 10

// sqlStartBulkTables creates the tables and triggers of a bulk indexing.
var sqlStartBulkTables = []string{
	`CREATE TABLE IF NOT EXISTS month_facts_bulk (
	purchase   INTEGER NOT NULL,
	n          INTEGER NOT NULL,
	day        INTEGER NOT NULL,
	kind       TEXT NOT NULL,
	product_id TEXT NOT NULL,
	product    TEXT NOT NULL,
	staff_id   TEXT NOT NULL,
	staff      TEXT NOT NULL,
	events     INTEGER NOT NULL,
	units      INTEGER NOT NULL,
	amount     INTEGER NOT NULL,
	PRIMARY KEY (purchase, n)
) WITHOUT ROWID`,
	`CREATE TABLE IF NOT EXISTS pickup_products_bulk (
	purchase INTEGER NOT NULL,
	product  TEXT NOT NULL,
	created  INTEGER NOT NULL,
	PRIMARY KEY (purchase, product, created)
) WITHOUT ROWID`,
	// A purchase filed again with a new version (seq), or deleted, has its
	// rows filed anew by whatever filed it, or none.
	`CREATE TRIGGER IF NOT EXISTS purchases_bulk_refiled AFTER UPDATE OF seq ON purchases WHEN new.seq IS NOT old.seq BEGIN
	DELETE FROM month_facts_bulk WHERE purchase = new.rowid;
	DELETE FROM pickup_products_bulk WHERE purchase = new.rowid;
END`,
	`CREATE TRIGGER IF NOT EXISTS purchases_bulk_deleted AFTER DELETE ON purchases BEGIN
	DELETE FROM month_facts_bulk WHERE purchase = old.rowid;
	DELETE FROM pickup_products_bulk WHERE purchase = old.rowid;
END`,
}

// sqlDropBulkTables drops what sqlStartBulkTables created.
var sqlDropBulkTables = []string{
	"DROP TRIGGER IF EXISTS purchases_bulk_refiled",
	"DROP TRIGGER IF EXISTS purchases_bulk_deleted",
	"DROP TABLE IF EXISTS month_facts_bulk",
	"DROP TABLE IF EXISTS pickup_products_bulk",
}

// bulkIndexMeta is the meta key under which dropIndexes keeps the
// definition of an index it dropped.
func bulkIndexMeta(name string) string { return "bulk_dropped_index." + name }

// startBulkIndex sets the cache up for a bulk indexing in tx: the search
// index (setBulkIndex) and the tables (startBulkTables). A first sync does
// so before it files its first page; Desk.indexCached when it meets a large
// backlog otherwise.
func startBulkIndex(ctx context.Context, tx *sql.Tx) error {
	if err := setBulkIndex(ctx, tx, true); err != nil {
		return err
	}
	return startBulkTables(ctx, tx)
}

// startBulkTables sets the cache up for a bulk indexing in tx: the bulk
// tables, and the indexes of purchases by date dropped.
func startBulkTables(ctx context.Context, tx *sql.Tx) error {
	for _, q := range sqlStartBulkTables {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create the bulk indexing's tables: %w", err)
		}
	}
	return dropIndexes(ctx, tx, bulkDroppedIndexes)
}

// dropIndexes drops the named indexes that exist, keeping each definition
// in meta for createIndexes.
func dropIndexes(ctx context.Context, tx *sql.Tx, names []string) error {
	for _, name := range names {
		var def sql.NullString
		err := tx.QueryRowContext(ctx, "SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = ?", name).Scan(&def)
		if err == sql.ErrNoRows || (err == nil && !def.Valid) {
			continue // Dropped before (a bulk cut short), or never made.
		}
		if err != nil {
			return fmt.Errorf("read the definition of index %s: %w", name, err)
		}
		if err := setMeta(ctx, tx, bulkIndexMeta(name), def.String); err != nil {
			return fmt.Errorf("keep the definition of index %s: %w", name, err)
		}
		// The name is one of ours, not input.
		if _, err := tx.ExecContext(ctx, "DROP INDEX "+name); err != nil {
			return fmt.Errorf("drop index %s: %w", name, err)
		}
	}
	return nil
}

// createIndexes creates again the named indexes dropIndexes dropped.
func createIndexes(ctx context.Context, tx *sql.Tx, names []string) error {
	for _, name := range names {
		var def string
		err := tx.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", bulkIndexMeta(name)).Scan(&def)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return fmt.Errorf("read the kept definition of index %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, def); err != nil {
			return fmt.Errorf("create index %s again: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM meta WHERE key = ?", bulkIndexMeta(name)); err != nil {
			return err
		}
	}
	return nil
}

// endBulkSteps are the transactions that end a bulk indexing, in turn:
// copyBulkTables, then each index it dropped created again, those of
// month_facts and pickup_products first (filing a purchase deletes its
// rows by them). Each step is whole or not done, and finds its work done
// when a close cut the end short before; between steps a desk action
// takes the writer (a scan waits for one step, not for all: at a million
// purchases each is some seconds of work).
func endBulkSteps(ctx context.Context) []func(tx *sql.Tx) error {
	steps := []func(tx *sql.Tx) error{func(tx *sql.Tx) error { return copyBulkTables(ctx, tx) }}
	for _, name := range append(slices.Clone(bulkRebuiltIndexes), bulkDroppedIndexes...) {
		steps = append(steps, func(tx *sql.Tx) error {
			return sortingLight(ctx, tx, func() error { return createIndexes(ctx, tx, []string{name}) })
		})
	}
	return steps
}

// sortingLight runs fn in tx with the writer's page cache at
// bulkEndCacheKiB. The sorts of the end of a bulk indexing (the ORDER BY
// of copyBulkTables, CREATE INDEX) each keep up to the page cache's size
// in memory before they spill to a temporary file; the pages they fill
// are written once, in key order, and not touched again, so a smaller
// page cache costs no writes and keeps the desk's memory down.
//
// The sorts spill to a temporary file (temp_store FILE) for as long: with
// the cache's temp_store MEMORY a sort never spills, whatever the page
// cache, and the copy of a million purchases' month facts held some
// 300 MB at once (peak resident memory 682 MB against 426 MB before the
// bulk tables). The file holds month facts and date keys, no buyer data,
// and SQLite unlinks it as it opens it. SQLite refuses the change inside a
// transaction only while temporary tables are open, which the desk has
// none of; if it ever did, the sort stays in memory, as before.
func sortingLight(ctx context.Context, tx *sql.Tx, fn func() error) error {
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", bulkEndCacheKiB)); err != nil {
		return err
	}
	defer tx.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA cache_size = -%d", writerCacheKiB))
	if _, err := tx.ExecContext(ctx, "PRAGMA temp_store = FILE"); err != nil {
		slog.Debug("sort the end of a bulk indexing in memory", "err", err)
	} else {
		defer tx.ExecContext(context.WithoutCancel(ctx), "PRAGMA temp_store = MEMORY")
	}
	return fn()
}

// copyBulkTables copies the bulk tables' rows into month_facts and
// pickup_products in those tables' key order, with their indexes keyed by
// purchase dropped (endBulkSteps creates them again), and drops the bulk
// tables. Nothing to do when they are gone (copied before).
func copyBulkTables(ctx context.Context, tx *sql.Tx) error {
	return sortingLight(ctx, tx, func() error { return copyBulkRows(ctx, tx) })
}

// copyBulkRows is copyBulkTables with the page cache set.
func copyBulkRows(ctx context.Context, tx *sql.Tx) error {
	var have bool
	if err := tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'month_facts_bulk')").Scan(&have); err != nil {
		return fmt.Errorf("look for the bulk indexing's tables: %w", err)
	}
	if !have {
		return nil
	}
	// A purchase filed again with its rows in the tables themselves
	// (the desk's own changes keep its seq) keeps those alone.
	for _, q := range []string{
		"DELETE FROM month_facts_bulk WHERE purchase IN (SELECT purchase FROM month_facts)",
		"DELETE FROM pickup_products_bulk WHERE purchase IN (SELECT purchase FROM pickup_products)",
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("drop the bulk indexing's rows filed again: %w", err)
		}
	}
	if err := dropIndexes(ctx, tx, bulkRebuiltIndexes); err != nil {
		return err
	}
	for _, q := range []string{
		// Only rows of purchases indexed and with none filed since
		// (filed again indexed, the rows went to the tables
		// themselves: the triggers dropped those here).
		`INSERT OR IGNORE INTO month_facts(day, purchase, n, kind, product_id, product, staff_id, staff, events, units, amount)
SELECT b.day, b.purchase, b.n, b.kind, b.product_id, b.product, b.staff_id, b.staff, b.events, b.units, b.amount
FROM month_facts_bulk b WHERE NOT EXISTS (SELECT 1 FROM unindexed u WHERE u.purchase = b.purchase)
ORDER BY b.day, b.purchase, b.n`,
		`INSERT OR IGNORE INTO pickup_products(product, created, purchase)
SELECT b.product, b.created, b.purchase
FROM pickup_products_bulk b WHERE NOT EXISTS (SELECT 1 FROM unindexed u WHERE u.purchase = b.purchase)
ORDER BY b.product, b.created, b.purchase`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("copy the bulk indexing's rows: %w", err)
		}
	}
	for _, q := range sqlDropBulkTables {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("drop the bulk indexing's tables: %w", err)
		}
	}
	return nil
}
