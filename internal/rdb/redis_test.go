package rdb

import (
	"os"
	"sort"
	"strings"
	"testing"
)

// TestReadRedis7 reads a file written by redis-server 7.0
// (testdata/gen-redis.sh) and checks every key.
func TestReadRedis7(t *testing.T) {
	f, err := os.ReadFile("testdata/redis7.rdb")
	if err != nil {
		t.Fatal(err)
	}
	r := NewReader(strings.NewReader(string(f)), int64(len(f)))
	if err := r.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	if r.Version != 10 {
		t.Fatalf("version %d", r.Version)
	}
	got := map[string]*Record{}
	var aux []string
	functions := 0
	for {
		rec := &Record{}
		if err := r.Next(rec); err != nil {
			t.Fatal(err)
		}
		if rec.Kind == RecEOF {
			break
		}
		switch rec.Kind {
		case RecKey:
			got[string(rec.Key)] = rec
		case RecAux:
			aux = append(aux, string(rec.AuxKey))
		case RecFunction:
			functions++
			if !strings.Contains(string(rec.Code), "myfunc") {
				t.Errorf("function code %q", rec.Code)
			}
		}
	}
	if functions != 1 || !strings.Contains(strings.Join(aux, ","), "redis-ver") {
		t.Errorf("functions %d aux %v", functions, aux)
	}
	str := func(k string) string { return string(got[k].Value.Str) }
	if str("str:small") != "hello" || str("str:int") != "12345" || str("str:neg") != "-7" || str("str:bigint") != "98765432109" ||
		str("str:bin") != "bin\x00\xff\r\nary" || !strings.HasPrefix(str("str:long"), "compressible compressible") {
		t.Errorf("strings wrong")
	}
	if got["str:ttl"].ExpireMs != 4102444800000 {
		t.Errorf("ttl %d", got["str:ttl"].ExpireMs)
	}
	if got["db5:key"].DB != 5 {
		t.Errorf("db %d", got["db5:key"].DB)
	}
	elems := func(k string) []string {
		var out []string
		for _, e := range got[k].Value.Elems {
			out = append(out, string(e))
		}
		return out
	}
	if s := strings.Join(elems("list:small"), ","); s != "a,b,1,2,-3" {
		t.Errorf("list:small %s", s)
	}
	if l := elems("list:big"); len(l) != 1000 || !strings.HasPrefix(l[999], "element-1000-") {
		t.Errorf("list:big %d", len(l))
	}
	if got["list:big"].Value.Encoding != TypeListQuicklist2 {
		t.Errorf("list encoding %d", got["list:big"].Value.Encoding)
	}
	s := elems("set:ints")
	sort.Strings(s)
	if strings.Join(s, ",") != "-100,1,2,3,5000000000,70000" || got["set:ints"].Value.Encoding != TypeSetIntset {
		t.Errorf("set:ints %v", s)
	}
	if len(elems("set:strs")) != 4 {
		t.Errorf("set:strs")
	}
	z := got["zset:small"].Value
	if z.Encoding != TypeZSetListpack || strings.Join(elems("zset:small"), ",") != "c,a,b,d" || z.Scores[1] != 1 || z.Scores[2] != 2.5 {
		t.Errorf("zset:small %v %v", elems("zset:small"), z.Scores)
	}
	zb := got["zset:big"].Value
	if zb.Encoding != TypeZSet2 || len(zb.Elems) != 200 {
		t.Errorf("zset:big %d %d", zb.Encoding, len(zb.Elems))
	}
	if strings.Join(elems("hash:small"), ",") != "f1,v1,f2,2,f3," || got["hash:small"].Value.Encoding != TypeHashListpack {
		t.Errorf("hash:small %v", elems("hash:small"))
	}
	if len(elems("hash:big")) != 1200 || got["hash:big"].Value.Encoding != TypeHash {
		t.Errorf("hash:big")
	}
	st := got["stream"].Value.Stream
	if st.Length != 3 || len(st.Entries) != 3 || st.MaxDeletedID != (StreamID{1, 2}) || st.EntriesAdded != 4 || len(st.Groups) != 2 {
		t.Fatalf("stream %+v", st)
	}
	g1 := st.Groups[0]
	if string(g1.Name) != "g1" || len(g1.PEL) != 3 || len(g1.Consumers) != 2 || string(g1.Consumers[0].Name) != "alice" || len(g1.Consumers[0].PEL) != 2 {
		t.Errorf("group %+v", g1)
	}
	if e := st.Entries[1]; e.ID != (StreamID{2, 0}) || string(e.Fields[0]) != "c" || string(e.Fields[1]) != "5" {
		t.Errorf("entry %+v", e)
	}
}
