package e2e

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestGeoDifferential loads the same random points (spread out and in
// clusters, near the poles and the antimeridian too) into redis-server and
// damselfly and compares the replies of random searches, and the sorted
// sets they store.
func TestGeoDifferential(t *testing.T) {
	rc, dc := StartRedis(t).Client(t, 2), Start(t).Client(t, 2)
	ctx := Ctx(t)
	r := rand.New(rand.NewPCG(21, 22))
	var args []any
	for i := 0; i < 3000; i++ {
		var lon, lat float64
		switch i % 4 {
		case 0:
			lon, lat = r.Float64()*360-180, r.Float64()*170-85
		case 1: // a city-sized cluster
			lon, lat = 2.35+r.NormFloat64()*0.05, 48.85+r.NormFloat64()*0.05
		case 2: // near the antimeridian
			lon, lat = 179.5+r.Float64(), r.Float64()*20-10
			if lon > 180 {
				lon -= 360
			}
		default: // near the north limit
			lon, lat = r.Float64()*360-180, 80+r.Float64()*5
		}
		args = append(args, strconv.FormatFloat(lon, 'f', -1, 64), strconv.FormatFloat(lat, 'f', -1, 64), fmt.Sprintf("m%d", i))
	}
	for _, c := range []*redis.Client{rc, dc} {
		if err := c.Do(ctx, append([]any{"GEOADD", "g"}, args...)...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	units := []string{"m", "km", "mi", "ft"}
	storedScores, storedDiff := 0, 0
	for q := 0; q < 400; q++ {
		var cmd []any
		centers := [][2]float64{{2.35, 48.85}, {180, 0}, {-179.9, 5}, {0, 84}, {r.Float64()*360 - 180, r.Float64()*170 - 85}}
		ctr := centers[r.IntN(len(centers))]
		unit := units[r.IntN(len(units))]
		size := []float64{0.5, 5, 50, 500, 5000}[r.IntN(5)]
		switch unit {
		case "m", "ft":
			size *= 1000
		}
		from := []any{"FROMLONLAT", ctr[0], ctr[1]}
		if r.IntN(4) == 0 {
			from = []any{"FROMMEMBER", fmt.Sprintf("m%d", r.IntN(3000))}
		}
		by := []any{"BYRADIUS", size, unit}
		if r.IntN(2) == 0 {
			by = []any{"BYBOX", size, size * (0.2 + r.Float64()*2), unit}
		}
		store := r.IntN(4) == 0
		if store {
			cmd = append([]any{"GEOSEARCHSTORE", "dst", "g"}, from...)
		} else {
			cmd = append([]any{"GEOSEARCH", "g"}, from...)
		}
		cmd = append(cmd, by...)
		if r.IntN(2) == 0 {
			cmd = append(cmd, []string{"ASC", "DESC"}[r.IntN(2)])
		}
		if r.IntN(3) == 0 {
			cmd = append(cmd, "COUNT", 1+r.IntN(50))
		}
		if store {
			if r.IntN(2) == 0 {
				cmd = append(cmd, "STOREDIST")
			}
		} else {
			for _, o := range []string{"WITHDIST", "WITHCOORD", "WITHHASH"} {
				if r.IntN(2) == 0 {
					cmd = append(cmd, o)
				}
			}
		}
		a, errA := rc.Do(ctx, cmd...).Result()
		b, errB := dc.Do(ctx, cmd...).Result()
		if fmt.Sprint(a, errA) != fmt.Sprint(b, errB) {
			t.Fatalf("%v:\nredis:     %v %v\ndamselfly: %v %v", cmd, a, errA, b, errB)
		}
		if !store {
			continue
		}
		za, _ := rc.ZRangeWithScores(ctx, "dst", 0, -1).Result()
		zb, _ := dc.ZRangeWithScores(ctx, "dst", 0, -1).Result()
		if len(za) != len(zb) {
			t.Fatalf("%v: stored %d members on redis, %d on damselfly", cmd, len(za), len(zb))
		}
		for i := range za {
			storedScores++
			if za[i].Member != zb[i].Member {
				t.Fatalf("%v: member %d: %v vs %v", cmd, i, za[i], zb[i])
			}
			if za[i].Score != zb[i].Score {
				// Distances come from glibc's sin/cos/asin, which are not
				// always correctly rounded; ours are. They may differ in the
				// last bit, rarely.
				if math.Abs(za[i].Score-zb[i].Score) > 4e-16*math.Abs(za[i].Score) {
					t.Fatalf("%v: score of %v: %v vs %v", cmd, za[i].Member, za[i].Score, zb[i].Score)
				}
				storedDiff++
			}
		}
	}
	t.Logf("%d stored scores, %d differ in the last bit", storedScores, storedDiff)
	if storedDiff*100 > storedScores+100 {
		t.Fatalf("too many last-bit differences: %d of %d", storedDiff, storedScores)
	}
}
