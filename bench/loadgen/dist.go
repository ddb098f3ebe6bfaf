package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// keyDist draws key indexes in [0, n) from one of memtier's distributions.
// Each client owns one, seeded from (-seed, client number), so a run's key
// sequence per client is reproducible and independent of the command mix.
type keyDist interface {
	next() uint64
}

// distSpec is a parsed -dist value.
type distSpec struct {
	kind  string  // "uniform", "zipf" or "gaussian"
	param float64 // zipf exponent, or gaussian std-dev as a fraction of the key range
}

func (d distSpec) String() string {
	if d.kind == "uniform" {
		return d.kind
	}
	return d.kind + ":" + strconv.FormatFloat(d.param, 'g', -1, 64)
}

// parseDist reads "uniform", "zipf:S" (S > 0) or "gaussian:SIGMA" (SIGMA > 0).
func parseDist(s string) (distSpec, error) {
	kind, arg, hasArg := strings.Cut(s, ":")
	switch kind {
	case "uniform":
		if hasArg {
			return distSpec{}, fmt.Errorf("-dist %q: uniform takes no parameter", s)
		}
		return distSpec{kind: kind}, nil
	case "zipf", "gaussian":
		if !hasArg {
			return distSpec{}, fmt.Errorf("-dist %q: %s needs a parameter, e.g. %s:%s", s, kind, kind, map[string]string{"zipf": "0.99", "gaussian": "0.1"}[kind])
		}
		p, err := strconv.ParseFloat(arg, 64)
		if err != nil || !(p > 0) || math.IsInf(p, 0) {
			return distSpec{}, fmt.Errorf("-dist %q: parameter must be a positive number", s)
		}
		return distSpec{kind: kind, param: p}, nil
	}
	return distSpec{}, fmt.Errorf("-dist %q: want uniform, zipf:S or gaussian:SIGMA", s)
}

// newKeyDist returns a generator over n keys driven by rng.
func newKeyDist(spec distSpec, n uint64, rng *rand.Rand) keyDist {
	switch spec.kind {
	case "zipf":
		return newZipf(rng, n, spec.param)
	case "gaussian":
		return &gaussian{rng: rng, n: float64(n), mean: float64(n) / 2, sigma: spec.param * float64(n)}
	}
	return &uniform{rng: rng, n: n}
}

type uniform struct {
	rng *rand.Rand
	n   uint64
}

func (u *uniform) next() uint64 { return u.rng.Uint64N(u.n) }

// gaussian is memtier's gaussian pattern: a normal distribution centred in
// the middle of the key range; draws outside the range are redrawn, so the
// distribution is the normal one truncated to [0, n).
type gaussian struct {
	rng            *rand.Rand
	n, mean, sigma float64
}

func (g *gaussian) next() uint64 {
	for {
		x := g.mean + g.sigma*g.rng.NormFloat64()
		if x >= 0 && x < g.n {
			return uint64(x)
		}
	}
}
