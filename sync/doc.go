// Package sync is the desk's view of the central shop: the shop API client,
// the SQLite cache and outbox, and the loop that keeps them in step with the
// shop. The domain types it moves about are the root package skranke's.
//
// Callers import it under the name desksync, so that it does not shadow the
// standard library's sync package:
//
//	import desksync "github.com/skranke/skranke/sync"
//
// # How the desk stays useful offline
//
// A Desk keeps a SQLite database (desk.db in Config.DataDir, WAL mode, one
// writer connection and a pool of readers) that mirrors the centre's
// purchases and gift cards, the staff list and the desk's own actions.
// Lookups ask the shop first and store its answer; when the shop cannot be
// reached they answer from the cache and say so (Lookup.FromCache).
//
// Every action is written to the outbox, with the UUID that is both its
// idempotency key and its ID at the shop, in the same transaction as the
// cache's record of it, before anything is sent. Deliveries (and the
// signatures they need, sent first) work offline: the cached purchase shows
// them at once (Lookup.Pending) and the loop sends them in order when the
// shop is back. A delivery the shop refuses while staff wait is reported to
// them as an error; one refused later goes to Conflicts for a manager to
// Retry or Discard. So does one the shop keeps failing on (a 500 or an
// answer the desk cannot read, eight times in a row while the shop's
// changes feed works), so that it does not hold back the deliveries queued
// behind it; a shop that cannot be reached is simply waited for. Gift card
// redemptions and credits need the shop's answer before the customer
// leaves, so they are online only: they are still written to the outbox
// first, so that an answer lost on the way back is settled by asking the
// shop rather than guessed. Such a redemption or credit fails with kind
// Unknown (not Unavailable, which means certainly not done); Outcome reports
// what the shop did once the loop has asked it.
//
// Gift cards sold in the web shop are issued by the shop when the purchase
// is paid. The desk keeps them with the purchase that sold them, from the
// changes feed and from the answer to a delivery that hands them over, so
// CardsOfPurchase finds them to print offline too; a delivery made offline
// gets them when the outbox sends it.
//
// Run pulls the shop's changes feed from a stored cursor, one transaction
// per page, and drains the outbox, every Config.SyncInterval, on SyncNow and
// when actions are queued; after a failure it backs off exponentially with
// jitter, never beyond one interval.
package sync
