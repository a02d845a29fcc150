// Package sync is the desk's view of the central shop: the domain types that
// every other part of Skranke speaks, the shop API client, the SQLite cache and
// outbox, and the loop that keeps them in step with the shop.
//
// Callers import it under the name desksync, so that it does not shadow the
// standard library's sync package:
//
//	import desksync "github.com/skranke/skranke/sync"
package sync
