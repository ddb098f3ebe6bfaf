// Package digest implements the SHA1 mixing Redis's DEBUG DIGEST and
// DEBUG DIGEST-VALUE use (debug.c: xorDigest, mixDigest), so a dataset
// digested here matches the one redis-server reports for the same data.
//
// A value type takes part by implementing Digester with Redis's rule for
// its type: a list mixes each element in order, a set XORs each member, a
// hash XORs the mix of each field and value, a sorted set XORs the mix of
// each member and its score formatted with %.17g.
package digest

import (
	"crypto/sha1"
	"encoding/hex"
)

// Sum is a 20-byte digest.
type Sum [20]byte

// Xor folds SHA1(b) into d: order-independent.
func (d *Sum) Xor(b []byte) {
	h := sha1.Sum(b)
	for i := range d {
		d[i] ^= h[i]
	}
}

// XorSum folds another digest into d as Redis's xorDigest(d, o, 20) does.
func (d *Sum) XorSum(o *Sum) { d.Xor(o[:]) }

// Mix folds b into d so that order matters: d = SHA1(d XOR SHA1(b)).
func (d *Sum) Mix(b []byte) {
	d.Xor(b)
	*d = sha1.Sum(d[:])
}

// IsZero reports whether nothing was folded in.
func (d *Sum) IsZero() bool { return *d == Sum{} }

// Hex is the 40-digit lower-case form Redis prints.
func (d *Sum) Hex() string { return hex.EncodeToString(d[:]) }

// Digester is implemented by value types that can be digested.
type Digester interface {
	// Digest folds the value into d following Redis's rule for its type.
	Digest(d *Sum)
}
