package value

import (
	"bufio"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestGeoMatchesRedis checks scores, decoded positions, geohash strings and
// distances against values recorded from redis-server 7.0.15
// (testdata/geo_redis.txt: random and edge positions; the distance is to
// the next line's point).
func TestGeoMatchesRedis(t *testing.T) {
	f, err := os.Open("testdata/geo_redis.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type row struct {
		lon, lat       float64
		score          string
		posLon, posLat string
		hash           string
		distM, distKm  string
	}
	var rows []row
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		fs := strings.Fields(line)
		num := func(s string) float64 {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		rows = append(rows, row{num(fs[0]), num(fs[1]), fs[2], fs[3], fs[4], fs[5], fs[6], fs[7]})
	}
	fix4 := func(d float64) string {
		v := int64(math.RoundToEven(d * 10000))
		return strconv.FormatInt(v/10000, 10) + "." + strconv.FormatInt(10000+v%10000, 10)[1:]
	}
	for i, r := range rows {
		score, ok := GeoScore(r.lon, r.lat)
		if !ok {
			t.Fatalf("%v,%v: not encodable", r.lon, r.lat)
		}
		if got := strconv.FormatFloat(score, 'f', -1, 64); got != r.score {
			t.Errorf("%v,%v: score %s, redis %s", r.lon, r.lat, got, r.score)
		}
		lon, lat, ok := GeoDecodeScore(score)
		if !ok || human(lon) != r.posLon || human(lat) != r.posLat {
			t.Errorf("%v,%v: position %v,%v, redis %v,%v", r.lon, r.lat, human(lon), human(lat), r.posLon, r.posLat)
		}
		if h, _ := GeoHashString(score); h != r.hash {
			t.Errorf("%v,%v: geohash %s, redis %s", r.lon, r.lat, h, r.hash)
		}
		n := rows[(i+1)%len(rows)]
		nscore, _ := GeoScore(n.lon, n.lat)
		nlon, nlat, _ := GeoDecodeScore(nscore)
		d := GeoDistance(lon, lat, nlon, nlat)
		if got := fix4(d); got != r.distM {
			t.Errorf("line %d: distance %s m, redis %s", i, got, r.distM)
		}
		if got := fix4(d / 1000); got != r.distKm {
			t.Errorf("line %d: distance %s km, redis %s", i, got, r.distKm)
		}
	}
	if len(rows) < 100 {
		t.Fatalf("only %d rows", len(rows))
	}
}

// human formats like Redis's "%.17Lf" human mode (GEOPOS).
func human(f float64) string {
	s := strconv.FormatFloat(f, 'f', 17, 64)
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

func TestGeoEncodeLimits(t *testing.T) {
	for _, p := range [][2]float64{{181, 0}, {-181, 0}, {0, 85.06}, {0, -85.06}, {math.NaN(), 0}} {
		if _, ok := GeoScore(p[0], p[1]); ok && !math.IsNaN(p[0]) {
			t.Errorf("%v accepted", p)
		}
	}
	// Interleaving round-trips.
	for _, v := range []uint32{0, 1, 0xffff, 0x3ffffff, 0x2aaaaaa} {
		for _, w := range []uint32{0, 7, 0x1555555, 0x3ffffff} {
			h := interleave(v, w)
			if uint32(squash(h)) != v || uint32(squash(h>>1)) != w {
				t.Fatalf("interleave(%x,%x) does not round-trip", v, w)
			}
		}
	}
}

// TestGeoSearchAreasCoverRadius checks, for random centers and radii, that
// every point within the radius falls in one of the returned cells.
func TestGeoSearchAreasCoverRadius(t *testing.T) {
	for i := 0; i < 200; i++ {
		lon := -170 + float64(i%34)*10
		lat := -80 + float64(i%16)*10
		radius := []float64{10, 500, 5000, 100000, 1000000}[i%5]
		s := &GeoShape{Lon: lon, Lat: lat, Radius: radius, Conversion: 1}
		cells := GeoSearchAreas(s)
		for k := 0; k < 64; k++ {
			ang := float64(k) / 64 * 2 * math.Pi
			// A point at 0.99 of the radius in direction ang (small-angle
			// approximation is enough for the test's purpose).
			dlat := radDeg(0.99 * radius * math.Cos(ang) / EarthRadiusMeters)
			plat := lat + dlat
			dlon := radDeg(0.99 * radius * math.Sin(ang) / EarthRadiusMeters / math.Cos(degRad(plat)))
			plon := lon + dlon
			if plon < GeoLonMin || plon > GeoLonMax || plat < GeoLatMin || plat > GeoLatMax {
				continue
			}
			score, _ := GeoScore(plon, plat)
			if _, _, in := s.Within(score); !in {
				continue
			}
			found := false
			for _, c := range cells {
				if c.IsZero() {
					continue
				}
				lo, hi := GeoBoxScores(c)
				if score >= lo && score < hi {
					found = true
				}
			}
			if !found {
				t.Fatalf("center %v,%v radius %v: point %v,%v not covered", lon, lat, radius, plon, plat)
			}
		}
	}
}

func TestCDoubleToU64(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		want uint64
	}{{0, 0}, {-1, math.MaxUint64}, {1e300, 0}, {0x1p63, 1 << 63}, {0x1p64, 0}, {-0x1p64, 1 << 63}, {3377699720527872, 3377699720527872}, {math.NaN(), 1 << 63}} {
		if got := cDoubleToU64(tc.f); got != tc.want {
			t.Errorf("cDoubleToU64(%v) = %#x, want %#x", tc.f, got, tc.want)
		}
	}
}

// TestWithinMatchesExact checks the fast inside/outside decision against the
// exact distance for points on both sides of and very near the boundary.
func TestWithinMatchesExact(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for i := 0; i < 20000; i++ {
		lon, lat := r.Float64()*360-180, r.Float64()*170-85
		s := &GeoShape{Lon: lon, Lat: lat, Conversion: 1, Box: i%2 == 1}
		plon, plat := max(-180, min(180, lon+r.NormFloat64()*[]float64{0.01, 1, 60}[i%3])), max(-85, min(85, lat+r.NormFloat64()*[]float64{0.01, 1, 40}[i%3]))
		score, _ := GeoScore(plon, plat)
		clon, clat, _ := GeoDecodeScore(score)
		var want bool
		if s.Box {
			d := GeoDistance(clon, clat, lon, clat)
			s.Width = 2 * d * (1 + float64(r.IntN(3)-1)*1e-15)
			s.Height = 2 * geoLatDistance(clat, lat) * (1 + 1e-9)
			want = geoLatDistance(clat, lat) <= s.Height/2 && GeoDistance(clon, clat, lon, clat) <= s.Width/2
		} else {
			d := GeoDistance(lon, lat, clon, clat)
			s.Radius = d * (1 + float64(r.IntN(3)-1)*[]float64{1e-16, 1e-13, 1e-6}[r.IntN(3)])
			want = d <= s.Radius
		}
		if _, _, got := s.Within(score); got != want {
			t.Fatalf("%+v point %v,%v: within %v, exact %v", s, clon, clat, got, want)
		}
	}
}
