// Package skranke is the vocabulary that every part of Skranke speaks: the
// desk app, its scanner and sync packages, and the shop server. It holds the
// domain types (purchases, their lines and deliveries, gift cards, credits,
// staff), the rules that follow from them alone (what remains to hand over,
// what can still be credited, the lines of a delivery note), Money in øre,
// the error type with an Op and a Kind that callers branch on, the format of
// the codes the shop issues with its one normaliser, PIN digests, and
// limits shared by desk and shop.
//
// It imports only the standard library, so that the shop can use it without
// linking anything of the desk, and the desk without anything of the shop.
//
// # Errors
//
// Errors are built with E(op, kind, err), op naming what was being done as
// package.Type.Method ("sync.Desk.Deliver"). Callers branch on KindOf(err),
// or reach the *Error itself with errors.As:
//
//	if skranke.KindOf(err) == skranke.NotFound { ... }
package skranke
