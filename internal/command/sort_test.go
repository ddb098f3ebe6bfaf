package command

import (
	"math"
	"testing"
)

// TestStrtod checks SORT's number reading against what redis-server 7.0.15
// accepts (recorded with RPUSH l <v>; SORT l).
func TestStrtod(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
		v  float64
	}{
		{"1e-310", false, 0},
		{"4.9406564584124654e-324", false, 0},
		{"2.2250738585072014e-308", true, 2.2250738585072014e-308},
		{"2.2250738585072011e-308", false, 0},
		{"1e-400", false, 0},
		{"1e400", false, 0},
		{"inf", true, math.Inf(1)},
		{"-infinity", true, math.Inf(-1)},
		{"nan", false, 0},
		{" 5", true, 5},
		{"5 ", false, 0},
		{"", true, 0},
		{"  ", false, 0},
		{"0x10", true, 16},
		{"0x1p-1074", true, 0x1p-1074},
		{"0x1.8p1", true, 3},
		{"0x1.0000000000001p-1070", false, 0},
		{"0x1.8p-1070", true, 0x1.8p-1070},
		{"1e5x", false, 0},
		{"1_0", false, 0},
		{"0e-400", true, 0},
		{"-0.0", true, 0},
		{"+.5", true, 0.5},
		{"5.", true, 5},
		{".", false, 0},
		{"1e", false, 0},
		{"0x", false, 0},
		{"0xp1", false, 0},
		{"12\x00abc", true, 12},
		{"\x00", true, 0},
		{"abc", false, 0},
	} {
		v, ok := sortStrtod([]byte(tc.in))
		if ok != tc.ok || (ok && v != tc.v) {
			t.Errorf("sortStrtod(%q) = %v, %v; want %v, %v", tc.in, v, ok, tc.v, tc.ok)
		}
	}
}

func TestSortKeys(t *testing.T) {
	args := func(s ...string) [][]byte {
		var out [][]byte
		for _, a := range s {
			out = append(out, []byte(a))
		}
		return out
	}
	for _, tc := range []struct {
		args []string
		want []int
	}{
		{[]string{"sort", "k"}, []int{1}},
		{[]string{"sort", "k", "STORE", "d"}, []int{1, 3}},
		{[]string{"sort", "k", "STORE", "d", "store", "e"}, []int{1, 5}},
		{[]string{"sort", "k", "GET", "store", "x"}, []int{1}},
		{[]string{"sort", "k", "LIMIT", "store", "x", "STORE"}, []int{1}},
		{[]string{"sort", "k", "STORE"}, []int{1}},
	} {
		got := sortKeys(args(tc.args...))
		if len(got) != len(tc.want) || (len(got) == 2 && got[1] != tc.want[1]) {
			t.Errorf("%v: %v, want %v", tc.args, got, tc.want)
		}
	}
}

func TestGeoFloat(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
		v  float64
	}{
		{"1.5", true, 1.5}, {"-1", true, -1}, {"+2", true, 2}, {"1e-310", true, 1e-310},
		{"1e-400", false, 0}, {"1e400", false, 0}, {"inf", true, math.Inf(1)}, {"-Infinity", true, math.Inf(-1)},
		{"nan", false, 0}, {" 1", false, 0}, {"1 ", false, 0}, {"", false, 0}, {"0x10", true, 16},
		{"1_0", false, 0}, {"0e-500", true, 0}, {"1\x00", false, 0}, {".5", true, 0.5}, {"-", false, 0},
	} {
		v, ok := geoFloat([]byte(tc.in))
		if ok != tc.ok || (ok && v != tc.v) {
			t.Errorf("geoFloat(%q) = %v, %v; want %v, %v", tc.in, v, ok, tc.v, tc.ok)
		}
	}
	for _, tc := range []struct {
		d    float64
		want string
	}{{0, "0.0000"}, {0.00005, "0.0000"}, {0.00015, "0.0001"}, {0.00025000000000000006, "0.0003"}, {166274.15156960033, "166274.1516"}, {1.23456789, "1.2346"}, {12345678.9, "12345678.9000"}} {
		if got := string(geoDistText(tc.d)); got != tc.want {
			t.Errorf("geoDistText(%v) = %s, want %s", tc.d, got, tc.want)
		}
	}
}
