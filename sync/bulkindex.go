package sync

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"slices"
	"strings"
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
// purchases each is some seconds of work). copyBulkTables sorts about
// chunkRows rows at once (0: bulkCopyChunkRows). Each index is created
// with the writer's usual page cache, which is also the memory its sort
// keeps before it spills: at 16 MiB every one of the five spilled at a
// million purchases, some 130 MB in all; at 64 MiB all but
// pickup_products_purchase's sort in memory.
func endBulkSteps(ctx context.Context, chunkRows int) []func(tx *sql.Tx) error {
	steps := []func(tx *sql.Tx) error{func(tx *sql.Tx) error { return copyBulkTables(ctx, tx, chunkRows) }}
	for _, name := range append(slices.Clone(bulkRebuiltIndexes), bulkDroppedIndexes...) {
		steps = append(steps, func(tx *sql.Tx) error {
			return sortingToFile(ctx, tx, func() error { return createIndexes(ctx, tx, []string{name}) })
		})
	}
	return steps
}

// withPageCache runs fn in tx with the writer's page cache at kib, which
// also bounds the memory each of fn's sorts keeps before it spills to a
// temporary file (sortingToFile).
func withPageCache(ctx context.Context, tx *sql.Tx, kib int, fn func() error) error {
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", kib)); err != nil {
		return err
	}
	defer tx.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA cache_size = -%d", writerCacheKiB))
	return fn()
}

// sortingToFile runs fn in tx with its sorts spilling to a temporary file
// (temp_store FILE) past the page cache's size: with the cache's
// temp_store MEMORY a sort never spills, and CREATE INDEX cannot sort its
// keys in parts as copyBulkTables does its rows. The file holds dates,
// product names and rowids, no buyer data, and SQLite unlinks it as it
// opens it. SQLite refuses the change inside a transaction only while temporary
// tables are open, which the desk has none of; if it ever did, the sort
// stays in memory.
func sortingToFile(ctx context.Context, tx *sql.Tx, fn func() error) error {
	if _, err := tx.ExecContext(ctx, "PRAGMA temp_store = FILE"); err != nil {
		slog.Debug("sort the end of a bulk indexing in memory", "err", err)
	} else {
		defer tx.ExecContext(context.WithoutCancel(ctx), "PRAGMA temp_store = MEMORY")
	}
	return fn()
}

// copyBulkTables copies the bulk tables' rows into month_facts and
// pickup_products in those tables' key order (bulkCopies), with their
// indexes keyed by purchase dropped (endBulkSteps creates them again), and
// drops the bulk tables. Nothing to do when they are gone (copied before).
// About chunkRows rows are sorted at once (0: bulkCopyChunkRows).
func copyBulkTables(ctx context.Context, tx *sql.Tx, chunkRows int) error {
	if chunkRows <= 0 {
		chunkRows = bulkCopyChunkRows
	}
	return withPageCache(ctx, tx, bulkCopyCacheKiB, func() error {
		return sortingToFile(ctx, tx, func() error { return copyBulkRows(ctx, tx, chunkRows) })
	})
}

// bulkCopy is how copyBulkRows copies one bulk table into its table.
type bulkCopy struct {
	from, into string
	// cols are the columns copied, the same in both tables.
	cols string
	// key is into's primary key, the order rows are copied in.
	key []string
}

// bulkCopies are the bulk tables and what they are copied into.
var bulkCopies = []bulkCopy{
	{from: "month_facts_bulk", into: "month_facts", cols: "day, purchase, n, kind, product_id, product, staff_id, staff, events, units, amount", key: []string{"day", "purchase", "n"}},
	{from: "pickup_products_bulk", into: "pickup_products", cols: "product, created, purchase", key: []string{"product", "created", "purchase"}},
}

// bulkCopyChunkRows is about how many rows copyBulkRows sorts at once: a
// range of the key at a time, each sorted within the page cache
// (bulkCopyCacheKiB) and so in memory. One sort of a million purchases'
// month facts held some 300 MB in memory at once (peak resident memory
// 682 MB against 426 MB before the bulk tables); spilled to a temporary
// file past the page cache, it wrote each row again, in runs merged on
// disk, and the indexing of a million purchases wrote 3,848 bytes per
// purchase, against 3,216 in ranges (BenchmarkIndexCached1M). Each range
// reads the bulk table again, which costs reads, not writes, but time:
// past bulkCopyMaxRanges ranges, they grow instead.
const bulkCopyChunkRows = 1 << 17

