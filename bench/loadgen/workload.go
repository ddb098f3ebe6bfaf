package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// opKind is one kind of command the generator sends.
type opKind uint8

const (
	opGet opKind = iota
	opSet
	opEvalsha
	opPublish
	numOps
)

var opNames = [numOps]string{"GET", "SET", "EVALSHA", "PUBLISH"}

func (o opKind) String() string { return opNames[o] }

// rateLimiterScript is rate-limiter-flexible's Redis consume script
// (RateLimiterRedis, defined as the ioredis command rlflxIncr), byte for
// byte as Directus 12 sends it: see test/directus/commands-seen.txt, sha1
// a1de965f42e177aa339706bd580f049065eca79a.
const rateLimiterScript = "redis.call('set', KEYS[1], 0, 'EX', ARGV[2], 'NX') local consumed = redis.call('incrby', KEYS[1], ARGV[1]) local ttl = redis.call('pttl', KEYS[1]) if ttl == -1 then   redis.call('expire', KEYS[1], ARGV[2])   ttl = 1000 * ARGV[2] end return {consumed, ttl} "

const rateLimiterSHA = "a1de965f42e177aa339706bd580f049065eca79a"

// directusWeights are Directus's command counts from one recorded run of
// its end-to-end test against redis-server (test/directus/commands-seen.txt):
// 452 PUBLISH, 221 EVALSHA, 65 GET, 64 SET (36 plain + 28 PX; the mix sends
// all as SET PX, as the cache does). Rarer commands (INCRBY, KEYS, SCAN,
// MULTI, INFO ...) are left out: together they are under 15 % of the
// traffic and mostly start-up or admin work.
var directusWeights = [numOps]int{opPublish: 452, opEvalsha: 221, opGet: 65, opSet: 64}

// mix picks the next command kind from integer weights.
type mix struct {
	cum   [numOps]int // cumulative weights
	total int
}

func newMix(w [numOps]int) mix {
	var m mix
	for i, v := range w {
		m.total += v
		m.cum[i] = m.total
	}
	return m
}

func (m *mix) pick(rng *rand.Rand) opKind {
	x := rng.IntN(m.total)
	for i, c := range m.cum {
		if x < c {
			return opKind(i)
		}
	}
	return numOps - 1
}

// parseRatio reads memtier's -ratio SET:GET, e.g. "1:10"; one side may be 0.
func parseRatio(s string) ([numOps]int, error) {
	var w [numOps]int
	a, b, ok := strings.Cut(s, ":")
	sets, err1 := strconv.Atoi(a)
	gets, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || sets < 0 || gets < 0 || sets+gets == 0 {
		return w, fmt.Errorf("-ratio %q: want SET:GET with non-negative integers, e.g. 1:10", s)
	}
	w[opSet], w[opGet] = sets, gets
	return w, nil
}

// parseWeights reads "publish:evalsha:get:set" integer weights for -directus-weights.
func parseWeights(s string) ([numOps]int, error) {
	var w [numOps]int
	parts := strings.Split(s, ":")
	order := []opKind{opPublish, opEvalsha, opGet, opSet}
	if len(parts) != len(order) {
		return w, fmt.Errorf("-directus-weights %q: want PUBLISH:EVALSHA:GET:SET, e.g. 452:221:65:64", s)
	}
	total := 0
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return w, fmt.Errorf("-directus-weights %q: %q is not a non-negative integer", s, p)
		}
		w[order[i]] = v
		total += v
	}
	if total == 0 {
		return w, fmt.Errorf("-directus-weights %q: all weights are zero", s)
	}
	return w, nil
}