// bulkCopyMaxRanges caps the ranges copyBulkRows cuts a bulk table into:
// each reads the whole table again (2 million month facts took 5.4 s in
// one sort, 8.7 s in 17 ranges), and the copy is one step that holds the
// writer. Past it ranges grow, and spill to a temporary file
// (sortingToFile) as one sort did before.
const bulkCopyMaxRanges = 16

// bulkCopyCacheKiB is the writer's page cache while copyBulkRows copies,
// the sorts' memory before they spill: a range of bulkCopyChunkRows month
// facts takes some 12 MB.
const bulkCopyCacheKiB = 32 << 10

// bulkCopySample is the share of purchases (one in bulkCopySample, by
// rowid) whose rows copyBulkRows reads to cut the key into ranges.
const bulkCopySample = 64

// copyBulkRows is copyBulkTables with the page cache set.
func copyBulkRows(ctx context.Context, tx *sql.Tx, chunkRows int) error {
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
	for _, c := range bulkCopies {
		if err := c.copy(ctx, tx, chunkRows); err != nil {
			return fmt.Errorf("copy the bulk indexing's rows into %s: %w", c.into, err)
		}
	}
	for _, q := range sqlDropBulkTables {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("drop the bulk indexing's tables: %w", err)
		}
	}
	return nil
}

// copy copies c.from's rows into c.into in key order, a range of the key
// at a time (cuts), so that each sort stays small and in memory while
// into is still only appended to. Only rows of purchases indexed and with
// none filed since are copied (filed again indexed, the rows went to the
// tables themselves: the triggers dropped those here).
func (c bulkCopy) copy(ctx context.Context, tx *sql.Tx, chunkRows int) error {
	cuts, err := c.cuts(ctx, tx, chunkRows)
	if err != nil {
		return err
	}
	key := "(b." + strings.Join(c.key, ", b.") + ")"
	marks := "(" + strings.Repeat("?, ", len(c.key)-1) + "?)"
	for i := 0; i <= len(cuts); i++ {
		q := fmt.Sprintf("INSERT OR IGNORE INTO %s(%s) SELECT b.%s FROM %s b WHERE NOT EXISTS (SELECT 1 FROM unindexed u WHERE u.purchase = b.purchase)",
			c.into, c.cols, strings.ReplaceAll(c.cols, ", ", ", b."), c.from)
		var args []any
		if i > 0 {
			q += " AND " + key + " >= " + marks
			args = append(args, cuts[i-1]...)
		}
		if i < len(cuts) {
			q += " AND " + key + " < " + marks
			args = append(args, cuts[i]...)
		}
		q += " ORDER BY " + strings.TrimSuffix(strings.TrimPrefix(key, "("), ")")
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// cuts returns the keys at which c.copy cuts c.from into ranges of about
// chunkRows rows each (more if that made over bulkCopyMaxRanges), in
// order: every so many keys of a sample of the purchases. None when the
// table is small.
func (c bulkCopy) cuts(ctx context.Context, tx *sql.Tx, chunkRows int) ([][]any, error) {
	cols := strings.Join(c.key, ", ")
	rows, err := tx.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM %s WHERE purchase %% %d = 0 ORDER BY %s", cols, c.from, bulkCopySample, cols))
	if err != nil {
		return nil, fmt.Errorf("sample the keys: %w", err)
	}
	defer rows.Close()
	var sample [][]any
	for rows.Next() {
		k := make([]any, len(c.key))
		ptrs := make([]any, len(k))
		for i := range k {
			ptrs[i] = &k[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("sample the keys: %w", err)
		}
		sample = append(sample, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sample the keys: %w", err)
	}
	every := max(chunkRows/bulkCopySample, (len(sample)+bulkCopyMaxRanges-1)/bulkCopyMaxRanges, 1)
	var cuts [][]any
	for i := every; i < len(sample); i += every {
		cuts = append(cuts, sample[i])
	}
	return cuts, nil
}
